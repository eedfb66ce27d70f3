"""Log-in security: argon2 hashes, token expiry and forgery, server-side sessions, throttled log-ins counted
before the password check, the client address behind proxies (no Temporal needed)."""

import asyncio
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import jwt
import pytest
from httpx import ASGITransport, AsyncClient
from sqlmodel import Session, delete
from starlette.requests import Request

import db.accounts
from api.app import create_app
from api.security import create_access_token
from api.throttle import MAX_FAILURES_PER_CLIENT, MAX_FAILURES_PER_USER, WINDOW_SECONDS, LoginThrottle, client_address
from api.web_auth import SESSION_COOKIE
from core.config import Settings
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from db.accounts import create_user, get_user_by_username
from db.engine import make_engine
from db.logins import LoginAttempt
from db.types import utcnow
from tests.api.web_client import WebClient

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
    settings = Settings(
        database_url=f"sqlite:///{db}",
        temporal_address="127.0.0.1:1",
        secret_key=SECRET,
        admin_password=ADMIN_PASSWORD,
        token_minutes=30,
    )
    app = create_app(settings, jurisdiction=load_jurisdiction(DEFAULT_JURISDICTION))
    async with app.router.lifespan_context(app):
        with Session(app.state.engine) as session:
            for name in ("clerk1", "clerk2"):
                create_user(session=session, username=name, password="clerk-password-1", role="clerk", unit="petition")
        yield app


@pytest.fixture
async def http(app) -> AsyncIterator[AsyncClient]:
    """A client of the app with a fresh login throttle on a fake clock (app.state.clock)."""
    app.state.clock = FakeClock()
    app.state.login_throttle = LoginThrottle(clock=app.state.clock)
    with Session(app.state.engine) as session:  # counts live in the database: start each test afresh
        session.exec(delete(LoginAttempt))
        session.commit()
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
    expired = jwt.encode(
        {
            "sub": "clerk1",
            "role": "clerk",
            "unit": "petition",
            "iat": utcnow() - timedelta(hours=1),
            "exp": utcnow() - timedelta(seconds=1),
        },
        SECRET,
        algorithm="HS256",
    )
    r = await http.get("/api/users/me", headers=bearer(expired))
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    instant = create_access_token("clerk1", "clerk", "petition", settings.model_copy(update={"token_minutes": 0}))
    assert (await http.get("/api/users/me", headers=bearer(instant))).status_code == 401


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode(
            {"sub": "admin", "role": "admin", "exp": utcnow() + timedelta(hours=1)},
            "another-secret-entirely-0123456789abcdef",
            algorithm="HS256",
        ),
        jwt.encode({"sub": "admin", "role": "admin", "exp": utcnow() + timedelta(hours=1)}, None, algorithm="none"),
        jwt.encode({"sub": "admin", "role": "admin"}, SECRET, algorithm="HS256"),  # no expiry
        "not-a-jwt",
        "",
    ],
    ids=["other-secret", "unsigned", "no-expiry", "not-a-jwt", "empty"],  # stable across xdist workers
)
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
    # the role in the token is not trusted: the account's role is what counts (even in an open session)
    session_id = jwt.decode(
        (await login(http, "clerk1", "clerk-password-1")).json()["access_token"], SECRET, algorithms=["HS256"]
    )["jti"]
    lying = jwt.encode(
        {"sub": "clerk1", "role": "admin", "unit": "hrss", "jti": session_id, "exp": utcnow() + timedelta(hours=1)},
        SECRET,
        algorithm="HS256",
    )
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


def test_throttle_window_slides(app):
    clock = FakeClock()
    engine = app.state.engine
    throttle = LoginThrottle(max_per_user=2, max_per_client=100, window_seconds=60, clock=clock)
    assert throttle.begin(engine, "u", "1.2.3.4").wait == 0  # failed: stays counted
    clock.now += 30
    assert throttle.begin(engine, "u", "1.2.3.4").wait == 0
    assert throttle.begin(engine, "u", "5.6.7.8").wait == 31  # the first failure leaves the window in 30 s (+1)
    clock.now += 31
    assert throttle.begin(engine, "u", "5.6.7.8").wait == 0


