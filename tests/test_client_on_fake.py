"""SloohClient's flows against the bundled fake Slooh, in process (httpx.ASGITransport, no
sockets): paging through a catalog, pictures shifting mid-scan, sessions that end loudly or
silently, concurrent re-login, and the rate budget measured by the server's own log.

The single quirks of each endpoint are pinned with respx routes in test_api_contract.py.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from virtual_time import VIRTUAL_TIME

from slooh_async.api import Envelope, RateLimiter, RetryPolicy, SloohClient
from slooh_async.fake_server import FakeConfig, FakeSloohApp, Faults, create_app

pytestmark = pytest.mark.anyio

PICTURES = 120


def fake(faults: Faults | None = None) -> FakeSloohApp:
    """A fake account of 120 pictures (and their missions' FITS), faults as given, on the
    event loop's clock (virtual in the tests that ask for it)."""
    config = FakeConfig(pictures=PICTURES, seed=7, faults=faults or Faults())
    return create_app(config, "http://files.fake", clock=anyio.current_time)


def client_of(app: FakeSloohApp, limiter: RateLimiter | None = None) -> SloohClient:
    """A client whose requests go straight into the app (no retry waits)."""
    return SloohClient(
        base_url="http://api.fake",
        username=app.state.config.username,
        password=app.state.config.password,
        rate_limit=0,
        retry=RetryPolicy.no_wait(max_retries=3),
        limiter=limiter,
        transport=httpx.ASGITransport(app=app),
    )


def logins(app: FakeSloohApp) -> int:
    """How many times the client logged in (from the server's request log)."""
    return len(app.state.log.calls("login"))


def photo_roll(app: FakeSloohApp) -> list[str]:
    """The keys of every picture the account holds, newest first."""
    return [item.key for item in app.state.catalog.photo_roll]


async def test_paging_stops_at_total_count_string() -> None:
    """120 pictures at 50 a page: exactly 3 page calls and one login; every picture once, in
    the photoRoll's order."""
    app = fake()
    async with client_of(app) as client:
        keys = [p.key async for p in client.iter_pictures(50)]
    assert keys == photo_roll(app)
    assert len(app.state.log.calls("getMyPictures")) == 3 and logins(app) == 1


async def test_each_answer_is_read_for_errors_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer's error envelope is read once, by the transport (to decide on a retry); the
    client raises what that reading says instead of reading the answer again."""
    reads: list[object] = []
    real = Envelope.model_validate

    def counting(obj: Any, **kwargs: Any) -> Envelope:
        reads.append(obj)
        return real(obj, **kwargs)

    monkeypatch.setattr(Envelope, "model_validate", counting)
    app = fake()
    async with client_of(app) as client:
        keys = [p.key async for p in client.iter_pictures(50)]
        answers = sum(client.calls.values())
    assert len(keys) == PICTURES and answers == 5  # a session token, a login, 3 pages
    assert len(reads) == answers


async def test_positions_and_start() -> None:
    """Pictures carry their 1-based photoRoll position; `start` skips the newest ones."""
    app = fake()
    async with client_of(app) as client:
        pictures = [p async for p in client.iter_pictures(50, start=101)]
    assert [p.position for p in pictures] == list(range(101, 121))
    assert [p.key for p in pictures] == photo_roll(app)[100:]


async def test_items_shifting_between_pages_are_deduplicated() -> None:
    """A picture added at the top mid-scan shifts items down a page; none is yielded twice
    and none is missed."""
    app = fake()
    before = photo_roll(app)
    keys: list[str] = []
    async with client_of(app) as client:
        async for pictures in client.iter_picture_pages(50):
            if not keys:
                app.state.catalog.add_pictures(1)
            keys += [p.key for p in pictures]
    assert len(keys) == len(set(keys)) == PICTURES
    assert set(keys) == set(before)


async def test_explicit_401_relogs_in_once_and_repeats() -> None:
    """A session ended with statusCode 401: one re-login and the call is repeated."""
    app = fake(Faults(expiry_mode="401"))
    async with client_of(app) as client:
        await client.get_pictures(1, 1)
        app.state.sessions.expire_all()
        page = await client.get_pictures(1, 10)
    assert [p.key for p in page.pictures] == photo_roll(app)[:10]
    assert logins(app) == 2


async def test_silent_expiry_mid_scan_yields_every_picture_once() -> None:
    """The session dies silently after the first page (empty pages, totalCount "0"): one
    re-login and the scan goes on, every picture exactly once."""
    app = fake(Faults(expiry_mode="silent"))
    keys: list[str] = []
    async with client_of(app) as client:
        async for pictures in client.iter_picture_pages(50):
            if not keys:
                app.state.sessions.expire_all()
            keys += [p.key for p in pictures]
    assert keys == photo_roll(app)
    assert logins(app) == 2


async def test_concurrent_expiry_triggers_a_single_login() -> None:
    """Ten coroutines that hit an expired session together cause one re-login, not ten."""
    app = fake(Faults(expiry_mode="401"))
    results: list[int] = []
    async with client_of(app) as client:
        await client.login()
        app.state.sessions.expire_all()

        async def one() -> None:
            page = await client.get_pictures(1, 2)
            results.append(len(page.pictures))

        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(one)
    assert results == [2] * 10
    assert logins(app) == 2


async def test_empty_fits_answer_is_checked_against_silent_expiry() -> None:
    """An empty FITS list from a silently dead session is detected by a probe (an empty
    photoRoll), and asked again after a new login."""
    app = fake(Faults(expiry_mode="silent"))
    mission = next(m for m in app.state.catalog.missions if m.fits_available)
    async with client_of(app) as client:
        await client.login()
        app.state.sessions.expire_all()
        frames = [f async for f in client.iter_mission_fits(mission.mission_id)]
    assert [f.filename for f in frames] == [item.filename for item in mission.fits_files]
    assert logins(app) == 2


async def test_a_mission_without_fits_is_answered_without_a_new_login() -> None:
    """An empty FITS list from a live session is genuine: the probe finds pictures and
    nobody logs in again."""
    app = fake()
    mission = next(m for m in app.state.catalog.missions if not m.fits_available)
    async with client_of(app) as client:
        frames = [f async for f in client.iter_mission_fits(mission.mission_id)]
    assert frames == [] and logins(app) == 1


@pytest.mark.parametrize("anyio_backend", [VIRTUAL_TIME], ids=["virtual-time"])
async def test_the_rate_budget_holds_at_the_server() -> None:
    """6 a minute over 22 requests (token, login, 20 pages), counted in the server's own
    log: never more than 6 in any 60 s, and done in three full windows (the 1% margin
    included), not later."""
    app = fake()
    limiter = RateLimiter(6, clock=anyio.current_time)
    async with client_of(app, limiter) as client:
        for first in range(1, 200, 10):
            await client.get_pictures(first, 10)
    stamps = sorted(record.started for record in app.state.log.records())
    assert len(stamps) == 22
    for i, start in enumerate(stamps):
        assert sum(1 for s in stamps[i:] if s - start < 60.0) <= 6
    assert stamps[6] == pytest.approx(60.6) and stamps[-1] == pytest.approx(3 * 60.6)
