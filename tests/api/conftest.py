"""A real Temporal dev server, a worker with the real activities, and the API over the same database."""

import asyncio
import dataclasses
import random
import string
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest_asyncio
from httpx import ASGITransport, AsyncClient
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.case_service import MONEY_ACTIONS
from core.codec import data_converter
from core.config import Settings
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from db.engine import make_engine
from domain.rules import DeadlineRule, PeriodUnit
from worker import build_worker
from workflows import search_attributes

BIN = Path(sys.executable).parent
SEARCH_ATTRIBUTES = search_attributes.ALL
ADMIN_PASSWORD = "admin-password-1"
SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"


@pytest_asyncio.fixture(scope="session")
async def dev_server():
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=data_converter(Settings(secret_key=SECRET_KEY)),
        ui=False,
        dev_server_extra_args=["--log-level", "error"],
    )
    yield env
    await env.shutdown()


class Api:
    """An HTTP client for the app with helpers to log in as users of any role and unit."""

    def __init__(self, http: AsyncClient):
        self.http = http
        self.tokens: dict[str, str] = {}
        self.app = None  # the FastAPI app, set by the fixture

    async def token(self, username: str, password: str) -> str:
        r = await self.http.post("/api/auth/token", data={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    async def user(self, username: str, role: str, unit: str) -> dict:
        """Headers of a (new) user with this role and unit."""
        if username not in self.tokens:
            admin = await self.as_admin()
            r = await self.http.post(
                "/api/users",
                headers=admin,
                json={"username": username, "password": "password-123", "role": role, "unit": unit},
            )
            assert r.status_code == 201, r.text
            self.tokens[username] = await self.token(username, "password-123")
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    async def as_admin(self) -> dict:
        if "admin" not in self.tokens:
            self.tokens["admin"] = await self.token("admin", ADMIN_PASSWORD)
        return {"Authorization": f"Bearer {self.tokens['admin']}"}

    async def act(self, who: dict, case_no: str, action: str, body: dict | None = None, **kw):
        """Take an action; one that moves money gets a fresh Idempotency-Key unless `who` names one."""
        if action in MONEY_ACTIONS and "Idempotency-Key" not in who:
            who = {**who, "Idempotency-Key": uuid.uuid4().hex}
        return await self.http.post(f"/api/cases/{case_no}/actions/{action}", headers=who, json=body or {}, **kw)


def drill(deadlines: dict[str, float], base=None):
    """A jurisdiction whose named clocks run for seconds (e.g. {"decision_review": 3}), each keeping its basis."""
    base = base or load_jurisdiction(DEFAULT_JURISDICTION)
    short = {
        name: DeadlineRule(name, PeriodUnit.DURATION, duration_seconds=seconds, basis=base.deadlines[name].basis)
        for name, seconds in deadlines.items()
    }
    return dataclasses.replace(base, deadlines={**base.deadlines, **short})


@asynccontextmanager
async def serving(db_url, dev_server, jurisdiction=None, queue: str = "cases") -> AsyncIterator[Api]:
    """The API and a worker on a fresh database (SQLite or PostgreSQL) and a task queue of their own."""
    settings = Settings(
        database_url=db_url,
        secret_key=SECRET_KEY,
        admin_password=ADMIN_PASSWORD,
        task_queue=f"{queue}-{uuid.uuid4().hex[:8]}",
    )
    # Case numbers are workflow ids: each test gets its own prefix on the shared dev server.
    prefix = "".join(random.choice(string.ascii_uppercase) for _ in range(6))
    jurisdiction = dataclasses.replace(jurisdiction or load_jurisdiction(DEFAULT_JURISDICTION), case_prefix=prefix)
    engine = make_engine(db_url)
    app = create_app(settings, engine=engine, jurisdiction=jurisdiction)
    async with app.router.lifespan_context(app):
        app.state.temporal = dev_server.client
        async with build_worker(dev_server.client, settings, engine=engine, jurisdiction=jurisdiction):
            async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
                client = Api(http)
                client.app = app
                yield client
    engine.dispose()


@pytest_asyncio.fixture
async def api(db_url, dev_server):
    """The API and a worker on a fresh database and a task queue of their own, with Dai County's rules."""
    async with serving(db_url, dev_server) as client:
        yield client


async def until_case(api: Api, who: dict, case_no: str, ready, what: str) -> dict:
    """The case's detail once `ready(detail)` holds (the workflow acts on its own clock)."""
    for _ in range(300):
        detail = (await api.http.get(f"/api/cases/{case_no}", headers=who)).json()
        if ready(detail):
            return detail
        await asyncio.sleep(0.1)
    raise AssertionError(f"{case_no}: {what} did not happen: {detail['stage']} {detail['pending_actions']}")
