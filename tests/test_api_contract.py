"""SloohClient against respx routes: one route per endpoint of slooh-api.md and per quirk.

Each test mocks only the endpoints it speaks to, in the exact shapes the contract lists, and
reads back what the client sent from the routes' recorded requests. Flows that need a whole
service (paging through a catalog, expiry in the middle of a scan, concurrent re-login) run on
the bundled fake in test_client_on_fake.py. Waits are measured on a virtual-time loop.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import anyio
import httpx
import pytest
import respx
from virtual_time import VIRTUAL_TIME

from slooh_async import _redact
from slooh_async._exceptions import (
    AccountError,
    AuthenticationError,
    ServiceError,
    ServiceUnavailableError,
    SessionExpiredError,
)
from slooh_async.api import RateLimiter, RetryPolicy, SloohClient, WaitReason

pytestmark = pytest.mark.anyio

BASE = "https://app.example"
SESSION = "sess-token-123456"
TOKEN = "ab" * 20
PASSWORD = "s3cret-pass"
TOKEN_PATH = "/api/app/generateSessionToken"
LOGIN = "/api/users/login"
ACCOUNT = "/api/newdashboard/getUserGravityStatus"
MISSIONS = "/api/images/getMissionImages"
PICTURES = "/api/images/getMyPictures"
FITS = "/api/images/getMissionFITS"

Json = dict[str, Any]
#: the service's rand query: different on every listing
_RAND = itertools.count(1770000000)


def login_answer(**changes: Any) -> Json:
    """A successful login as the contract shows it (numbers as strings, loginError "false")."""
    return {
        "at": "7",
        "cid": "123456789",
        "token": TOKEN,
        "loginError": "false",
        "displayName": "Star Gazer",
        "apiError": False,
        "statusCode": 200,
        **changes,
    }


def picture(number: int, **changes: Any) -> Json:
    """A photoRoll item shaped like the service's (ids as strings, empty customerImageId and
    missionId, a download URL whose rand query changes, an unknown field)."""
    return {
        "imageId": str(1000 + number),
        "customerImageId": "",
        "missionId": "",
        "scheduledMissionId": str(500 + number // 3),
        "imageTitle": f"Orion Nebula (M42) #{number}",
        "imageDownloadURL": f"https://polaris.example/x/m42_20260121_011658_0_id{number:04d}"
        f"_lrgb.png?rand={next(_RAND)}.5",
        "telescopeName": "Canary Two",
        "instrumentName": "Wide Field",
        "displayDate": "Feb. 7, 2026",
        "displayTime": "20:15:30 UTC",
        "imageType": "PNG",
        "unknownField": {"x": 1},
        **changes,
    }


def page(items: list[Json], total: int | str | None, first: int = 1) -> Json:
    """A getMyPictures answer (``total=None``: no totalCount at all)."""
    answer: Json = {
        "firstImageNumber": first,
        "maxImageCount": 50,
        "imageCount": len(items),
        "imageList": items,
        "apiError": False,
    }
    if total is not None:
        answer["totalCount"] = total
    return answer


def paged(
    pictures: list[Json], total: Callable[[], int | str | None]
) -> Callable[[httpx.Request], httpx.Response]:
    """A getMyPictures side effect serving ``pictures`` by firstImageNumber/maxImageCount."""

    def answer(request: httpx.Request) -> httpx.Response:
        body = sent(request)
        first, size = int(body["firstImageNumber"]), int(body["maxImageCount"])
        return httpx.Response(200, json=page(pictures[first - 1 : first - 1 + size], total()))

    return answer


def error(status_code: int | str, message: str = "", **changes: Any) -> httpx.Response:
    """An envelope error inside an HTTP 200, as the service sends them."""
    payload = {"apiError": True, "statusCode": status_code, "errorMsg": message, **changes}
    return httpx.Response(200, json=payload)


def sent(request: httpx.Request) -> Json:
    """The JSON body the client sent."""
    body = json.loads(request.content or b"{}")
    assert isinstance(body, dict)
    return body


def bodies(route: respx.Route) -> list[Json]:
    """Every body sent to a route, in order."""
    return [sent(call.request) for call in route.calls]


@pytest.fixture
def service() -> respx.Router:
    """The session token and login endpoints as the contract describes them; each test adds
    the endpoints it speaks to."""
    router = respx.Router(base_url=BASE, assert_all_called=False)
    router.post(TOKEN_PATH, name="token").respond(json={"sloohSessionToken": SESSION})
    router.post(LOGIN, name="login").respond(json=login_answer())
    return router


def client_of(
    service: respx.Router,
    *,
    password: str | None = PASSWORD,
    username: str | None = "stargazer",
    retry: RetryPolicy | None = None,
    limiter: RateLimiter | None = None,
) -> SloohClient:
    """A client whose every request goes to the routes (no retry waits unless asked)."""
    return SloohClient(
        base_url=BASE,
        username=username,
        password=password,
        rate_limit=0,
        retry=retry or RetryPolicy.no_wait(max_retries=3),
        limiter=limiter,
        transport=httpx.MockTransport(service.async_handler),
    )


# --------------------------------------------------------------------------- session token


async def test_session_token_is_asked_with_the_common_fields(service: respx.Router) -> None:
    """generateSessionToken gets productId and locale only; the token comes back as the
    _sloohsstkn cookie of the login and under both names in its body."""
    async with client_of(service) as client:
        await client.login()
    assert bodies(service["token"]) == [{"productId": client.product_id, "locale": "en"}]
    login = service["login"].calls.last.request
    assert login.headers["cookie"] == f"_sloohsstkn={SESSION}"
    body = sent(login)
    assert body["sloohSiteSessionToken"] == body["sloohSessionToken"] == SESSION


async def test_session_token_from_the_cookie_when_the_body_has_none(
    service: respx.Router,
) -> None:
    """A token endpoint that only sets the _sloohsstkn cookie still lets us log in."""
    service["token"].respond(json={}, headers={"Set-Cookie": f"_sloohsstkn={SESSION}; Path=/"})
    async with client_of(service) as client:
        await client.login()
    assert sent(service["login"].calls.last.request)["sloohSessionToken"] == SESSION


async def test_no_session_token_at_all_is_a_service_error(service: respx.Router) -> None:
    """Neither a token in the body nor a cookie: a clear ServiceError, no login attempt."""
    service["token"].respond(json={"apiError": False})
    async with client_of(service) as client:
        with pytest.raises(ServiceError, match="no session token"):
            await client.login()
    assert not service["login"].called


# --------------------------------------------------------------------------- login


async def test_login_sends_passwd_and_the_common_fields(service: respx.Router) -> None:
    """Login posts username and `passwd` (never `password`), productId and locale."""
    async with client_of(service) as client:
        result = await client.login()
    assert result.display_name == "Star Gazer"
    body = sent(service["login"].calls.last.request)
    assert body["username"] == "stargazer"
    assert body["passwd"] == PASSWORD and "password" not in body
    assert body["productId"] == client.product_id and body["locale"] == "en"


@pytest.mark.parametrize(
    ("at", "cid"), [("7", "123456789"), (7, 123456789)], ids=["strings", "ints"]
)
async def test_credentials_as_strings_or_ints_are_sent_back_alike(
    service: respx.Router, at: int | str, cid: int | str
) -> None:
    """`at` and `cid` arrive as numeric strings or ints; every later call carries them as
    the service's strings, with the token, in its body."""
    service["login"].respond(json=login_answer(at=at, cid=cid))
    route = service.post(PICTURES).respond(json=page([picture(1)], "1"))
    async with client_of(service) as client:
        await client.get_pictures(1, 5)
    body = sent(route.calls.last.request)
    assert (body["at"], body["cid"], body["token"]) == ("7", "123456789", TOKEN)
    assert body["sloohSiteSessionToken"] == body["sloohSessionToken"] == SESSION


