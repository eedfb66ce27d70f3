"""Throttling of failed log-ins: after too many failures for one account or from one address, wait.

Counts live in the API process (one process per deployment here); a restart forgets them. The API's
token endpoint and the web UI's login form share the app's throttle (app.state.login_throttle).
"""

import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import HTTPException, Request, status

MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 30
WINDOW_SECONDS = 15 * 60
_MAX_KEYS = 10_000  # bounded memory: older keys are dropped first


class LoginThrottle:
    """Failed log-ins per username and per client address in a sliding window."""

    def __init__(self, *, max_per_user: int = MAX_FAILURES_PER_USER, max_per_client: int = MAX_FAILURES_PER_CLIENT,
                 window_seconds: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.max_per_user = max_per_user
        self.max_per_client = max_per_client
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, client: str) -> tuple[str, str]:
        return f"user:{username.strip()[:64]}", f"client:{client}"

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, username: str, client: str) -> int:
        """Seconds until this user may try again from this client; 0 when a try is allowed now."""
        now = self.clock()
        user_key, client_key = self._keys(username, client)
        wait = 0.0
        with self._lock:
            for key, limit in ((user_key, self.max_per_user), (client_key, self.max_per_client)):
                times = self._recent(key, now)
                if len(times) >= limit:
                    # the oldest failure that still counts must leave the window first
                    wait = max(wait, times[len(times) - limit] + self.window - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, username: str, client: str) -> None:
        """Count one failed log-in."""
        now = self.clock()
        with self._lock:
            if len(self._failures) >= _MAX_KEYS:
                oldest = min(self._failures, key=lambda k: self._failures[k][-1] if self._failures[k] else 0)
                del self._failures[oldest]
            for key in self._keys(username, client):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str) -> None:
        """Forget the account's failures after a successful log-in."""
        with self._lock:
            self._failures.pop(self._keys(username, "")[0], None)


def client_address(request: Request) -> str:
    """The client's address as the server sees it."""
    return request.client.host if request.client else "unknown"


def ensure_login_allowed(request: Request, username: str) -> None:
    """429 with Retry-After when this account or address has failed too often lately."""
    throttle: LoginThrottle = request.app.state.login_throttle
    wait = throttle.retry_after(username, client_address(request))
    if wait:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many failed log-ins for this account or from this address; try again in {wait} s "
                   f"(登录失败次数过多，请{(wait + 59) // 60}分钟后再试)",
            headers={"Retry-After": str(wait)},
        )


def note_login(request: Request, username: str, ok: bool) -> None:
    """Count a failed log-in, or clear the account's count after a successful one."""
    throttle: LoginThrottle = request.app.state.login_throttle
    if ok:
        throttle.succeeded(username)
    else:
        throttle.failed(username, client_address(request))
