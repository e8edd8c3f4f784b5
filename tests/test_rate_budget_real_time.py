"""The rate budget on the real clock: what the virtual-time tests assume, checked once for real.

The limiter's own tests (test_retry_ratelimit.py) run on a virtual-time loop. This one waits a
real minute, so it is marked slow (``make test-slow``): it shows that the limiter's default
clock (``time.monotonic``) and aiolimiter's (the event loop's) agree, so the virtual figures
hold in real time too.
"""

from __future__ import annotations

import time

import anyio
import pytest

from slooh_async.api import RateLimiter

#: the limiter's window: 60 s widened by its 1% margin
SPAN = 60.6


@pytest.mark.slow
@pytest.mark.timeout(150)
@pytest.mark.anyio
async def test_thirty_a_minute_on_the_real_clock() -> None:
    """45 requests at 30 a minute on the real clock: 30 go at once, the other 15 a full window
    later (not before, and without dawdling); never more than 30 in any 60 s."""
    limiter = RateLimiter(30)
    start = time.monotonic()
    sent: list[float] = []

    async def caller() -> None:
        await limiter.acquire()
        sent.append(time.monotonic() - start)

    async with anyio.create_task_group() as tg:
        for _ in range(45):
            tg.start_soon(caller)
    assert len(sent) == 45
    assert max(sent[:30]) < 1.0
    assert all(SPAN <= when < SPAN + 2.0 for when in sent[30:])
    for i, first in enumerate(sent):
        assert sum(1 for when in sent[i:] if when - first < 60.0) <= 30