async def test_bad_credentials_raise_with_the_services_message(service: respx.Router) -> None:
    """A loginError "true" answer (HTTP 200, apiError false) raises AuthenticationError with
    errorMsg, exit code 3, and never echoes the password."""
    service["login"].respond(
        json={
            "loginError": "true",
            "errorMsg": "Wrong password, sorry",
            "statusCode": 200,
            "errorCode": 10,
            "apiError": False,
        }
    )
    async with client_of(service, password="wrong-password") as client:
        with pytest.raises(AuthenticationError, match="Wrong password, sorry") as caught:
            await client.login()
    assert caught.value.exit_code == 3
    assert "wrong-password" not in str(caught.value)


@pytest.mark.parametrize(
    "answer",
    [
        {"loginError": True, "errorMsg": "bool flag"},
        {"apiError": True, "errorMsg": "api flag", "at": "1", "token": "t"},
        {"loginError": "false", "cid": "1"},
    ],
    ids=["loginError-bool", "apiError", "no-at-or-token"],
)
async def test_login_failure_shapes(service: respx.Router, answer: Json) -> None:
    """loginError as bool, apiError true, or missing at/token all count as a failed login."""
    service["login"].respond(json=answer)
    async with client_of(service) as client:
        with pytest.raises(AuthenticationError):
            await client.login()


