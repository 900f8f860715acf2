"""Fixed-window counters in the shared cache, so every gunicorn worker sees one count.

Keys are keyed hashes of what is counted (an address, an email), never the value
itself, and they expire with their window.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.crypto import salted_hmac


@dataclass(frozen=True)
class Window:
    count: int
    resets_at: float  # Unix time


class Limiter:
    def __init__(self, name: str, *, limit: int, window: int):
        self.name = name
        self.limit = limit
        self.window = window

    def _key(self, parts) -> str:
        digest = salted_hmac(f"joinrun.ratelimit.{self.name}", "\x00".join(parts)).hexdigest()
        return f"ratelimit:{self.name}:{digest[:40]}"

    def current(self, *parts: str, now: float | None = None) -> Window | None:
        now = time.time() if now is None else now
        stored = cache.get(self._key(parts))
        if not stored or stored[1] <= now:
            return None
        return Window(count=stored[0], resets_at=stored[1])

    def exceeded(self, *parts: str, now: float | None = None) -> Window | None:
        """The window if ``parts`` reached the limit, else None."""
        window = self.current(*parts, now=now)
        return window if window and window.count >= self.limit else None

    def record(self, *parts: str, now: float | None = None) -> Window:
        # get-then-set is not atomic: two workers counting at the same instant may count
        # once. For a limit of ten in fifteen minutes that is harmless, and it keeps the
        # expiry right on every cache backend (BaseCache.incr resets the timeout).
        now = time.time() if now is None else now
        current = self.current(*parts, now=now)
        if current is None:
            current = Window(count=0, resets_at=now + self.window)
        window = Window(count=current.count + 1, resets_at=current.resets_at)
        timeout = max(1, int(window.resets_at - now) + 1)
        cache.set(self._key(parts), (window.count, window.resets_at), timeout)
        return window

    def hit(self, *parts: str, now: float | None = None) -> bool:
        """Counts one more and says whether it is still within the limit."""
        return self.record(*parts, now=now).count <= self.limit

    def clear(self, *parts: str) -> None:
        cache.delete(self._key(parts))
