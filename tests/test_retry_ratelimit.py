"""Pure retry decisions, Retry-After parsing, and the rate budget's guarantees.

The limiter's tests run on a virtual-time event loop (``virtual_time``): whole minutes of budget
pass in milliseconds, and every send time they record is exact.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import anyio
import pytest
from virtual_time import VIRTUAL_TIME, AnyioBackend

from slooh_async.api import (
    RateLimiter,
    RetryPolicy,
    WaitReason,
    backoff_delay,
    budget_seconds,
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


# --------------------------------------------------------------------------- the rate budget

#: the limiter widens its window by 1% so that clock jitter can never squeeze N+1 requests
#: into one of the server's windows: a full window is this long
SPAN = 60.0 * 1.01


@pytest.fixture
def anyio_backend() -> AnyioBackend:
    """The limiter's tests run in virtual time."""
    return VIRTUAL_TIME


def limiter_of(per_minute: int, waits: list[tuple[float, WaitReason]] | None = None) -> RateLimiter:
    """A limiter on the event loop's (virtual) clock; ``waits`` collects what on_wait hears."""
    on_wait = None if waits is None else (lambda s, why: waits.append((s, why)))
    return RateLimiter(per_minute, clock=anyio.current_time, on_wait=on_wait)


async def send_all(limiter: RateLimiter, requests: int) -> list[tuple[int, float]]:
    """``requests`` callers, started in order, each acquiring once: (caller, time sent) in the
    order they were let through."""
    sent: list[tuple[int, float]] = []

    async def caller(number: int) -> None:
        await limiter.acquire()
        sent.append((number, anyio.current_time()))

    async with anyio.create_task_group() as tg:
        for number in range(requests):
            tg.start_soon(caller, number)
    return sent


def busiest_window(times: list[float], window: float = 60.0) -> int:
    """The most send times in any ``window`` seconds (a sliding count from every send)."""
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t - start < window) for i, start in enumerate(times))


def test_budget_seconds_is_the_ideal_time() -> None:
    """R requests at N a minute need (R - 1) // N whole windows; a burst of N needs none."""
    assert budget_seconds(0, 30) == budget_seconds(1, 30) == budget_seconds(30, 30) == 0.0
    assert budget_seconds(31, 30) == 60.0
    assert budget_seconds(90, 30) == 120.0
    assert budget_seconds(91, 30) == 180.0
    assert budget_seconds(5000, 0) == 0.0  # unlimited
    assert budget_seconds(7, 3, window=10.0) == 20.0


@pytest.mark.anyio
async def test_unlimited_limiter_never_waits() -> None:
    """rate_limit 0 means no limit at all: a thousand requests go without a moment's wait."""
    limiter = limiter_of(0)
    for _ in range(1000):
        await limiter.acquire()
    assert limiter.unlimited and anyio.current_time() == 0.0
    assert limiter.sent == 1000 and limiter.next_slot_in() == 0.0


@pytest.mark.anyio
async def test_thirty_a_minute_sends_ninety_in_three_bursts() -> None:
    """30 a minute, 90 requests: 30 go at once, then 30 as each full window ends; never more
    than 30 in any 60 s; the last goes at the ideal time (widened by the 1% margin)."""
    waits: list[tuple[float, WaitReason]] = []
    limiter = limiter_of(30, waits)
    sent = await send_all(limiter, 90)
    times = [when for _, when in sent]
    assert times == pytest.approx([0.0] * 30 + [SPAN] * 30 + [2 * SPAN] * 30)
    assert busiest_window(times) == 30
    assert times[-1] == pytest.approx(budget_seconds(90, 30) * 1.01)
    assert limiter.sent == 90 and limiter.waiting == 0
    assert {why for _, why in waits} == {"rate-limit"} and len(waits) == 2


@pytest.mark.anyio
async def test_callers_are_served_first_come_first_served() -> None:
    """The budget lets callers through in the order they asked, across window boundaries."""
    sent = await send_all(limiter_of(4), 13)
    assert [number for number, _ in sent] == list(range(13))
    assert [when for _, when in sent] == pytest.approx(
        [0.0] * 4 + [SPAN] * 4 + [2 * SPAN] * 4 + [3 * SPAN]
    )


@pytest.mark.anyio
async def test_no_window_ever_exceeds_the_limit_with_callers_coming_and_going() -> None:
    """Four users sending four requests each, with think time between them: never more than
    six in any window, and no slower than the budget needs (16 at 6 a minute: 3 windows)."""
    limiter = limiter_of(6)
    times: list[float] = []

    async def user(think: float) -> None:
        for _ in range(4):
            await limiter.acquire()
            times.append(anyio.current_time())
            await anyio.sleep(think)

    async with anyio.create_task_group() as tg:
        for think in (0.0, 7.0, 19.0, 45.0):
            tg.start_soon(user, think)
    assert len(times) == 16
    assert busiest_window(times) == 6
    assert max(times) <= 2 * SPAN + 45.0


@pytest.mark.anyio
async def test_a_burst_up_to_the_budget_goes_at_once() -> None:
    """The first N requests never wait (login and a page need no waiting); the N+1st does."""
    limiter = limiter_of(30)
    for _ in range(30):
        await limiter.acquire()
    assert anyio.current_time() == 0.0
    await limiter.acquire()
    assert anyio.current_time() == pytest.approx(SPAN)