# ---- attempts counted before the password check, in the database ------------------------------------


class CountingHasher:
    """The tests' hasher, recording the passwords it checks and taking a while over each (as argon2 does)."""

    def __init__(self, inner):
        self.inner = inner
        self.checked: list[str] = []
        self.lock = threading.Lock()

    def verify(self, hashed, password):
        with self.lock:
            self.checked.append(password)
        time.sleep(0.05)
        return self.inner.verify(hashed, password)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def counting_hasher(monkeypatch) -> CountingHasher:
    counting = CountingHasher(db.accounts._hasher)
    monkeypatch.setattr(db.accounts, "_hasher", counting)
    return counting


async def test_forty_parallel_logins_get_at_most_the_allowed_password_checks(db_url, counting_hasher):
    settings = Settings(
        database_url=db_url, temporal_address="127.0.0.1:1", secret_key=SECRET, admin_password=ADMIN_PASSWORD
    )
    engine = make_engine(db_url)
    app = create_app(settings, engine=engine, jurisdiction=load_jurisdiction(DEFAULT_JURISDICTION))
    try:
        async with (
            app.router.lifespan_context(app),
            AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http,
        ):
            responses = await asyncio.gather(*(login(http, "admin", f"wrong-password-{i}") for i in range(40)))
            codes = Counter(r.status_code for r in responses)
            assert len(counting_hasher.checked) <= MAX_FAILURES_PER_USER, codes
            assert codes[401] == len(counting_hasher.checked) and codes[429] == 40 - codes[401], codes
            # (fewer checks than the limit may pass: an attempt refused a moment ago still counted for others)
            locked = len(counting_hasher.checked) == MAX_FAILURES_PER_USER
            assert (await login(http, "admin", ADMIN_PASSWORD)).status_code == (429 if locked else 200)
    finally:
        engine.dispose()


async def test_the_right_password_behind_the_limit_does_not_log_in_however_the_requests_race(
    app, http, counting_hasher
):
    passwords = [f"wrong-password-{i}" for i in range(40)]
    passwords[29] = "clerk-password-1"  # the right one at position 30
    responses = await asyncio.gather(*(login(http, "clerk1", p) for p in passwords))
    checked = counting_hasher.checked
    if responses[29].status_code == 200:
        # it raced ahead of the guesses: then it was one of the first checks the limit allows (a successful
        # log-in clears the account's failures, so attempts arriving after it are counted afresh)
        assert checked.index("clerk-password-1") < MAX_FAILURES_PER_USER, checked
    else:
        assert "clerk-password-1" not in checked and len(checked) <= MAX_FAILURES_PER_USER, checked
        assert responses[29].status_code == 429


async def test_attempts_counted_by_one_api_process_hold_in_another(app, http):
    other = create_app(app.state.settings, engine=app.state.engine, jurisdiction=app.state.jurisdiction)
    other.state.login_throttle = LoginThrottle(clock=app.state.clock)
    async with AsyncClient(transport=ASGITransport(app=other), base_url="http://test") as second:
        for i in range(MAX_FAILURES_PER_USER):
            assert (await login(http if i % 2 else second, "clerk1", "wrong-password")).status_code == 401
        assert (await login(second, "clerk1", "clerk-password-1")).status_code == 429
        assert (await login(http, "clerk1", "clerk-password-1")).status_code == 429


# ---- the client address: forwarded headers only from trusted proxies --------------------------------


def request_from(peer: str, forwarded: list[str], trusted: str) -> Request:
    app = type("App", (), {})()
    app.state = type("State", (), {"settings": Settings(secret_key=SECRET, trusted_proxies=trusted)})()
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 50000), "headers": headers, "app": app})


