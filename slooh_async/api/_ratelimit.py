"""The rate budget: never more than N requests to the service in any 60-second window.

One limiter is shared by every request of a run, API calls and file downloads alike (the
files come from Slooh's own hosts: a user's account must never look like a scraper).
Callers pass aiolimiter's leaky bucket (capacity N, N a minute: the design's limiter), then
a log of recent requests that caps every window exactly: a leaky bucket alone lets up to 2N-1
through in a minute after a pause. The log is the stricter of the two, so it is what decides
when a request goes and what a waiting caller is told; the bucket is the outer gate. A burst
of up to N is allowed, so small runs are never slowed; long runs settle at N a minute.
Callers are served in order (first come, first served). A 429's ``Retry-After`` pauses every
caller.

The window is counted as the *server* sees it. A request takes its place in the log when it
is let go, undated, and is dated when its answer arrives (:meth:`RateLimiter.slot`): the
server had it by then, so a place frees 60 s after a time the server's own clock has passed.
Dating it when it was let go would be wrong on a loaded machine or a slow network: a request
that spent a second on its way and one sent promptly 59.5 s later land in one of the server's
minutes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Literal

import anyio
from aiolimiter import AsyncLimiter

__all__ = ["RateLimiter", "Slot", "WaitReason", "budget_seconds"]

#: the window is widened by this fraction (0.6 s a minute) so that jitter between our clock
#: and the server's can never squeeze N+1 requests into one of its windows
_WINDOW_MARGIN = 0.01
#: waits shorter than this are not worth telling anyone about
_NOTICEABLE = 0.05
#: a full window whose oldest places are still on their way is looked at again this often
_LOOK_AGAIN = 0.25
_EPSILON = 1e-6

WaitReason = Literal["rate-limit", "server"]
#: told when a request must wait: (seconds, why)
OnWait = Callable[[float, WaitReason], None]


def budget_seconds(requests: int, per_minute: int, *, window: float = 60.0) -> float:
    """The least time ``requests`` requests can take under the budget (bursts allowed): the
    last one may go once ``(requests - 1) // per_minute`` whole windows have passed."""
    if per_minute <= 0 or requests <= per_minute:
        return 0.0
    return (requests - 1) // per_minute * window


class Slot:
    """One request's place in the budget, dated by :meth:`arrived` when the answer came."""

    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter
        self.dated = False

    def arrived(self) -> None:
        """The answer's headers are here: the server has the request (idempotent)."""
        if not self.dated:
            self.dated = True
            self._limiter._date()


class RateLimiter:
    """At most ``per_minute`` acquisitions in any ``window`` seconds; 0 means unlimited.

    ``clock`` and ``sleep`` are the time source (tests pass a virtual clock); ``on_wait`` is
    told of every noticeable wait, so a display can say what the run is waiting for.
    """

    def __init__(
        self,
        per_minute: int,
        *,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        on_wait: OnWait | None = None,
    ) -> None:
        self.per_minute = per_minute
        self.window = window
        self._span = window * (1 + _WINDOW_MARGIN)
        self._clock = clock
        self._sent: deque[float] = deque()  # dated requests, oldest first
        self._undated = 0  # requests let go whose answer has not come yet
        self._lock = anyio.Lock()
        self._paused_until = 0.0
        self.on_wait = on_wait
        #: requests waiting for their turn right now
        self.waiting = 0
        #: requests sent so far (for budget reports)
        self.sent = 0
        self._bucket = AsyncLimiter(per_minute, window) if per_minute > 0 else None

    @property
    def unlimited(self) -> bool:
        """True when no limit applies."""
        return self.per_minute <= 0

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (the server asked us to back off)."""
        until = self._clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._tell(seconds, "server")

    def next_slot_in(self) -> float:
        """Seconds until the next request may go (0 when it may go now; a full window of
        requests still on their way counts as a whole window)."""
        now = self._clock()
        wait = max(0.0, self._paused_until - now)
        if self._bucket is None:
            return wait
        recent = [sent for sent in self._sent if now - sent < self._span]
        over = len(recent) + self._undated - self.per_minute
        if over >= 0:
            frees = recent[over] + self._span - now if over < len(recent) else self._span
            wait = max(wait, frees)
        return wait

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        """Wait until one more request fits in the budget and hold its place while it is on
        its way: call ``slot.arrived()`` when the answer's headers come (else it is dated
        when the block ends, answer or error)."""
        slot = await self._take()
        try:
            yield slot
        finally:
            slot.arrived()

    async def acquire(self) -> None:
        """Wait until one more request fits in the budget, and date it now (for callers that
        cannot tell when their request arrived; :meth:`slot` is exact)."""
        (await self._take()).arrived()

    async def _take(self) -> Slot:
        self.waiting += 1
        try:
            await self._wait_pause()
            if self._bucket is not None:
                async with self._lock:  # fair: anyio's lock serves waiters in order
                    self._tell(self.next_slot_in(), "rate-limit")
                    await self._bucket.acquire()
                    await self._wait_window()
                    await self._wait_pause()
                    self._undated += 1
            self.sent += 1
        finally:
            self.waiting -= 1
        slot = Slot(self)
        slot.dated = self._bucket is None  # unlimited: nothing to date
        return slot

    def _date(self) -> None:
        self._undated -= 1
        self._sent.append(self._clock())  # answers come in time order: the log stays sorted

    async def _wait_pause(self) -> None:
        # a loop, not an Event: another 429 may push the deadline further while we sleep
        while (delay := self._paused_until - self._clock()) > 0:  # noqa: ASYNC110
            await anyio.sleep(delay)

    async def _wait_window(self) -> None:
        while True:
            now = self._clock()
            # a place frees at the end of its window, give or take a rounding error (a sleep
            # until exactly then must not come back a hair early and find it still taken)
            while self._sent and now - self._sent[0] >= self._span - _EPSILON:
                self._sent.popleft()
            if len(self._sent) + self._undated < self.per_minute:
                return
            # the oldest dated request frees its place at the end of its window; a request
            # on its way frees nothing until it is dated: look again now and then
            frees = self._sent[0] + self._span - now if self._sent else _LOOK_AGAIN
            await anyio.sleep(max(_EPSILON, min(frees, _LOOK_AGAIN)))

    def _tell(self, seconds: float, reason: WaitReason) -> None:
        if self.on_wait is not None and seconds >= _NOTICEABLE:
            self.on_wait(seconds, reason)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        return None
