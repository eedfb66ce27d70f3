"""/docs and /redoc load everything from the service itself: they work on a network without internet."""

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.config import Settings


class _Refs(HTMLParser):
    """Every URL a page loads: script src, link href, img src, ReDoc's spec-url, and url strings inside inline scripts."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("src", "href", "spec-url"):
            if attrs.get(key):
                self.urls.append(attrs[key])
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.urls += re.findall(r"(?:url|src|href)\s*:\s*'([^']+)'", data)
            self.urls += re.findall(r"(?:url|src|href)\s*:\s*\"([^\"]+)\"", data)


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(Settings(secret_key="x" * 40)))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_doc_pages_reference_only_same_origin_assets_that_are_served(client, page):
    r = client.get(page)
    assert r.status_code == 200
    html = r.text
    assert "cdn." not in html and "fonts.googleapis" not in html
    parser = _Refs()
    parser.feed(html)
    assert parser.urls, "the page loads nothing: the parser missed its assets"
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), f"{page} loads {url} from elsewhere"
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
    assert any(u.endswith(".js") for u in parser.urls)
    assert "/openapi.json" in parser.urls


def test_swagger_assets_are_the_real_bundle(client):
    js = client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.headers["content-type"].startswith(("application/javascript", "text/javascript"))
    assert "SwaggerUIBundle" in js.text
    assert client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert client.get("/docs/assets/../../api/app.py").status_code == 404