async def test_missing_credentials_are_an_authentication_error(service: respx.Router) -> None:
    """Calling without a username or password asks the user to configure them; nothing is
    sent."""
    async with client_of(service, username=None, password=None) as client:
        with pytest.raises(AuthenticationError, match="slooh configure"):
            await client.get_pictures(1, 1)
    assert not service.calls


# --------------------------------------------------------------------------- account


async def test_gravity_status_reads_the_current_field_names(service: respx.Router) -> None:
    """getUserGravityStatus: displayName, tiers, points (a numeric string) and progress."""
    service.post(ACCOUNT).respond(
        json={
            "displayName": "Star Gazer",
            "memberSince": "2019",
            "gravityPoints": "12840",
            "currentTierName": "Astronomer",
            "nextTierName": "Apprentice Astronomer",
            "currentTierProgress": 640,
            "maxTierProgress": "1000",
        }
    )
    async with client_of(service) as client:
        status = await client.get_user_gravity_status()
    assert (status.display_name, status.tier, status.next_tier) == (
        "Star Gazer",
        "Astronomer",
        "Apprentice Astronomer",
    )
    assert status.gravity_points == 12840 and status.max_tier_progress == 1000.0


async def test_gravity_status_accepts_older_field_names(service: respx.Router) -> None:
    """getUserGravityStatus's `tier` and `nextTier` (older names) fill the current ones."""
    service.post(ACCOUNT).respond(
        json={"displayName": "Star Gazer", "tier": "Apprentice", "nextTier": "Astronomer"}
    )
    async with client_of(service) as client:
        status = await client.get_user_gravity_status()
    assert status.tier == "Apprentice" and status.next_tier == "Astronomer"
    assert status.display_name == "Star Gazer"


# --------------------------------------------------------------------------- missions


