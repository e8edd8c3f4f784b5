"""SloohClient and its paging against hostile answers (httpx.MockTransport): the cases a
loopback server cannot stage (https, other hosts, endless fresh pages)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mock_slooh import MockSlooh, picture

from slooh_async._exceptions import ServiceError
from slooh_async.api import MAX_LISTED, PageCursor, PageInfo, RetryPolicy, SloohClient

pytestmark = pytest.mark.anyio


def make_client(service: MockSlooh, base_url: str = "https://app.example") -> SloohClient:
    """A client of the mock service that never sleeps."""
    return SloohClient(
        base_url=base_url,
        username="stargazer",
        password=service.password,
        rate_limit=0,
        retry=RetryPolicy.no_wait(max_retries=1),
        transport=service.transport(),
    )


def redirect_login(location: str, status: int = 307) -> Any:
    """A hook that answers the login (only) with a redirect to ``location``."""

    def hook(request: httpx.Request, body: dict[str, Any]) -> httpx.Response | None:
        if request.url.path == "/api/users/login" and request.url.host == "app.example":
            return httpx.Response(status, headers={"Location": location})
        return None

    return hook


@pytest.mark.parametrize(
    "location",
    [
        "http://app.example/api/users/login",  # https to http
        "https://evil.example/api/users/login",  # another host
        "https://app.example:8443/api/users/login",  # another port
    ],
)
async def test_redirects_off_the_origin_are_refused(location: str) -> None:
    """A login redirected off https://app.example (scheme, host or port) is never sent."""
    service = MockSlooh()
    service.hooks.append(redirect_login(location))
    async with make_client(service) as client:
        with pytest.raises(ServiceError, match="not followed") as caught:
            await client.login()
    assert caught.value.exit_code == 4
    assert [path for path, _ in service.calls].count("/api/users/login") == 1


@pytest.mark.parametrize("status", [307, 308])
async def test_same_origin_redirects_keep_the_post(status: int) -> None:
    """A 307/308 to another path of the same origin is followed with the same body."""
    service = MockSlooh()
    service.hooks.append(redirect_login("/v2/api/users/login", status))
    async with make_client(service) as client:
        await client.login()
    moved = [body for path, body in service.calls if path == "/v2/api/users/login"]
    assert moved and moved[0]["passwd"] == service.password


async def test_a_same_origin_303_is_refused() -> None:
    """A 303 would turn the login into a GET without its body: refused, not followed."""
    service = MockSlooh()
    service.hooks.append(redirect_login("/elsewhere", 303))
    async with make_client(service) as client:
        with pytest.raises(ServiceError, match="HTTP 303"):
            await client.login()


async def test_a_redirect_loop_ends() -> None:
    """Same-origin redirects that never end stop after a few hops with an error."""
    service = MockSlooh()
    service.hooks.append(
        lambda request, body: httpx.Response(307, headers={"Location": "/api/users/login"})
        if request.url.path.endswith("/login")
        else None
    )
    async with make_client(service) as client:
        with pytest.raises(ServiceError, match="more than 5 times"):
            await client.login()


async def test_the_session_cookie_is_scoped_to_the_service() -> None:
    """_sloohsstkn is kept for the service's host only, never for any host."""
    service = MockSlooh()
    async with make_client(service) as client:
        await client.get_session_token()
        jar = list(client._client().cookies.jar)
    assert [(cookie.name, cookie.domain) for cookie in jar] == [("_sloohsstkn", "app.example")]


async def test_deep_json_is_a_service_error_not_a_traceback() -> None:
    """JSON nested beyond the parser's depth: ServiceError "could not be read", no retry."""
    service = MockSlooh()
    deep = b'{"imageList":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    service.hooks.append(
        lambda request, body: httpx.Response(200, content=deep)
        if request.url.path.endswith("getMyPictures")
        else None
    )
    async with make_client(service) as client:
        with pytest.raises(ServiceError, match="could not be read"):
            await client.get_pictures()
    assert service.count("getMyPictures") == 1


async def test_a_broken_page_after_good_ones_stops_the_scan_with_a_reason() -> None:
    """imageList null on page 2 of 3: page 1 is kept, the scan stops, the reason is told."""
    service = MockSlooh(pictures=[picture(n) for n in range(30)])
    service.hooks.append(
        lambda request, body: httpx.Response(200, json={"totalCount": "30", "imageList": None})
        if request.url.path.endswith("getMyPictures") and body.get("firstImageNumber") == 11
        else None
    )
    pages: list[PageInfo] = []
    async with make_client(service) as client:
        keys = [p.key async for p in client.iter_pictures(10, on_page=pages.append)]
    assert len(keys) == 10
    assert pages[-1].problem is not None
    assert "imageList was null beside totalCount 30" in pages[-1].problem


def test_cursor_stops_at_a_page_with_nothing_new() -> None:
    """A page whose keys were all seen ends the scan, saying so."""
    cursor = PageCursor(batch_size=3)
    assert cursor.receive(["a", "b", "c"], None) == [0, 1, 2]
    assert state(cursor) == (False, None)
    assert cursor.receive(["a", "b", "c"], None) == []
    done, reason = state(cursor)
    assert done and reason and "nothing new" in reason


def state(cursor: PageCursor) -> tuple[bool, str | None]:
    """Whether the scan is over, and why it stopped early (if it did)."""
    return cursor.done, cursor.stop_reason


def test_cursor_keeps_going_when_items_shift() -> None:
    """A page that repeats some items (a picture was added meanwhile) is not the end."""
    cursor = PageCursor(batch_size=3)
    cursor.receive(["a", "b", "c"], 9)
    assert cursor.receive(["c", "d", "e"], 9) == [1, 2]
    assert not cursor.done and cursor.stop_reason is None


@pytest.mark.parametrize("total", [None, 1_000_000_000])
def test_cursor_page_cap(total: int | None) -> None:
    """Pages of fresh items with no (or an absurd) totalCount end at the page cap, saying so."""
    cursor = PageCursor(batch_size=50)
    pages = 0
    while not cursor.done:
        cursor.receive([f"{pages}-{n}" for n in range(50)], total)
        pages += 1
    assert pages == MAX_LISTED // 50
    assert cursor.stop_reason and f"stopped after {pages} pages" in cursor.stop_reason


def test_cursor_ends_at_a_plausible_total_count() -> None:
    """With a plausible totalCount, pages of fresh items end once it is passed (no warning)."""
    cursor = PageCursor(batch_size=50)
    pages = 0
    while not cursor.done:
        cursor.receive([f"{pages}-{n}" for n in range(50)], 1000)
        pages += 1
    assert pages == 20 and cursor.stop_reason is None
