"""A browser-like HTTP client for the web UI in tests: logs in through the login form, keeps the cookie and
reads the CSRF token of each page it loads."""

import re

from httpx import ASGITransport, AsyncClient, Response

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient:
    def __init__(self, app):
        self.http = AsyncClient(transport=ASGITransport(app=app), base_url="http://test")
        self.csrf = ""

    async def __aenter__(self) -> "WebClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.aclose()

    async def login(self, username: str, password: str) -> Response:
        page = await self.http.get("/login")
        token = _CSRF.search(page.text)[1]
        return await self.http.post(
            "/login", data={"username": username, "password": password, "csrf_token": token, "next": "/"}
        )

    async def get(self, url: str, **kw) -> Response:
        r = await self.http.get(url, **kw)
        if match := _CSRF.search(r.text):
            self.csrf = match[1]
        return r

    async def post(self, url: str, data: dict, **kw) -> Response:
        """POST a form with the CSRF token of the last page loaded."""
        return await self.http.post(url, data={"csrf_token": self.csrf, **data}, **kw)
