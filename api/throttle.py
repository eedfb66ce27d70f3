"""Throttling of log-ins: after too many failures for one account or from one address, wait.

Every attempt is counted in the database (db.logins) *before* its password is checked, and its count is
read back after that commit, so that however many attempts run at once, in however many API processes, at
most the allowed number reach the password check. A failed attempt stays counted for the window; a
successful one clears the account's count; one refused with 429 is not counted (the lock lifts a window
after the last failure, whatever a guesser keeps sending). The API's token endpoint and the web UI's login
form share the app's throttle (app.state.login_throttle).

The client address is the connection's peer, or the address a trusted proxy forwarded (client_address).
"""

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import HTTPException, Request, status
from sqlalchemy import Engine

from db.logins import add_attempts, forget_attempts, nth_newest_attempt

MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 30
WINDOW_SECONDS = 15 * 60


@dataclass
class LoginAttempt:
    """One counted attempt; `wait` > 0: refused, try again in that many seconds."""

    username: str
    keys: tuple[str, str]
    ids: list[int] = field(default_factory=list)
    wait: int = 0


class LoginThrottle:
    """Log-in attempts per username and per client address in a sliding window, counted in the database."""

    def __init__(
        self,
        *,
        max_per_user: int = MAX_FAILURES_PER_USER,
        max_per_client: int = MAX_FAILURES_PER_CLIENT,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
    ):
        self.max_per_user = max_per_user
        self.max_per_client = max_per_client
        self.window = window_seconds
        self.clock = clock  # wall-clock seconds: every process of the service counts on the same scale

    @staticmethod
    def keys(username: str, client: str) -> tuple[str, str]:
        return f"user:{username.strip()[:64]}", f"client:{client[:64]}"

    def begin(self, engine: Engine, username: str, client: str) -> LoginAttempt:
        """Count an attempt, then see whether it is within the limits; if not, uncount it and say how long
        to wait. Call `finish` with the result of the password check of an allowed attempt."""
        now = self.clock()
        attempt = LoginAttempt(username=username, keys=self.keys(username, client))
        attempt.ids = add_attempts(engine=engine, keys=attempt.keys, at=now, forget_before=now - self.window)
        wait = 0.0
        for key, limit in zip(attempt.keys, (self.max_per_user, self.max_per_client)):
            # allowed while fewer than `limit` other attempts count; else the limit-th newest must leave first
            oldest = nth_newest_attempt(
                engine=engine, key=key, since=now - self.window, n=limit, except_ids=attempt.ids
            )
            if oldest is not None:
                wait = max(wait, oldest + self.window - now)
        if wait > 0:
            forget_attempts(engine=engine, ids=attempt.ids)
            attempt.wait = int(wait) + 1
        return attempt

    def finish(self, engine: Engine, attempt: LoginAttempt, ok: bool) -> None:
        """A failure stays counted; a success clears the account's count (and is no failure of the address)."""
        if ok:
            forget_attempts(engine=engine, ids=attempt.ids, keys=attempt.keys[:1])


def _networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()]


def _within(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: Request) -> str:
    """The client's address: the connection's peer, unless the peer is a proxy listed in
    WAGECASE_TRUSTED_PROXIES; then the nearest address in X-Forwarded-For that is not such a proxy.
    (Addresses left of that one are whatever the client chose to send, so they are never used.)"""
    peer = request.client.host if request.client else "unknown"
    trusted = _networks(request.app.state.settings.trusted_proxies)
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [hop.strip() for header in request.headers.getlist("x-forwarded-for") for hop in header.split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _within(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a garbled header: the proxy itself is all we know
    return peer


def _engine(request: Request) -> Engine:
    return request.app.state.engine


def count_login_attempt(request: Request, username: str) -> LoginAttempt:
    """Count this log-in attempt before its password is checked; `wait` > 0 when it is refused."""
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle.begin(_engine(request), username, client_address(request))


def ensure_login_allowed(request: Request, username: str) -> LoginAttempt:
    """The counted attempt; 429 with Retry-After when this account or address has failed too often lately."""
    attempt = count_login_attempt(request, username)
    if attempt.wait:
        wait = attempt.wait
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many failed log-ins for this account or from this address; try again in {wait} s "
            f"(登录失败次数过多，请{(wait + 59) // 60}分钟后再试)",
            headers={"Retry-After": str(wait)},
        )
    return attempt


def note_login(request: Request, attempt: LoginAttempt, ok: bool) -> None:
    """The password check of a counted attempt is done: keep a failure counted, clear on success."""
    throttle: LoginThrottle = request.app.state.login_throttle
    throttle.finish(_engine(request), attempt, ok)
