"""A request limiter that never sends more than N requests in any 60-second window.

aiolimiter's leaky bucket smooths the pace (a small burst, then an even trickle), but a leaky
bucket alone lets ``burst + rate`` requests through in the first minute. A log of recent send
times caps every window exactly, so "30 per minute" holds however the window is placed.
A 429's ``Retry-After`` pauses every caller sharing the limiter.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

import anyio
from aiolimiter import AsyncLimiter

__all__ = ["RateLimiter"]

#: the window is widened by this fraction (0.6 s a minute) so that jitter between our clock
#: and the server's can never squeeze N+1 requests into one of its windows
_WINDOW_MARGIN = 0.01


class RateLimiter:
    """At most ``per_minute`` acquisitions in any ``window`` seconds; 0 means unlimited."""

    def __init__(
        self,
        per_minute: int,
        *,
        window: float = 60.0,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self._window = window * (1 + _WINDOW_MARGIN)
        self._clock = clock
        self._sent: deque[float] = deque()
        self._lock = anyio.Lock()
        self._paused_until = 0.0
        self.waiting = 0
        self._bucket: AsyncLimiter | None = None
        if per_minute > 0:
            size = burst if burst is not None else max(1, min(5, math.ceil(per_minute / 10)))
            self._bucket = AsyncLimiter(size, size * window / per_minute)

    @property
    def unlimited(self) -> bool:
        """True when no limit applies."""
        return self.per_minute <= 0

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (the server asked us to back off)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self) -> None:
        """Wait until one more request fits in the limit, then count it as sent."""
        self.waiting += 1
        try:
            await self._wait_pause()
            if self._bucket is None:
                return
            await self._bucket.acquire()
            async with self._lock:
                await self._wait_pause()
                await self._wait_window()
                self._sent.append(self._clock())
        finally:
            self.waiting -= 1

    async def _wait_pause(self) -> None:
        # a loop, not an Event: another 429 may push the deadline further while we sleep
        while (delay := self._paused_until - self._clock()) > 0:  # noqa: ASYNC110
            await anyio.sleep(delay)

    async def _wait_window(self) -> None:
        while True:
            now = self._clock()
            while self._sent and now - self._sent[0] >= self._window:
                self._sent.popleft()
            if len(self._sent) < self.per_minute:
                return
            await anyio.sleep(self._sent[0] + self._window - now)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        return None
