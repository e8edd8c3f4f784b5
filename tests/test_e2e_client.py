"""SloohClient against the fake Slooh over loopback sockets: call counts, expiry, faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from slooh_async.api import RateLimiter, RetryPolicy, SloohClient
from slooh_async.fake_server import FakeConfig, FakeSlooh, Faults

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlooh]:
    """2,000 pictures; FITS off so that only picture pages are listed."""
    with FakeSlooh(FakeConfig(pictures=2000, seed=3, fits=False)).running() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _clean(server: FakeSlooh) -> Iterator[None]:
    server.set_faults(Faults())
    server.clear_log()
    yield
    server.set_faults(Faults())


def client_for(server: FakeSlooh, **kwargs: object) -> SloohClient:
    retry = kwargs.pop("retry", RetryPolicy(max_retries=8, base_delay=0.01, max_delay=0.05))
    return SloohClient(
        base_url=server.base_url,
        username="demo",
        password="demo",
        rate_limit=0,
        retry=retry,
        **kwargs,
    )  # type: ignore[arg-type]


async def scan(server: FakeSlooh, **kwargs: object) -> list[str]:
    async with client_for(server, **kwargs) as client:
        return [picture.key async for picture in client.iter_pictures(50)]


def expected_keys(server: FakeSlooh) -> list[str]:
    return [item.key for item in server.catalog.photo_roll]


async def test_full_scan_is_exactly_forty_page_calls_plus_login(server: FakeSlooh) -> None:
    """2,000 pictures at batch_size 50: exactly 40 getMyPictures calls, one login."""
    keys = await scan(server)
    assert keys == expected_keys(server)
    assert len(server.calls("getMyPictures")) == 40
    assert len(server.calls("login")) == 1
    assert len(server.calls("generateSessionToken")) == 1


async def test_silent_expiry_mid_scan_yields_every_picture_once(server: FakeSlooh) -> None:
    """The session dies silently every 7 calls; the scan still yields each picture exactly once."""
    server.set_faults(Faults(expire_after_calls=7, expiry_mode="silent"))
    keys = await scan(server)
    assert keys == expected_keys(server)
    assert len(server.calls("login")) >= 5


async def test_401_expiry_mid_scan_yields_every_picture_once(server: FakeSlooh) -> None:
    """The same with explicit 401 answers."""
    server.set_faults(Faults(expire_after_calls=7, expiry_mode="401"))
    assert await scan(server) == expected_keys(server)


async def test_scan_under_5xx_and_429_yields_every_picture_once(server: FakeSlooh) -> None:
    """20% injected 5xx and some 429s with Retry-After: every picture exactly once."""
    server.set_faults(
        Faults(error_rate=0.2, rate_429=0.05, retry_after=0, retry_after_date_rate=0.0, scope="api")
    )
    keys = await scan(server)
    assert keys == expected_keys(server)
    statuses = {record.status for record in server.calls("getMyPictures")}
    assert {500, 429} & statuses or {503} & statuses


async def test_api_rate_limit_is_never_exceeded(server: FakeSlooh) -> None:
    """A limit of 6 per (scaled) window holds at the server, measured from its request log."""
    window = 1.0
    limiter = RateLimiter(6, window=window)
    async with client_for(server, limiter=limiter) as client:
        for first in range(1, 200, 10):
            await client.get_pictures(first, 10)
    stamps = sorted(record.started for record in server.calls(server="api"))
    assert len(stamps) == 22
    for i, start in enumerate(stamps):
        assert sum(1 for s in stamps[i:] if s - start < window) <= 6
