"""Respx routes in the shapes of slooh-api.md, for the client's contract tests.

The session token and login endpoints answer as the contract says (:func:`routes`); each
test adds the endpoints it speaks to, and reads back what the client sent (:func:`sent`,
:func:`bodies`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import httpx
import respx

from slooh_async.api import RateLimiter, RetryPolicy, SloohClient

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


def routes() -> respx.Router:
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