async def test_missions_page_quirks(service: respx.Router) -> None:
    """getMissionImages: paged by firstMissionNumber; missionCount for imageCount, totalCount
    and missionImageCount as strings, fitsIsAvailable as a bool or a string."""
    route = service.post(MISSIONS).respond(
        json={
            "firstMissionNumber": 1,
            "maxMissionCount": 50,
            "missionCount": 2,
            "totalCount": "2",
            "imageList": [
                {
                    "scheduledMissionId": 500,
                    "imageTitle": "M42",
                    "missionImageCount": "3",
                    "fitsIsAvailable": True,
                    "displayDate": "Feb. 7, 2026",
                    "displayTime": "20:15 UTC",
                },
                {
                    "scheduledMissionId": "501",
                    "imageTitle": "M43 ",
                    "missionImageCount": 1,
                    "fitsIsAvailable": "false",
                },
            ],
        }
    )
    async with client_of(service) as client:
        missions = [mission async for mission in client.iter_missions(50)]
    assert [(m.mission_id, m.image_count, m.fits_available) for m in missions] == [
        (500, 3, True),
        (501, 1, False),
    ]
    assert missions[0].observed_at is not None and missions[1].title == "M43 "
    (body,) = bodies(route)  # totalCount reached: no second page asked
    assert (body["firstMissionNumber"], body["maxMissionCount"], body["pagingMode"]) == (
        1,
        50,
        "api",
    )


# --------------------------------------------------------------------------- pictures


async def test_picture_listing_asks_for_the_photo_roll(service: respx.Router) -> None:
    """getMyPictures asks for viewType photoRoll, every mission (0) and pagingMode api; a
    mission's pictures use viewType missions with its id."""
    route = service.post(PICTURES).respond(json=page([picture(1)], "1"))
    async with client_of(service) as client:
        await client.get_pictures(1, 5)
        await client.get_pictures(1, 50, mission_id=4321)
    roll, mission = bodies(route)
    assert (roll["viewType"], roll["scheduledMissionId"], roll["pagingMode"]) == (
        "photoRoll",
        0,
        "api",
    )
    assert (roll["firstImageNumber"], roll["maxImageCount"]) == (1, 5)
    assert (mission["viewType"], mission["scheduledMissionId"]) == ("missions", 4321)


async def test_picture_item_quirks(service: respx.Router) -> None:
    """imageId as a string or an int, missionId "" (ignored for scheduledMissionId), an empty
    customerImageId, a download URL whose rand query changes on every listing: the key is the
    image id and the file name comes from the URL's path."""

    def listing(request: httpx.Request) -> httpx.Response:
        items = [picture(1), picture(2, imageId=1002, scheduledMissionId=77)]
        return httpx.Response(200, json=page(items, "2"))

    service.post(PICTURES).mock(side_effect=listing)
    async with client_of(service) as client:
        first = [p async for p in client.iter_pictures(50)]
        again = [p async for p in client.iter_pictures(50)]
    assert [p.key for p in first] == [p.key for p in again] == ["1001", "1002"]
    assert [p.url for p in first] != [p.url for p in again]  # rand changed
    assert [p.mission_id for p in first] == [500, 77]
    assert first[0].filename == "m42_20260121_011658_0_id0001_lrgb.png"
    assert first[0].customer_image_id is None and first[0].format == "PNG"


async def test_paging_stops_at_total_count_given_as_a_string(service: respx.Router) -> None:
    """totalCount "60" at 50 a page: exactly two page calls (51 is the second's first
    picture), no third one."""
    route = service.post(PICTURES).mock(
        side_effect=paged([picture(n) for n in range(60)], lambda: "60")
    )
    async with client_of(service) as client:
        keys = [p.key async for p in client.iter_pictures(50)]
    assert len(keys) == 60 == len(set(keys))
    assert [body["firstImageNumber"] for body in bodies(route)] == [1, 51]


async def test_empty_page_ends_the_scan_when_total_count_is_missing(
    service: respx.Router,
) -> None:
    """Without totalCount the scan stops at the first empty page, after one re-login shows
    that the empty page is genuine."""
    route = service.post(PICTURES).mock(
        side_effect=paged([picture(n) for n in range(60)], lambda: None)
    )
    async with client_of(service) as client:
        keys = [p.key async for p in client.iter_pictures(50)]
    assert len(keys) == 60
    assert [body["firstImageNumber"] for body in bodies(route)] == [1, 51, 61, 61]
    assert service["login"].call_count == 2


