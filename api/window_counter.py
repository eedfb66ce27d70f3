"""A sliding-window counter per key and per client address, kept in the API process.

The public routes (a complainant's look-ups, online complaints) use it; log-ins are counted in the database
(api/throttle.py), since several API processes share one account's budget.
"""

import threading
import time
from collections import deque
from collections.abc import Callable

_MAX_KEYS = 10_000  # bounded memory: older keys are dropped first


class WindowCounter:
    """Events (failed look-ups, complaints) per key and per client address in a sliding window, counted in
    this process (a restart forgets them)."""

    def __init__(
        self,
        *,
        max_per_user: int,
        max_per_client: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ):
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
        """Seconds until this key may be tried again from this client; 0 when a try is allowed now."""
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
        """Count one event for the key and the client."""
        now = self.clock()
        with self._lock:
            if len(self._failures) >= _MAX_KEYS:
                oldest = min(self._failures, key=lambda k: self._failures[k][-1] if self._failures[k] else 0)
                del self._failures[oldest]
            for key in self._keys(username, client):
                self._failures.setdefault(key, deque()).append(now)
