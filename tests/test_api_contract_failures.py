"""SloohClient's contract when things go wrong, against respx routes: envelope errors inside
HTTP 200, sessions that end (401, silently), retries on named failures only, and Retry-After
in seconds or as an HTTP date (measured on a virtual-time loop)."""

from __future__ import annotations

import itertools
import math
import time
from email.utils import formatdate

import anyio
import httpx
import pytest
import respx
from api_contract_support import (
    ACCOUNT,
    BASE,
    PICTURES,
    TOKEN,
    bodies,
    client_of,
    error,
    login_answer,
    page,
    paged,
    picture,
    routes,
)
from virtual_time import VIRTUAL_TIME

from slooh_async._exceptions import (
    AccountError,
    AuthenticationError,
    ServiceError,
    ServiceUnavailableError,
    SessionExpiredError,
)
from slooh_async.api import RateLimiter, RetryPolicy, WaitReason

pytestmark = pytest.mark.anyio


@pytest.fixture
def service() -> respx.Router:
    """The session token and login routes; the test adds the rest."""
    return routes()


# --------------------------------------------------------------------------- envelope errors


async def test_json_error_with_retryable_status_code_is_retried(service: respx.Router) -> None:
    """apiError with statusCode "503" (a string) inside an HTTP 200 is treated like a 503."""
    route = service.post(PICTURES).mock(
        side_effect=[error("503"), httpx.Response(200, json=page([picture(1), picture(2)], "2"))]
    )
    async with client_of(service) as client:
        assert len((await client.get_pictures(1, 2)).pictures) == 2
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("code", "raised"),
    [
        (403, AccountError),
        (418, AccountError),
        (421, AccountError),
        (419, AccountError),
        (402, AuthenticationError),
    ],
)
async def test_account_status_codes_are_clear_errors(
    service: respx.Router, code: int, raised: type[Exception]
) -> None:
    """statusCode 402/403/418/419/421 are clear errors, not retried, not re-logged."""
    route = service.post(PICTURES).mock(return_value=error(code, "see your account"))
    async with client_of(service) as client:
        with pytest.raises(raised, match="see your account"):
            await client.get_pictures(1, 1)
    assert service["login"].call_count == 1 and route.call_count == 1


async def test_other_api_error_raises_service_error(service: respx.Router) -> None:
    """apiError true with an unknown code raises ServiceError with errorMsg."""
    service.post(PICTURES).mock(return_value=error(200, "boom", errorCode=77))
    async with client_of(service) as client:
        with pytest.raises(ServiceError, match="boom"):
            await client.get_pictures(1, 1)


# --------------------------------------------------------------------------- session ends


@pytest.mark.parametrize("status_code", [401, "401"], ids=["int", "string"])
async def test_explicit_401_relogs_in_once_and_repeats(
    service: respx.Router, status_code: int | str
) -> None:
    """statusCode 401 in the JSON (int or string) triggers one re-login and the call is
    repeated with the new credentials."""
    service["login"].mock(
        side_effect=[httpx.Response(200, json=login_answer(token=t)) for t in ("a" * 40, TOKEN)]
    )
    route = service.post(PICTURES).mock(
        side_effect=[error(status_code, "expired"), httpx.Response(200, json=page([], "0"))]
    )
    async with client_of(service) as client:
        await client.get_pictures(1, 10)
    assert [body["token"] for body in bodies(route)] == ["a" * 40, TOKEN]
    assert service["login"].call_count == 2


async def test_http_401_status_also_relogs_in(service: respx.Router) -> None:
    """An HTTP 401 status (not only the JSON statusCode) is a session error."""
    service.post(ACCOUNT).mock(
        side_effect=[
            httpx.Response(401, text="unauthorized"),
            httpx.Response(200, json={"displayName": "Star Gazer", "tier": "Apprentice"}),
        ]
    )
    async with client_of(service) as client:
        status = await client.get_user_gravity_status()
    assert status.tier == "Apprentice" and service["login"].call_count == 2


async def test_second_session_failure_raises(service: respx.Router) -> None:
    """When the re-login does not help, SessionExpiredError is raised (exit code 4)."""
    service.post(PICTURES).mock(return_value=error(401))
    async with client_of(service) as client:
        with pytest.raises(SessionExpiredError) as caught:
            await client.get_pictures(1, 1)
    assert caught.value.exit_code == 4 and service["login"].call_count == 2


async def test_silent_expiry_an_empty_page_after_content_relogs_in(
    service: respx.Router,
) -> None:
    """An empty page with totalCount "0" after full pages (no error at all) is a silent
    expiry: log in again, ask for the same page, and go on; every picture once."""
    serve = paged([picture(n) for n in range(120)], lambda: "120")
    asked = itertools.count(1)

    def second_page_expired(request: httpx.Request) -> httpx.Response:
        if next(asked) == 2:
            return httpx.Response(200, json=page([], "0"))
        return serve(request)

    route = service.post(PICTURES).mock(side_effect=second_page_expired)
    async with client_of(service) as client:
        keys = [p.key async for p in client.iter_pictures(50)]
    assert keys == [str(1000 + n) for n in range(120)]
    assert [body["firstImageNumber"] for body in bodies(route)] == [1, 51, 51, 101]
    assert service["login"].call_count == 2