async def test_relative_download_urls_are_made_absolute(service: respx.Router) -> None:
    """A download URL given as a path is taken relative to the service."""
    item = picture(1, imageDownloadURL="/files/x/m42_1_lrgb.png")
    service.post(PICTURES).respond(json=page([item], "1"))
    async with client_of(service) as client:
        pictures = [p async for p in client.iter_pictures(50)]
    assert pictures[0].url == f"{BASE}/files/x/m42_1_lrgb.png"
    assert pictures[0].filename == "m42_1_lrgb.png"


# --------------------------------------------------------------------------- FITS


async def test_mission_fits_frames_inherit_from_parent(service: respx.Router) -> None:
    """getMissionFITS groups: frames get key fits:{mission}:{file} (imageId may be missing),
    the parent's title, the filter from the name and the group's instrument."""
    service.post(PICTURES).respond(json=page([picture(1, scheduledMissionId="500")], "1"))
    route = service.post(FITS).respond(
        json={
            "groupList": [
                {
                    "groupIndex": 0,
                    "groupName": "CCD Imager",
                    "groupImageList": [
                        {
                            "imageTitle": "m42_20260121_011658_0_iycarr_l_cal.fit",
                            "imageURL": "https://polaris.example/a/m42_20260121_011658_0_iycarr_l_cal.fit",
                        },
                        {
                            "imageId": "99",
                            "imageTitle": "m42_20260121_011658_0_iycarr_h_cal.fit",
                            "imageURL": "https://polaris.example/a/m42_20260121_011658_0_iycarr_h_cal.fit",
                        },
                    ],
                }
            ]
        }
    )
    async with client_of(service) as client:
        parent = (await client.get_pictures(1, 1)).pictures[0]
        frames = [f async for f in client.iter_mission_fits(500, parent)]
    assert [f.key for f in frames] == [
        "fits:500:m42_20260121_011658_0_iycarr_l_cal.fit",
        "fits:500:m42_20260121_011658_0_iycarr_h_cal.fit",
    ]
    assert {f.title for f in frames} == {parent.title}
    assert [f.filter for f in frames] == ["L", "Ha"]
    assert frames[0].format == "FITS" and frames[0].instrument == "CCD Imager"
    assert sent(route.calls.last.request)["scheduledMissionId"] == 500


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
        (429, retry_after_date(30), 28.0, 31.0),
        (503, retry_after_date(30), 28.0, 31.0),
    ],
    ids=["429-seconds", "503-seconds", "429-date", "503-date"],
)
async def test_retry_after_is_the_wait(
    service: respx.Router, status: int, header: str, low: float, high: float
) -> None:
    """Retry-After in seconds or as an HTTP date is how long the repeat waits; the budget
    is paused for it (the display hears a "server" wait)."""
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


# --------------------------------------------------------------------------- secrets


async def test_secrets_never_reach_logs_errors_or_reprs(
    service: respx.Router, caplog: pytest.LogCaptureFixture
) -> None:
    """Password, token, cid and session token are masked in debug logs, errors and reprs."""
    caplog.set_level(logging.DEBUG, logger="slooh_async")
    service.post(ACCOUNT).mock(
        side_effect=lambda request: error(1, f"bad token {sent(request).get('token')}")
    )
    async with client_of(service) as client:
        await client.login()
        with pytest.raises(ServiceError) as caught:
            await client.get_user_gravity_status()
        shown = " ".join([str(caught.value), repr(client), repr(client.account), caplog.text])
        logging.getLogger("slooh_async.api").debug("body %s", {"token": TOKEN})
    filtered = _redact.redact(shown + caplog.text)
    for secret in (PASSWORD, TOKEN, "123456789", SESSION):
        assert secret not in str(caught.value)
        assert secret not in repr(client) and secret not in repr(client.account)
        assert secret not in filtered
