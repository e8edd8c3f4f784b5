"""SloohClient and its paging against hostile answers (respx routes): the cases a loopback
server cannot stage (https, other hosts, endless fresh pages)."""

from __future__ import annotations

import httpx
import pytest
import respx
from api_contract_support import (
    LOGIN,
    PASSWORD,
    PICTURES,
    bodies,
    client_of,
    paged,
    picture,
    routes,
)

from slooh_async._exceptions import ServiceError
from slooh_async.api import MAX_LISTED, PageCursor, PageInfo, RetryPolicy

pytestmark = pytest.mark.anyio


def redirecting_login(location: str, status: int = 307) -> respx.Router:
    """The service, its login answered with a redirect to ``location``."""
    service = routes()
    service.post(LOGIN, name="login").respond(status, headers={"Location": location})
    return service


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
    service = redirecting_login(location)
    async with client_of(service, retry=RetryPolicy.no_wait(1)) as client:
        with pytest.raises(ServiceError, match="not followed") as caught:
            await client.login()
    assert caught.value.exit_code == 4
    assert service["login"].call_count == 1


@pytest.mark.parametrize("status", [307, 308])
async def test_same_origin_redirects_keep_the_post(status: int) -> None:
    """A 307/308 to another path of the same origin is followed with the same body."""
    service = redirecting_login("/v2/api/users/login", status)
    moved = service.post("/v2/api/users/login").respond(
        json={"at": "7", "cid": "1", "token": "ab" * 20, "loginError": "false"}
    )
    async with client_of(service) as client:
        await client.login()
    assert [body["passwd"] for body in bodies(moved)] == [PASSWORD]


async def test_a_same_origin_303_is_refused() -> None:
    """A 303 would turn the login into a GET without its body: refused, not followed."""
    service = redirecting_login("/elsewhere", 303)
    async with client_of(service) as client:
        with pytest.raises(ServiceError, match="HTTP 303"):
            await client.login()


async def test_a_redirect_loop_ends() -> None:
    """Same-origin redirects that never end stop after a few hops with an error."""
    service = redirecting_login("/api/users/login")
    async with client_of(service) as client:
        with pytest.raises(ServiceError, match="more than 5 times"):
            await client.login()


async def test_the_session_cookie_is_scoped_to_the_service() -> None:
    """_sloohsstkn is kept for the service's host only, never for any host."""
    async with client_of(routes()) as client:
        await client.get_session_token()
        jar = list(client._client().cookies.jar)
    assert [(cookie.name, cookie.domain) for cookie in jar] == [("_sloohsstkn", "app.example")]


async def test_deep_json_is_a_service_error_not_a_traceback() -> None:
    """JSON nested beyond the parser's depth: ServiceError "could not be read", no retry."""
    service = routes()
    deep = b'{"imageList":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    pictures = service.post(PICTURES).respond(200, content=deep)
    async with client_of(service) as client:
        with pytest.raises(ServiceError, match="could not be read"):
            await client.get_pictures()
    assert pictures.call_count == 1


async def test_a_broken_page_after_good_ones_stops_the_scan_with_a_reason() -> None:
    """imageList null on page 2 of 3: page 1 is kept, the scan stops, the reason is told."""
    service = routes()
    serve = paged([picture(n) for n in range(30)], lambda: "30")

    def broken_second_page(request: httpx.Request) -> httpx.Response:
        if b'"firstImageNumber":11' in request.content.replace(b" ", b""):
            return httpx.Response(200, json={"totalCount": "30", "imageList": None})
        return serve(request)

    service.post(PICTURES).mock(side_effect=broken_second_page)
    pages: list[PageInfo] = []
    async with client_of(service) as client:
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