@pytest.mark.parametrize(
    "peer, forwarded, trusted, expected",
    [
        ("127.0.0.1", ["6.6.6.6"], "", "127.0.0.1"),  # nothing trusted: not even the host itself
        ("203.0.113.9", ["6.6.6.6"], "10.0.0.5", "203.0.113.9"),  # not through the proxy: the header is the client's
        ("10.0.0.5", ["198.51.100.7"], "10.0.0.5", "198.51.100.7"),
        ("10.0.0.5", ["6.6.6.6, 198.51.100.7"], "10.0.0.5", "198.51.100.7"),  # the client's own prefix is ignored
        ("10.0.0.5", ["6.6.6.6", "198.51.100.7, 10.0.0.4"], "10.0.0.0/24", "198.51.100.7"),  # two proxies
        ("10.0.0.5", ["not-an-address"], "10.0.0.5", "10.0.0.5"),
        ("10.0.0.5", [], "10.0.0.5", "10.0.0.5"),
    ],
)
def test_the_client_address_comes_from_forwarded_headers_only_through_a_trusted_proxy(
    peer, forwarded, trusted, expected
):
    assert client_address(request_from(peer, forwarded, trusted)) == expected


async def test_rotating_x_forwarded_for_does_not_escape_the_per_address_limit(app, http):
    app.state.login_throttle = LoginThrottle(max_per_client=6, clock=app.state.clock)
    for i in range(6):
        r = await http.post(
            "/api/auth/token",
            data={"username": f"guess{i}", "password": "password"},
            headers={"X-Forwarded-For": f"198.51.100.{i}"},
        )
        assert r.status_code == 401
    r = await http.post(
        "/api/auth/token",
        data={"username": "admin", "password": ADMIN_PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.200"},
    )
    assert r.status_code == 429


@pytest.fixture
def behind_proxy(app):
    """The app told that the test client's address (127.0.0.1) is its reverse proxy."""
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    yield
    app.state.settings = settings


async def test_behind_a_trusted_proxy_each_client_has_its_own_budget(app, http, behind_proxy):
    app.state.login_throttle = LoginThrottle(max_per_client=6, clock=app.state.clock)
    for i in range(6):
        r = await http.post(
            "/api/auth/token",
            data={"username": f"guess{i}", "password": "password"},
            headers={"X-Forwarded-For": "198.51.100.1"},
        )
        assert r.status_code == 401
    blocked = await http.post(
        "/api/auth/token",
        data={"username": "admin", "password": ADMIN_PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.1"},
    )
    assert blocked.status_code == 429
    other = await http.post(
        "/api/auth/token",
        data={"username": "admin", "password": ADMIN_PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.5"},
    )
    assert other.status_code == 200


def test_the_services_uvicorn_believes_forwarded_headers_only_from_configured_proxies():
    from api.__main__ import uvicorn_options

    assert uvicorn_options(Settings(secret_key=SECRET))["proxy_headers"] is False
    options = uvicorn_options(Settings(secret_key=SECRET, trusted_proxies="172.18.0.0/16, 10.0.0.5"))
    assert options["proxy_headers"] is True and options["forwarded_allow_ips"] == "172.18.0.0/16,10.0.0.5"
    with pytest.raises(ValueError, match="WAGECASE_TRUSTED_PROXIES"):
        Settings(secret_key=SECRET, trusted_proxies="proxy.example")


# ---- server-side sessions ----------------------------------------------------------------------------


async def test_logging_out_of_the_api_ends_the_token_at_once(app, http):
    token = (await login(http, "clerk1", "clerk-password-1")).json()["access_token"]
    other = (await login(http, "clerk1", "clerk-password-1")).json()["access_token"]
    assert (await http.get("/api/users/me", headers=bearer(token))).status_code == 200
    assert (await http.post("/api/auth/logout", headers=bearer(token))).status_code == 204
    r = await http.get("/api/users/me", headers=bearer(token))
    assert r.status_code == 401 and "ended" in r.json()["detail"]
    assert (await http.get("/api/users/me", headers=bearer(other))).status_code == 200  # another session stays


async def test_logging_out_of_the_web_ends_the_cookie_and_its_token_as_a_bearer(app, http):
    async with WebClient(app) as web:
        assert (await web.login("clerk1", "clerk-password-1")).status_code == 303
        token = web.http.cookies[SESSION_COOKIE]
        assert (await web.get("/logout")).status_code == 200
        assert (await web.post("/logout", {})).status_code == 303
    r = await http.get("/projects", headers={"Cookie": f"{SESSION_COOKIE}={token}"})  # the old cookie, replayed
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert (await http.get("/api/users/me", headers=bearer(token))).status_code == 401


async def test_changing_the_password_ends_every_session_of_the_user(app, http):
    with Session(app.state.engine) as session:
        create_user(session=session, username="mover", password="old-password-1", role="clerk", unit="petition")
    api_token = (await login(http, "mover", "old-password-1")).json()["access_token"]
    async with WebClient(app) as web:
        await web.login("mover", "old-password-1")
        cookie_token = web.http.cookies[SESSION_COOKIE]
    r = await http.post(
        "/api/users/me/password",
        headers=bearer(api_token),
        json={"current_password": "wrong-one-1", "new_password": "new-password-1"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.current_password"
    r = await http.post(
        "/api/users/me/password",
        headers=bearer(api_token),
        json={"current_password": "old-password-1", "new_password": "new-password-1"},
    )
    assert r.status_code == 204
    for token in (api_token, cookie_token):
        assert (await http.get("/api/users/me", headers=bearer(token))).status_code == 401
    r = await http.get("/projects", headers={"Cookie": f"{SESSION_COOKIE}={cookie_token}"})
    assert r.status_code == 303
    assert (await login(http, "mover", "old-password-1")).status_code == 401
    assert (await login(http, "mover", "new-password-1")).status_code == 200


async def test_a_token_without_an_open_session_is_refused(app, http):
    settings = app.state.settings
    for session_id in ("", "no-such-session"):
        token = create_access_token("clerk1", "clerk", "petition", settings, session_id=session_id)
        assert (await http.get("/api/users/me", headers=bearer(token))).status_code == 401
    # a session of another user does not lend itself to this one
    theirs = jwt.decode(
        (await login(http, "admin", ADMIN_PASSWORD)).json()["access_token"], SECRET, algorithms=["HS256"]
    )["jti"]
    token = create_access_token("clerk1", "clerk", "petition", settings, session_id=theirs)
    assert (await http.get("/api/users/me", headers=bearer(token))).status_code == 401


async def test_under_the_services_uvicorn_a_rotated_x_forwarded_for_from_localhost_gains_nothing(app):
    """uvicorn by itself believes X-Forwarded-For from 127.0.0.1; the service's own start does not."""
    import socket

    import uvicorn

    from api.__main__ import uvicorn_options

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.state.clock = FakeClock()
    app.state.login_throttle = LoginThrottle(max_per_client=4, clock=app.state.clock)
    with Session(app.state.engine) as session:
        session.exec(delete(LoginAttempt))
        session.commit()
    options = uvicorn_options(app.state.settings) | {
        "host": "127.0.0.1",
        "port": port,
        "log_level": "critical",
        "lifespan": "off",
    }
    server = uvicorn.Server(uvicorn.Config(app, **options))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        async with AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            codes = [
                (
                    await client.post(
                        "/api/auth/token",
                        data={"username": f"guess{i}", "password": "password"},
                        headers={"X-Forwarded-For": f"198.51.100.{i}"},
                    )
                ).status_code
                for i in range(5)
            ]
    finally:
        server.should_exit = True
        await serving
    assert codes == [401, 401, 401, 401, 429]
