"""Users, log-in, projects, error shapes and /healthz, on SQLite and PostgreSQL."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.exc import StatementError
from sqlmodel import Session

from api.app import create_app
from api.security import create_access_token
from core.config import Settings
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from db.accounts import ProjectCreate, create_project, get_project, get_user_by_username
from db.engine import create_all, make_engine, session_scope
from domain.jurisdiction import JurisdictionError

ADMIN_PASSWORD = "admin-password-1"
SECRET = "test-secret-key-that-is-long-enough-for-hs256"

PROJECT = {
    "name": "雁门关景区道路改造工程",
    "type": "transport",
    "township": "yanmenguan",
    "has_permit": True,
    "land": "state",
    "government_invested": True,
    "construction_unit": {"name": "代县交通建设投资有限公司", "credit_code": "91140923MA0K1234XW"},
    "general_contractor": {"name": "山西某路桥工程有限公司", "credit_code": None},
    "contract_amount": 1250000.5,
}


@pytest.fixture(scope="module")
def jurisdiction():
    return load_jurisdiction(DEFAULT_JURISDICTION)


@pytest.fixture
def settings(db_url) -> Settings:
    # Nothing listens on port 1, so Temporal fails fast.
    return Settings(
        database_url=db_url, temporal_address="127.0.0.1:1", secret_key=SECRET, admin_password=ADMIN_PASSWORD
    )


@pytest.fixture
async def app(settings, jurisdiction):
    app = create_app(settings, jurisdiction=jurisdiction)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        yield http


async def login(client: AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post("/api/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def add_user(client: AsyncClient, admin: dict, username: str, role: str, unit: str = "hrss") -> dict:
    body = {"username": username, "password": f"{username}-password", "role": role, "unit": unit}
    response = await client.post("/api/users", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return await login(client, username, f"{username}-password")


def fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


async def test_admin_bootstrap_and_token(client):
    response = await client.post("/api/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "bearer"
    assert (token["role"], token["unit"]) == ("admin", "hrss")
    assert token["expires_in"] == 480 * 60

    me = await client.get("/api/users/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "admin"
    assert me.json()["role"] == "admin"
    assert "password_hash" not in me.json() and "password" not in me.json()


async def test_wrong_password_and_unknown_user_get_the_same_401(client):
    wrong = await client.post("/api/auth/token", data={"username": "admin", "password": "not-the-password"})
    unknown = await client.post("/api/auth/token", data={"username": "nobody", "password": ADMIN_PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_missing_bad_forged_and_expired_tokens_are_401(client, settings):
    other_key = settings.model_copy(update={"secret_key": "x" * 40})
    past = settings.model_copy(update={"token_minutes": -1})
    forged = create_access_token("admin", "admin", "hrss", other_key)
    expired = create_access_token("admin", "admin", "hrss", past)
    cases = {
        "missing": {},
        "garbage": {"Authorization": "Bearer not.a.token"},
        "forged": {"Authorization": f"Bearer {forged}"},
        "expired": {"Authorization": f"Bearer {expired}"},
    }
    for name, headers in cases.items():
        response = await client.get("/api/users/me", headers=headers)
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"] == "Bearer", name
    response = await client.get("/api/users/me", headers=cases["expired"])
    assert "expired" in response.json()["detail"]


async def test_disabled_user_is_401(app, client):
    admin = await login(client, "admin", ADMIN_PASSWORD)
    clerk = await add_user(client, admin, "clerk1", "clerk")
    with Session(app.state.engine) as session:
        user = get_user_by_username(session=session, username="clerk1")
        user.active = False
        session.add(user)
        session.commit()
    assert (await client.get("/api/users/me", headers=clerk)).status_code == 401


async def test_only_admin_creates_and_lists_users(client):
    admin = await login(client, "admin", ADMIN_PASSWORD)
    clerk = await add_user(client, admin, "clerk1", "clerk", unit="petition")
    body = {"username": "sneaky", "password": "sneaky-password", "role": "admin", "unit": "hrss"}
    response = await client.post("/api/users", json=body, headers=clerk)
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]
    assert (await client.get("/api/users", headers=clerk)).status_code == 403

    listed = await client.get("/api/users", headers=admin)
    assert [u["username"] for u in listed.json()] == ["admin", "clerk1"]
    me = await client.get("/api/users/me", headers=clerk)
    assert (me.json()["role"], me.json()["unit"]) == ("clerk", "petition")


async def test_duplicate_username_is_409(client):
    admin = await login(client, "admin", ADMIN_PASSWORD)
    await add_user(client, admin, "worker1", "caseworker", unit="housing")
    body = {"username": "worker1", "password": "another-password", "role": "clerk", "unit": "hrss"}
    response = await client.post("/api/users", json=body, headers=admin)
    assert response.status_code == 409
    assert "worker1" in response.json()["detail"]


async def test_invalid_role_unit_and_password_are_422_naming_the_field(client):
    admin = await login(client, "admin", ADMIN_PASSWORD)
    good = {"username": "someone", "password": "long-enough", "role": "clerk", "unit": "hrss"}
    for change, field in [
        ({"role": "boss"}, "body.role"),
        ({"unit": "mars"}, "body.unit"),
        ({"password": "short"}, "body.password"),
        ({"username": "has space"}, "body.username"),
    ]:
        response = await client.post("/api/users", json=good | change, headers=admin)
        assert response.status_code == 422, change
        assert fields(response) == [field]
        assert field in response.json()["detail"]


async def test_project_create_get_and_search(client):
    admin = await login(client, "admin", ADMIN_PASSWORD)
    clerk = await add_user(client, admin, "clerk1", "clerk")
    response = await client.post("/api/projects", json=PROJECT, headers=clerk)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["contract_amount"] == "1250000.50"
    assert created["created_by"] == "clerk1"
    assert created["construction_unit"] == PROJECT["construction_unit"]
    assert created["subcontractor"] is None

    fetched = await client.get(f"/api/projects/{created['id']}", headers=clerk)
    assert fetched.status_code == 200
    assert fetched.json() == created

    found = await client.get("/api/projects", params={"q": "雁门关"}, headers=clerk)
    assert found.json()["total"] == 1
    assert found.json()["items"][0]["id"] == created["id"]
    missing = await client.get("/api/projects", params={"q": "峨口"}, headers=clerk)
    assert missing.json() == {"items": [], "total": 0}
    assert (await client.get(f"/api/projects/{created['id'] + 1}", headers=clerk)).status_code == 404


async def test_liaison_cannot_register_projects(client):
    admin = await login(client, "admin", ADMIN_PASSWORD)
    liaison = await add_user(client, admin, "police1", "liaison", unit="police")
    response = await client.post("/api/projects", json=PROJECT, headers=liaison)
    assert response.status_code == 403


async def test_invalid_projects_are_422_naming_the_field(client):
    admin = await login(client, "admin", ADMIN_PASSWORD)
    bad_code = {"name": "某公司", "credit_code": "91140923MA0K1234XO"}  # the letter O is not allowed
    for change, field in [
        ({"type": "spaceport"}, "body.type"),
        ({"land": "moon"}, "body.land"),
        ({"township": "housing"}, "body.township"),  # a bureau, not a township
        ({"township": "atlantis"}, "body.township"),
        ({"general_contractor": bad_code}, "body.general_contractor.credit_code"),
        ({"contract_amount": "12.345"}, "body.contract_amount"),
    ]:
        response = await client.post("/api/projects", json=PROJECT | change, headers=admin)
        assert response.status_code == 422, change
        assert fields(response) == [field], change
    listed = await client.get("/api/projects", headers=admin)
    assert listed.json()["total"] == 0


async def test_broken_json_is_422(client):
    admin = await login(client, "admin", ADMIN_PASSWORD)
    headers = admin | {"Content-Type": "application/json"}
    response = await client.post("/api/projects", content=b'{"name": "unfinished', headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert "not valid JSON" in body["detail"]
    assert body["errors"] == [{"field": "body", "message": body["errors"][0]["message"]}]
    assert "at character 9" in body["errors"][0]["message"]


async def test_healthz_names_temporal_when_it_is_down(client):
    response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert "127.0.0.1:1" in body["temporal"]
    assert body["detail"].startswith("temporal:")


async def test_bad_jurisdiction_file_stops_start_up(sqlite_url, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {DEFAULT_JURISDICTION}\ndeadlines:\n  acknowledge: {{working_days: -3}}\n")
    app = create_app(Settings(database_url=sqlite_url, jurisdiction=bad, secret_key=SECRET))
    with pytest.raises(JurisdictionError, match=r"bad\.yaml: deadlines\.acknowledge\.working_days"):
        async with app.router.lifespan_context(app):
            pass


def test_timestamps_are_utc_and_money_exact(db_url):
    engine = make_engine(db_url)
    create_all(engine)
    beijing = timezone(timedelta(hours=8))
    registered = datetime(2024, 5, 1, 9, 30, tzinfo=beijing)
    data = ProjectCreate.model_validate(PROJECT | {"contract_amount": "9999999999.99"})
    with session_scope(engine) as session:
        project = create_project(session=session, data=data, created_by="clerk1")
        project.created_at = registered
        session.add(project)
    with session_scope(engine) as session:
        stored = get_project(session=session, project_id=project.id)
        assert stored.created_at == registered
        assert stored.created_at.utcoffset() == timedelta(0)
        assert stored.contract_amount == Decimal("9999999999.99")
    with Session(engine) as session:
        stored = get_project(session=session, project_id=project.id)
        stored.created_at = datetime(2024, 5, 1, 9, 30)  # naive
        with pytest.raises(StatementError, match="naive datetime"):
            session.commit()
    engine.dispose()
