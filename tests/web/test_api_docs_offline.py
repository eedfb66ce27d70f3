"""/docs renders in Chromium with every request to a host other than the service refused (no internet)."""

import asyncio
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import uvicorn

from api.app import create_app
from core.config import Settings
from tests.web.conftest import VIEWPORT

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def docs_url(tmp_path_factory):
    """The app alone under uvicorn (the docs need neither Temporal nor a case)."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('docs') / 'wagecase.db'}"
    app = create_app(Settings(database_url=db_url, secret_key="x" * 40))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), name="docs-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


def test_docs_render_the_api_with_the_network_cut(browser, docs_url):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    refused: list[str] = []

    def only_local(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_local)
    page = context.new_page()
    try:
        page.goto(f"{docs_url}/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
        assert "wagecase" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock-tag", timeout=15_000)  # the operations, from /openapi.json
        assert page.locator(".opblock").count() > 10
        assert refused == [], f"/docs tried to load from elsewhere: {refused}"
        page.goto(f"{docs_url}/redoc")
        page.wait_for_selector("h1", timeout=15_000)
        assert "wagecase" in page.inner_text("h1")
    finally:
        context.close()