@pytest.mark.anyio
async def test_pause_holds_every_caller() -> None:
    """pause() (a 429's Retry-After) holds every caller, limited or not, until it ends; the
    server's wait is told with its reason."""
    for per_minute in (0, 30):
        waits: list[tuple[float, WaitReason]] = []
        limiter = limiter_of(per_minute, waits)
        start = anyio.current_time()
        limiter.pause(10.0)
        sent = await send_all(limiter, 3)
        assert [when - start for _, when in sent] == pytest.approx([10.0] * 3)
        assert waits == [(10.0, "server")]


@pytest.mark.anyio
async def test_a_later_pause_extends_the_wait_and_a_shorter_one_does_not_cut_it() -> None:
    """A second 429 while callers wait pushes the deadline further; a shorter one changes
    nothing (and is not reported again)."""
    waits: list[tuple[float, WaitReason]] = []
    limiter = limiter_of(30, waits)
    limiter.pause(10.0)
    limiter.pause(3.0)
    done: list[float] = []

    async def caller() -> None:
        await limiter.acquire()
        done.append(anyio.current_time())

    async with anyio.create_task_group() as tg:
        tg.start_soon(caller)
        await anyio.sleep(5.0)
        limiter.pause(20.0)  # now 25 s from the start
    assert done == pytest.approx([25.0])
    assert waits == [(10.0, "server"), (20.0, "server")]


@pytest.mark.anyio
async def test_next_slot_in_says_when_the_next_request_may_go() -> None:
    """next_slot_in() is 0 while the budget has room, the rest of the window once it is
    spent, and the rest of a pause when that is longer."""
    limiter = limiter_of(3)
    assert limiter.next_slot_in() == 0.0
    for _ in range(3):
        await limiter.acquire()
    assert limiter.next_slot_in() == pytest.approx(SPAN)
    await anyio.sleep(20.0)
    assert limiter.next_slot_in() == pytest.approx(SPAN - 20.0)
    limiter.pause(100.0)
    assert limiter.next_slot_in() == pytest.approx(100.0)
    unlimited = limiter_of(0)
    unlimited.pause(5.0)
    assert unlimited.next_slot_in() == pytest.approx(5.0)


@pytest.mark.anyio
async def test_on_wait_hears_noticeable_waits_only() -> None:
    """on_wait is told (seconds, "rate-limit") when the window is full and (seconds, "server")
    on a pause; waits under 0.05 s are not worth telling."""
    waits: list[tuple[float, WaitReason]] = []
    limiter = limiter_of(2, waits)
    limiter.pause(0.01)  # held, but not worth a word
    assert waits == []
    for _ in range(3):
        await limiter.acquire()
    # the third waits until the first two are a full window old: told once, up front, with
    # the whole wait (the leaky bucket would let it through after 30 s; the window rules)
    ((seconds, why),) = waits
    assert why == "rate-limit" and seconds == pytest.approx(SPAN)
    assert anyio.current_time() == pytest.approx(0.01 + SPAN)
    limiter.pause(12.0)
    assert waits[-1] == (12.0, "server")


@pytest.mark.anyio
async def test_the_wait_told_is_the_wait_taken() -> None:
    """At 1 a minute, a request 30 s after the last is told the ~30.6 s it really waits (the
    window's rest), not a whole minute of the leaky bucket's unit."""
    waits: list[tuple[float, WaitReason]] = []
    limiter = limiter_of(1, waits)
    await limiter.acquire()
    await anyio.sleep(30.0)
    await limiter.acquire()
    ((seconds, why),) = waits
    assert why == "rate-limit" and seconds == pytest.approx(SPAN - 30.0)
    assert anyio.current_time() == pytest.approx(SPAN)


@pytest.mark.anyio
async def test_the_limiter_is_an_async_context_manager() -> None:
    """``async with limiter:`` acquires one request's place in the budget."""
    limiter = limiter_of(1)
    async with limiter:
        pass
    async with limiter:
        pass
    assert limiter.sent == 2 and anyio.current_time() == pytest.approx(SPAN)


@pytest.mark.anyio
async def test_a_place_frees_a_window_after_its_answer_came_not_after_it_left() -> None:
    """The window is counted as the server sees it: a request's place is dated when its
    answer arrives, so one that took 5 s on its way frees its place 5 s later than one
    answered at once; requests still on their way hold their places however long."""
    limiter = limiter_of(2)
    sent: list[float] = []

    async def request(in_flight: float) -> None:
        async with limiter.slot() as slot:
            sent.append(anyio.current_time())
            await anyio.sleep(in_flight)
            slot.arrived()

    async with anyio.create_task_group() as tg:
        tg.start_soon(request, 5.0)  # answered at 5 s
        tg.start_soon(request, 0.0)  # answered at once
        await anyio.sleep(0.001)
        tg.start_soon(request, 0.0)  # waits for the second's place: 0 + 60.6
        tg.start_soon(request, 0.0)  # then for the first's: 5 + 60.6
    assert sent == pytest.approx([0.0, 0.0, SPAN, 5.0 + SPAN], abs=0.01)

    slow = limiter_of(1)
    times: list[float] = []
    start = anyio.current_time()

    async def held(seconds: float) -> None:
        async with slow.slot():
            times.append(anyio.current_time())
            await anyio.sleep(seconds)  # no answer yet: the place stays taken

    async with anyio.create_task_group() as tg:
        tg.start_soon(held, 100.0)
        await anyio.sleep(0.001)
        tg.start_soon(held, 0.0)
    assert [when - start for when in times] == pytest.approx([0.0, 100.0 + SPAN], abs=0.3)
