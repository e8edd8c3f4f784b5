"""Pure retry decisions, Retry-After parsing, and the rate limiter's window guarantee."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import anyio
import pytest

from slooh_async.api import (
    RateLimiter,
    RetryPolicy,
    backoff_delay,
    is_retryable_status,
    parse_retry_after,
)


def test_retry_after_seconds() -> None:
    """Retry-After in delta-seconds is the wait."""
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 2.5 ") == 2.5


def test_retry_after_http_date() -> None:
    """Retry-After as an HTTP date is the time left until then."""
    now = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(30.0)


@pytest.mark.parametrize("value", [None, "", "soon", "Wed, 99 Foo 2026"])
def test_retry_after_garbage_is_none(value: str | None) -> None:
    """An unparseable Retry-After is ignored (backoff applies)."""
    assert parse_retry_after(value) is None


def test_retry_after_in_the_past_is_zero() -> None:
    """A date already passed means no wait, never a negative one."""
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT") == 0.0


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (408, True),
        (429, True),
        (500, True),
        (503, True),
        (599, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (200, False),
    ],
)
def test_retryable_statuses(status: int, retry: bool) -> None:
    """Only 408, 429 and 5xx are retried."""
    assert is_retryable_status(status) is retry


def test_backoff_grows_and_is_capped() -> None:
    """Backoff doubles per attempt within jitter bounds and never exceeds the cap."""
    rng = random.Random(1)
    for attempt in range(10):
        delay = backoff_delay(attempt, base=1.0, cap=20.0, rng=rng)
        assert 0.5 <= delay <= min(20.0, 2**attempt)


def test_no_wait_policy_for_tests() -> None:
    """RetryPolicy.no_wait() waits zero, even when the server asks for a Retry-After."""
    policy = RetryPolicy.no_wait()
    assert policy.delay(5) == 0.0 and policy.delay(0, retry_after=30) == 0.0


def test_retry_after_wins_over_backoff_and_is_capped() -> None:
    """A Retry-After is the wait, capped by max_retry_after."""
    policy = RetryPolicy(base_delay=5, max_retry_after=60)
    assert policy.delay(0, retry_after=12) == 12
    assert policy.delay(0, retry_after=3600) == 60


@pytest.mark.anyio
async def test_unlimited_limiter_never_waits() -> None:
    """rate_limit 0 means no limit at all."""
    limiter = RateLimiter(0)
    started = time.monotonic()
    for _ in range(1000):
        await limiter.acquire()
    assert limiter.unlimited and time.monotonic() - started < 1.0


@pytest.mark.anyio
async def test_no_window_ever_exceeds_the_limit() -> None:
    """Over any window the number of acquisitions stays within the limit (scaled window)."""
    window, limit = 0.6, 6
    limiter = RateLimiter(limit, window=window)
    stamps: list[float] = []

    async def user() -> None:
        for _ in range(4):
            await limiter.acquire()
            stamps.append(time.monotonic())

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(user)
    stamps.sort()
    assert len(stamps) == 16
    for i, start in enumerate(stamps):
        inside = [s for s in stamps[i:] if s - start < window]
        assert len(inside) <= limit
    # and it is not needlessly slow: 16 calls at 6 per 0.6 s fit in about 1.3 s
    assert stamps[-1] - stamps[0] < 2.5


@pytest.mark.anyio
async def test_burst_is_allowed_at_start() -> None:
    """The first few requests go out at once (login plus a page need no waiting)."""
    limiter = RateLimiter(30)
    started = time.monotonic()
    for _ in range(3):
        await limiter.acquire()
    assert time.monotonic() - started < 0.5


@pytest.mark.anyio
async def test_pause_holds_every_caller() -> None:
    """pause() (a 429's Retry-After) delays the next acquisition for everyone."""
    limiter = RateLimiter(0)
    limiter.pause(0.3)
    started = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - started >= 0.25


@pytest.mark.anyio
async def test_every_wait_for_the_budget_is_told() -> None:
    """A request held back by the budget is announced before it waits, with about how long
    (the display's "rate limit: next request in N s"), whichever part of the limiter holds it."""
    told: list[tuple[float, str]] = []
    limiter = RateLimiter(2, window=0.6, on_wait=lambda seconds, why: told.append((seconds, why)))
    started = time.monotonic()
    for _ in range(3):
        await limiter.acquire()
    waited = time.monotonic() - started
    assert waited >= 0.5  # the third waited for the window
    seconds, why = told[0]
    assert why == "rate-limit" and seconds == pytest.approx(0.3)  # one unit's leak: 0.6 / 2
    assert sum(seconds for seconds, _ in told) >= waited - 0.1
