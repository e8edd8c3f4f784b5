"""SloohClient against the fake Slooh over loopback sockets: call counts, expiry, faults.

(The rate budget measured by the server's log runs in virtual time, in test_client_on_fake.py.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from slooh_async.api import RetryPolicy, SloohClient
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


def client_for(server: FakeSlooh) -> SloohClient:
    """A client of the server with short real retry waits."""
    return SloohClient(
        base_url=server.base_url,
        username="demo",
        password="demo",
        rate_limit=0,
        retry=RetryPolicy(max_retries=8, base_delay=0.01, max_delay=0.05),
    )


async def scan(server: FakeSlooh) -> list[str]:
    """Every picture's key, in the order listed."""
    async with client_for(server) as client:
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
    """The session dies silently every 7 calls; the scan still yields each picture exactly
    once, logging in once per 7 pages (6 sessions for 40 pages) and losing one call to each
    expiry."""
    server.set_faults(Faults(expire_after_calls=7, expiry_mode="silent"))
    keys = await scan(server)
    assert keys == expected_keys(server)
    assert len(server.calls("login")) == 6
    assert len(server.calls("getMyPictures")) == 40 + 5


async def test_401_expiry_mid_scan_yields_every_picture_once(server: FakeSlooh) -> None:
    """The same with explicit 401 answers."""
    server.set_faults(Faults(expire_after_calls=7, expiry_mode="401"))
    assert await scan(server) == expected_keys(server)


async def test_scan_under_5xx_and_429_yields_every_picture_once(server: FakeSlooh) -> None:
    """20% injected 5xx and some 429s with Retry-After: every picture exactly once, every
    page answered once, only the failed calls repeated."""
    server.set_faults(
        Faults(error_rate=0.2, rate_429=0.05, retry_after=0, retry_after_date_rate=0.0, scope="api")
    )
    keys = await scan(server)
    assert keys == expected_keys(server)
    statuses = [record.status for record in server.calls("getMyPictures")]
    assert set(statuses) == {200, 500, 503, 429}  # the seeded dice: every kind of failure
    assert statuses.count(200) == 40
