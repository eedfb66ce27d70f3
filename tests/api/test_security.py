"""Log-in security: argon2 hashes, token expiry and forgery, throttled failed log-ins (no Temporal needed)."""

from collections.abc import AsyncIterator
from datetime import timedelta

import jwt
import pytest
from httpx import ASGITransport, AsyncClient
from sqlmodel import Session

from api.app import create_app
from api.security import create_access_token
from api.throttle import MAX_FAILURES_PER_CLIENT, MAX_FAILURES_PER_USER, WINDOW_SECONDS, LoginThrottle
from core.config import Settings
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from db.accounts import create_user, get_user_by_username
from db.types import utcnow

SECRET = "security-tests-secret-key-0123456789abcdef"
ADMIN_PASSWORD = "admin-password-1"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
async def app(tmp_path_factory):
    # One app for the module: argon2 hashing makes creating accounts slow on purpose.
    db = tmp_path_factory.mktemp("security") / "wagecase.db"
    settings = Settings(database_url=f"sqlite:///{db}", temporal_address="127.0.0.1:1", secret_key=SECRET,
                        admin_password=ADMIN_PASSWORD, token_minutes=30)
    app = create_app(settings, jurisdiction=load_jurisdiction(DEFAULT_JURISDICTION))
    async with app.router.lifespan_context(app):
        with Session(app.state.engine) as session:
            for name in ("clerk1", "clerk2"):
                create_user(session=session, username=name, password="clerk-password-1", role="clerk",
                            unit="petition")
        yield app


@pytest.fixture
async def http(app) -> AsyncIterator[AsyncClient]:
    """A client of the app with a fresh login throttle on a fake clock (app.state.clock)."""
    app.state.clock = FakeClock()
    app.state.login_throttle = LoginThrottle(clock=app.state.clock)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def login(http, username, password):
    return await http.post("/api/auth/token", data={"username": username, "password": password})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_passwords_are_stored_as_argon2id_hashes(app, http):
    with Session(app.state.engine) as session:
        stored = get_user_by_username(session=session, username="clerk1").password_hash
    assert stored.startswith("$argon2id$") and "clerk-password-1" not in stored


async def test_tokens_expire_after_token_minutes(app, http):
    r = await login(http, "clerk1", "clerk-password-1")
    assert r.status_code == 200 and r.json()["expires_in"] == 30 * 60
    claims = jwt.decode(r.json()["access_token"], SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 30 * 60
    assert (await http.get("/api/users/me", headers=bearer(r.json()["access_token"]))).status_code == 200

    settings = app.state.settings
    expired = jwt.encode({"sub": "clerk1", "role": "clerk", "unit": "petition", "iat": utcnow() - timedelta(hours=1),
                          "exp": utcnow() - timedelta(seconds=1)}, SECRET, algorithm="HS256")
    r = await http.get("/api/users/me", headers=bearer(expired))
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    instant = create_access_token("clerk1", "clerk", "petition", settings.model_copy(update={"token_minutes": 0}))
    assert (await http.get("/api/users/me", headers=bearer(instant))).status_code == 401


@pytest.mark.parametrize("token", [
    jwt.encode({"sub": "admin", "role": "admin", "exp": utcnow() + timedelta(hours=1)},
               "another-secret-entirely-0123456789abcdef", algorithm="HS256"),
    jwt.encode({"sub": "admin", "role": "admin", "exp": utcnow() + timedelta(hours=1)}, None, algorithm="none"),
    jwt.encode({"sub": "admin", "role": "admin"}, SECRET, algorithm="HS256"),  # no expiry
    "not-a-jwt", "",
])
async def test_forged_unsigned_and_endless_tokens_are_401(http, token):
    r = await http.get("/api/users", headers=bearer(token))
    assert r.status_code == 401 and r.json()["detail"]


async def test_a_token_is_only_as_good_as_its_account(app, http):
    token = (await login(http, "clerk2", "clerk-password-1")).json()["access_token"]
    with Session(app.state.engine) as session:
        user = get_user_by_username(session=session, username="clerk2")
        user.active = False
        session.add(user)
        session.commit()
    r = await http.get("/api/users/me", headers=bearer(token))
    assert r.status_code == 401 and "disabled" in r.json()["detail"]
    assert (await login(http, "clerk2", "clerk-password-1")).status_code == 401
    # the role in the token is not trusted: the account's role is what counts
    lying = jwt.encode({"sub": "clerk1", "role": "admin", "unit": "hrss", "exp": utcnow() + timedelta(hours=1)},
                       SECRET, algorithm="HS256")
    assert (await http.get("/api/users", headers=bearer(lying))).status_code == 403


async def test_repeated_failed_logins_are_throttled_per_account(app, http):
    for _ in range(MAX_FAILURES_PER_USER):
        r = await login(http, "clerk1", "wrong-password")
        assert r.status_code == 401
    r = await login(http, "clerk1", "clerk-password-1")  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "try again" in r.json()["detail"]
    assert (await login(http, "admin", ADMIN_PASSWORD)).status_code == 200  # other accounts are unaffected
    app.state.clock.now += WINDOW_SECONDS + 1
    assert (await login(http, "clerk1", "clerk-password-1")).status_code == 200


async def test_a_successful_login_clears_the_accounts_failures(app, http):
    for _ in range(MAX_FAILURES_PER_USER - 1):
        await login(http, "clerk1", "wrong-password")
    assert (await login(http, "clerk1", "clerk-password-1")).status_code == 200
    for _ in range(MAX_FAILURES_PER_USER - 1):
        assert (await login(http, "clerk1", "wrong-password")).status_code == 401
    assert (await login(http, "clerk1", "clerk-password-1")).status_code == 200


async def test_guessing_many_accounts_from_one_address_is_throttled(app, http):
    assert MAX_FAILURES_PER_CLIENT > MAX_FAILURES_PER_USER
    app.state.login_throttle = LoginThrottle(max_per_client=8, clock=app.state.clock)  # fewer slow argon2 checks
    for i in range(8):
        assert (await login(http, f"guess{i}", "password")).status_code == 401
    r = await login(http, "admin", ADMIN_PASSWORD)
    assert r.status_code == 429


def test_throttle_window_slides():
    clock = FakeClock()
    throttle = LoginThrottle(max_per_user=2, max_per_client=100, window_seconds=60, clock=clock)
    throttle.failed("u", "1.2.3.4")
    clock.now += 30
    throttle.failed("u", "1.2.3.4")
    assert throttle.retry_after("u", "5.6.7.8") == 31  # the first failure leaves the window in 30 s (+1)
    clock.now += 31
    assert throttle.retry_after("u", "5.6.7.8") == 0