# --------------------------------------------------------------------------- retries


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408])
async def test_transient_statuses_are_retried(service: respx.Router, status: int) -> None:
    """408, 429 and 5xx answers are retried and the call then succeeds."""
    ok = httpx.Response(200, json=page([picture(n) for n in range(3)], "3"))
    failed = httpx.Response(status, headers={"Retry-After": "0"})
    route = service.post(PICTURES).mock(side_effect=[failed, failed, ok])
    async with client_of(service) as client:
        assert len((await client.get_pictures(1, 3)).pictures) == 3
    assert route.call_count == 3


async def test_retries_give_up_with_service_unavailable(service: respx.Router) -> None:
    """A service that keeps answering 503 ends in ServiceUnavailableError after max_retries."""
    route = service.post(PICTURES).respond(503)
    async with client_of(service, retry=RetryPolicy.no_wait(max_retries=2)) as client:
        with pytest.raises(ServiceUnavailableError, match="503"):
            await client.get_pictures(1, 1)
    assert route.call_count == 3


@pytest.mark.parametrize("status", [400, 403, 404, 410])
async def test_other_4xx_are_not_retried(service: respx.Router, status: int) -> None:
    """A 4xx other than 401/408/429 is an answer: one call, then ServiceError."""
    route = service.post(PICTURES).respond(status)
    async with client_of(service) as client:
        with pytest.raises(ServiceError):
            await client.get_pictures(1, 1)
    assert route.call_count == 1


async def test_transport_errors_are_retried_then_reported(service: respx.Router) -> None:
    """Connection errors are retried; persistent ones say the service is unreachable."""
    service["token"].mock(side_effect=httpx.ConnectError("connection refused"))
    async with client_of(service, retry=RetryPolicy.no_wait(2)) as client:
        with pytest.raises(ServiceUnavailableError, match=f"cannot reach {BASE}"):
            await client.login()
    assert service["token"].call_count == 3


def retry_after_date(seconds: int) -> str:
    """An HTTP date ``seconds`` from now, rounded up to a whole second as HTTP dates are."""
    return formatdate(math.ceil(time.time()) + seconds, usegmt=True)


@pytest.mark.parametrize("anyio_backend", [VIRTUAL_TIME], ids=["virtual-time"])
@pytest.mark.parametrize(
    ("status", "header", "low", "high"),
    [
        (429, "7", 7.0, 7.0),
        (503, "7", 7.0, 7.0),
        (429, "date:30", 28.0, 31.0),
        (503, "date:30", 28.0, 31.0),
    ],
    ids=["429-seconds", "503-seconds", "429-date", "503-date"],
)
async def test_retry_after_is_the_wait(
    service: respx.Router, status: int, header: str, low: float, high: float
) -> None:
    """Retry-After in seconds or as an HTTP date is how long the repeat waits; the budget
    is paused for it (the display hears a "server" wait). A date is made when the test runs
    (not when it is collected: a loaded machine may take seconds to get to it)."""
    if header.startswith("date:"):
        header = retry_after_date(int(header.removeprefix("date:")))
    stamps: list[float] = []
    answers = iter(
        [
            httpx.Response(status, headers={"Retry-After": header}),
            httpx.Response(200, json=page([picture(1)], "1")),
        ]
    )

    def answer(request: httpx.Request) -> httpx.Response:
        stamps.append(anyio.current_time())
        return next(answers)

    service.post(PICTURES).mock(side_effect=answer)
    waits: list[tuple[float, WaitReason]] = []
    limiter = RateLimiter(0, clock=anyio.current_time, on_wait=lambda s, w: waits.append((s, w)))
    async with client_of(service, retry=RetryPolicy(max_retries=1), limiter=limiter) as client:
        await client.get_pictures(1, 1)
    assert low <= stamps[1] - stamps[0] <= high
    ((seconds, why),) = waits
    assert why == "server" and seconds == pytest.approx(stamps[1] - stamps[0])


@pytest.mark.parametrize("anyio_backend", [VIRTUAL_TIME], ids=["virtual-time"])
async def test_a_429_pauses_every_caller(service: respx.Router) -> None:
    """One call's 429 with Retry-After 10 holds the other callers' requests too, until the
    10 s are over."""
    stamps: dict[str, list[float]] = {"account": [], "pictures": []}
    pictures = iter(
        [
            httpx.Response(429, headers={"Retry-After": "10"}),
            httpx.Response(200, json=page([picture(1)], "1")),
        ]
    )

    def pictures_answer(request: httpx.Request) -> httpx.Response:
        stamps["pictures"].append(anyio.current_time())
        return next(pictures)

    def account_answer(request: httpx.Request) -> httpx.Response:
        stamps["account"].append(anyio.current_time())
        return httpx.Response(200, json={"displayName": "Star Gazer"})

    service.post(PICTURES).mock(side_effect=pictures_answer)
    service.post(ACCOUNT).mock(side_effect=account_answer)
    limiter = RateLimiter(0, clock=anyio.current_time)
    async with client_of(service, retry=RetryPolicy(max_retries=1), limiter=limiter) as client:
        await client.login()
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.get_pictures, 1, 1)
            await anyio.sleep(1.0)
            tg.start_soon(client.get_user_gravity_status)
    assert stamps["pictures"] == [0.0, 10.0]
    assert stamps["account"] == [10.0]
