"""The case list's total is counted up to WAGECASE_COUNT_CAP, a search's up to WAGECASE_SEARCH_COUNT_CAP:
beyond it GET /api/cases says `total_capped` and the inbox shows "5+" (db.case_list.list_cases); the rows
are written directly, without workflows."""

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from httpx import ASGITransport, AsyncClient

from api.app import create_app
from core.config import Settings
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from db.cases import project_case
from db.engine import session_scope
from domain.model import CaseState, Organisation, Stage
from tests.api.web_client import WebClient
from tests.workflows.conftest import make_intake

ADMIN_PASSWORD = "admin-password-1"
SECRET = "test-secret-key-that-is-long-enough-for-hs256"
CAP = 5
SEARCH_CAP = 4
# 11 cases: a list is capped at 5; a search for 恒泰劳务 (7) is capped at 4, for 鑫源 (3) and 鹤鸣 (1) not
EMPLOYERS = {"代县恒泰劳务有限公司": 7, "山西鑫源建设集团": 3, "代县鹤鸣山泉商贸": 1}


@pytest.fixture
async def app(db_url):
    # Nothing listens on port 1, so Temporal fails fast (the list reads the database alone).
    settings = Settings(
        database_url=db_url,
        temporal_address="127.0.0.1:1",
        secret_key=SECRET,
        admin_password=ADMIN_PASSWORD,
        count_cap=CAP,
        search_count_cap=SEARCH_CAP,
    )
    app = create_app(settings, jurisdiction=load_jurisdiction(DEFAULT_JURISDICTION))
    async with app.router.lifespan_context(app):
        with session_scope(app.state.engine) as session:
            n = 0
            for employer, count in EMPLOYERS.items():
                for _ in range(count):
                    n += 1
                    intake = replace(make_intake(), case_no=f"DX-2026-{n:06d}", employer=Organisation(employer))
                    state = CaseState(intake=intake, lead_unit="housing", stage=Stage.INVESTIGATING)
                    project_case(session=session, state=state, pending=[])
        yield app


@pytest.fixture
async def admin(app) -> AsyncIterator[tuple[AsyncClient, dict]]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        r = await http.post("/api/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD})
        assert r.status_code == 200, r.text
        yield http, {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.parametrize(
    "params, total, capped, items",
    [
        ({"q": "恒泰劳务"}, SEARCH_CAP, True, 7),  # 7 match: counted up to 4, every one listed
        ({"q": "恒泰劳务", "limit": 2}, SEARCH_CAP, True, 2),
        ({"q": "鑫源"}, 3, False, 3),  # below the cap: exact
        ({"q": "鹤鸣"}, 1, False, 1),
        ({}, CAP, True, 11),  # a list without a search: counted up to 5
        ({"q": "  "}, CAP, True, 11),  # a blank search is no search
        ({"q": "没有这家"}, 0, False, 0),
    ],
)
async def test_the_total_is_counted_up_to_the_cap_and_says_when_more_match(admin, params, total, capped, items):
    http, headers = admin
    r = await http.get("/api/cases", headers=headers, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["total"], body["total_capped"], len(body["items"])) == (total, capped, items)


async def test_the_api_description_names_the_cap(admin):
    http, _ = admin
    schema = (await http.get("/openapi.json")).json()["components"]["schemas"]["CaseList"]
    assert "WAGECASE_COUNT_CAP" in schema["properties"]["total"]["description"]
    assert schema["properties"]["total_capped"]["type"] == "boolean"


async def test_the_inbox_shows_a_capped_total_with_a_plus(app):
    async with WebClient(app) as web:
        assert (await web.login("admin", ADMIN_PASSWORD)).status_code == 303
        page = await web.get("/")
        assert page.status_code == 200 and f"共 {CAP}+ 条" in page.text
        searched = await web.post("/", {"q": "鑫源"})
        assert searched.status_code == 200 and "共 3 条" in searched.text and "3+" not in searched.text
        many = await web.post("/", {"q": "恒泰劳务"})
        assert many.status_code == 200 and f"共 {SEARCH_CAP}+ 条" in many.text
