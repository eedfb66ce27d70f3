"""The web UI served by uvicorn on a free port, with an in-process worker on the real dev server, and
a Chromium driven by Playwright (Debian's /usr/bin/chromium; Playwright never downloads a browser)."""

import asyncio
import dataclasses
import os
import random
import socket
import string
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlmodel import Session
from temporalio.client import Client

from api.app import create_app
from core.codec import data_converter
from core.config import Settings
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from db.accounts import create_user
from db.engine import create_all, make_engine
from tests.api.conftest import ADMIN_PASSWORD, SECRET_KEY, dev_server  # noqa: F401  (the session's dev server)
from worker import build_worker

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}
PASSWORD = "password-123"
# Users of the browser tests: username → (role, unit).
USERS = {
    "clerk1": ("clerk", "petition"),
    "housing1": ("caseworker", "housing"),
    "hrss1": ("caseworker", "hrss"),
    "water1": ("caseworker", "water"),
    "office1": ("supervisor", "hrss"),
}
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The app under uvicorn and a worker, both on one event loop in a background thread."""

    def __init__(self, *, settings: Settings, engine, jurisdiction, temporal_target: str):
        self.settings = settings
        self.engine = engine
        self.jurisdiction = jurisdiction
        self.target = temporal_target
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(settings, engine=engine, jurisdiction=jurisdiction)
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        )
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="web-live-server", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the test thread by start()
            self.error = exc

    async def _main(self) -> None:
        client = await Client.connect(self.target, data_converter=data_converter(self.settings))
        self.app.state.temporal = client
        worker = build_worker(client, self.settings, engine=self.engine, jurisdiction=self.jurisdiction)
        async with worker:
            await self.server.serve()

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if self.error is not None or not self.thread.is_alive():
                raise RuntimeError(f"the web server did not start: {self.error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("the web server did not start within 30 s")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

    def api_token(self, username: str) -> str:
        """A Bearer token of a test user, for preparing data through the JSON API."""
        r = httpx.post(f"{self.url}/api/auth/token", data={"username": username, "password": PASSWORD})
        r.raise_for_status()
        return r.json()["access_token"]


@pytest.fixture(scope="module")
def web(dev_server, tmp_path_factory) -> Iterator[LiveServer]:  # noqa: F811
    """A live web UI on a fresh SQLite database, with the users of USERS (password PASSWORD)."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'wagecase.db'}"
    settings = Settings(
        database_url=db_url,
        secret_key=SECRET_KEY,
        admin_password=ADMIN_PASSWORD,
        task_queue=f"web-{uuid.uuid4().hex[:8]}",
    )
    # Case numbers are workflow ids on the shared dev server: a prefix of its own for this module
    # (the county's own, DX, for screenshots: the session's dev server keeps its data in memory).
    prefix = "".join(random.choice(string.ascii_uppercase) for _ in range(6))
    if os.environ.get("WAGECASE_SCREENSHOTS") == "1":
        prefix = "DX"
    jurisdiction = dataclasses.replace(load_jurisdiction(DEFAULT_JURISDICTION), case_prefix=prefix)
    engine = make_engine(db_url)
    create_all(engine)
    with Session(engine) as session:
        for username, (role, unit) in USERS.items():
            create_user(session=session, username=username, password=PASSWORD, role=role, unit=unit)
    server = LiveServer(
        settings=settings,
        engine=engine,
        jurisdiction=jurisdiction,
        temporal_target=dev_server.client.service_client.config.target_host,
    )
    server.start()
    yield server
    server.stop()
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright; the tests are skipped when either is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (Debian: apt-get install chromium); browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def login(browser, web):
    """A function that opens a new browser context logged in as `username` and returns its page."""
    contexts = []

    def open_as(username: str, *, javascript: bool = True):
        context = browser.new_context(
            viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", java_script_enabled=javascript
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{web.url}/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{web.url}/")
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path | None:
    """Where to save screenshots of the main pages: docs/screenshots/ when WAGECASE_SCREENSHOTS=1, else none."""
    if os.environ.get("WAGECASE_SCREENSHOTS") != "1":
        return None
    folder = REPO / "docs" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(page, folder: Path | None, name: str, *, full_page: bool = False) -> None:
    """Save a screenshot of the page as docs/screenshots/<name>.png (only when screenshots are asked for)."""
    if folder is not None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)
