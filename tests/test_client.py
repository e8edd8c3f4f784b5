"""SloohClient against an in-memory service (httpx.MockTransport): every contract quirk."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import httpx
import pytest
from mock_slooh import MockSlooh, picture

from slooh_async import _redact
from slooh_async._exceptions import (
    AccountError,
    AuthenticationError,
    ServiceError,
    ServiceUnavailableError,
    SessionExpiredError,
)
from slooh_async.api import RetryPolicy, SloohClient

pytestmark = pytest.mark.anyio


def make_client(service: MockSlooh, **kwargs: Any) -> SloohClient:
    kwargs.setdefault("retry", RetryPolicy.no_wait(max_retries=3))
    return SloohClient(
        base_url="https://app.example",
        username="stargazer",
        password=service.password,
        rate_limit=0,
        transport=service.transport(),
        **kwargs,
    )


async def collect(client: SloohClient, batch: int = 50, **kwargs: Any) -> list[str]:
    return [p.key async for p in client.iter_pictures(batch, **kwargs)]


async def test_login_sends_passwd_both_token_fields_and_cookie() -> None:
    """Login posts `passwd`, the session token under both names, and the _sloohsstkn cookie."""
    service = MockSlooh()
    async with make_client(service) as client:
        result = await client.login()
    assert result.display_name == "Star Gazer"
    path, body = service.calls[1]
    assert path == "/api/users/login"
    assert body["passwd"] == service.password and "password" not in body
    assert body["sloohSiteSessionToken"] == body["sloohSessionToken"] == "sess-token-123456"
    assert body["productId"] and body["locale"] == "en"
    assert service.cookies_seen == ["_sloohsstkn=sess-token-123456"]


async def test_authenticated_calls_carry_at_cid_token() -> None:
    """Every call after login carries at, cid and token in its body."""
    service = MockSlooh()
    async with make_client(service) as client:
        await client.get_pictures(1, 5)
    _, body = service.calls[-1]
    assert (body["at"], body["cid"], body["token"]) == ("7", "123456789", service.token_value + "1")
    assert body["viewType"] == "photoRoll" and body["pagingMode"] == "api"


async def test_bad_credentials_raise_with_the_services_message() -> None:
    """A loginError "true" answer raises AuthenticationError carrying errorMsg."""
    service = MockSlooh(password="right")
    client = SloohClient(
        base_url="https://x",
        username="u",
        password="wrong-password",
        rate_limit=0,
        transport=service.transport(),
    )
    async with client:
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
)
async def test_login_failure_shapes(answer: dict[str, Any]) -> None:
    """loginError as bool, apiError true, or missing at/token all count as a failed login."""
    service = MockSlooh()
    service.hooks.append(
        lambda req, body: (
            httpx.Response(200, json=answer) if req.url.path.endswith("/login") else None
        )
    )
    async with make_client(service) as client:
        with pytest.raises(AuthenticationError):
            await client.login()


async def test_paging_stops_at_total_count_string() -> None:
    """120 pictures at 50 a page take exactly 3 page calls; totalCount arrives as a string."""
    service = MockSlooh()
    async with make_client(service) as client:
        keys = await collect(client)
    assert len(keys) == 120 == len(set(keys))
    assert service.count("getMyPictures") == 3


async def test_positions_and_start() -> None:
    """Pictures carry their 1-based photoRoll position; `start` skips the newest ones."""
    service = MockSlooh()
    async with make_client(service) as client:
        pictures = [p async for p in client.iter_pictures(50, start=101)]
    assert [p.position for p in pictures][:2] == [101, 102]
    assert len(pictures) == 20


async def test_items_shifting_between_pages_are_deduplicated() -> None:
    """A picture added at the top mid-scan shifts items; none is yielded twice."""
    service = MockSlooh()

    def add_on_second_page(request: httpx.Request, body: dict[str, Any]) -> None:
        if request.url.path.endswith("getMyPictures") and body["firstImageNumber"] == 51:
            if not any(p["imageId"] == "new" for p in service.pictures):
                service.pictures.insert(0, picture(999, imageId="new"))

    service.hooks.append(add_on_second_page)
    async with make_client(service) as client:
        keys = await collect(client)
    assert len(keys) == len(set(keys))
    assert set(keys) == {str(1000 + n) for n in range(120)}


async def test_empty_page_ends_the_scan_when_total_count_is_missing() -> None:
    """Without totalCount the scan stops at the first empty page (after a re-login check)."""
    service = MockSlooh(pictures=[picture(n) for n in range(60)])

    def no_total(request: httpx.Request, body: dict[str, Any]) -> httpx.Response | None:
        if not request.url.path.endswith("getMyPictures"):
            return None
        first = body["firstImageNumber"]
        items = service.pictures[first - 1 : first + 49]
        return httpx.Response(200, json={"imageList": items}) if body.get("token") else None

    service.hooks.append(no_total)
    async with make_client(service) as client:
        keys = await collect(client)
    assert len(keys) == 60


async def test_explicit_401_relogs_in_once_and_repeats() -> None:
    """statusCode 401 in the JSON triggers one re-login and the call is repeated."""
    service = MockSlooh()
    async with make_client(service) as client:
        await client.get_pictures(1, 1)
        service.expire()
        page = await client.get_pictures(1, 10)
    assert len(page.pictures) == 10
    assert service.logins == 2


async def test_http_401_status_also_relogs_in() -> None:
    """An HTTP 401 status (not only the JSON statusCode) is a session error."""
    service = MockSlooh()
    state = {"sent": False}

    def http_401(request: httpx.Request, body: dict[str, Any]) -> httpx.Response | None:
        if request.url.path.endswith("getUserGravityStatus") and not state["sent"]:
            state["sent"] = True
            return httpx.Response(401, text="unauthorized")
        return None

    service.hooks.append(http_401)
    async with make_client(service) as client:
        status = await client.get_user_gravity_status()
    assert status.tier == "Apprentice" and service.logins == 2


async def test_second_session_failure_raises() -> None:
    """When the re-login does not help, SessionExpiredError is raised (exit code 4)."""
    service = MockSlooh()
    service.hooks.append(
        lambda req, body: (
            httpx.Response(200, json={"apiError": True, "statusCode": 401})
            if req.url.path.endswith("getMyPictures")
            else None
        )
    )
    async with make_client(service) as client:
        with pytest.raises(SessionExpiredError) as caught:
            await client.get_pictures(1, 1)
    assert caught.value.exit_code == 4 and service.logins == 2


async def test_silent_expiry_mid_scan_yields_every_picture_once() -> None:
    """An empty page with totalCount "0" after full pages is a silent expiry: re-login, go on."""
    service = MockSlooh()
    state = {"expired": False}

    def silent(request: httpx.Request, body: dict[str, Any]) -> httpx.Response | None:
        if request.url.path.endswith("getMyPictures") and body["firstImageNumber"] == 51:
            if not state["expired"]:
                state["expired"] = True
                return httpx.Response(200, json={"totalCount": "0", "imageList": []})
        return None

    service.hooks.append(silent)
    async with make_client(service) as client:
        keys = await collect(client)
    assert sorted(keys) == sorted(str(1000 + n) for n in range(120))
    assert service.logins == 2


async def test_concurrent_expiry_triggers_a_single_login() -> None:
    """Ten coroutines that hit an expired session together cause one re-login, not ten."""
    service = MockSlooh()
    async with make_client(service) as client:
        await client.login()
        service.expire()
        results: list[int] = []

        async def one() -> None:
            page = await client.get_pictures(1, 2)
            results.append(len(page.pictures))

        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(one)
    assert results == [2] * 10
    assert service.logins == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408])
async def test_transient_statuses_are_retried(status: int) -> None:
    """408, 429 and 5xx answers are retried and the call then succeeds."""
    service = MockSlooh()
    failures = {"left": 2}

    def flaky(request: httpx.Request, body: dict[str, Any]) -> httpx.Response | None:
        if request.url.path.endswith("getMyPictures") and failures["left"]:
            failures["left"] -= 1
            return httpx.Response(status, headers={"Retry-After": "0"})
        return None

    service.hooks.append(flaky)
    async with make_client(service) as client:
        page = await client.get_pictures(1, 3)
    assert len(page.pictures) == 3
    assert service.count("getMyPictures") == 3


async def test_retries_give_up_with_service_unavailable() -> None:
    """A service that keeps answering 503 ends in ServiceUnavailableError after max_retries."""
    service = MockSlooh()
    service.hooks.append(
        lambda req, body: httpx.Response(503) if req.url.path.endswith("getMyPictures") else None
    )
    async with make_client(service, retry=RetryPolicy.no_wait(max_retries=2)) as client:
        with pytest.raises(ServiceUnavailableError, match="503"):
            await client.get_pictures(1, 1)
    assert service.count("getMyPictures") == 3


@pytest.mark.parametrize("status", [400, 403, 404, 410])
async def test_other_4xx_are_not_retried(status: int) -> None:
    """A 4xx other than 401/408/429 is an answer: one call, then ServiceError."""
    service = MockSlooh()
    service.hooks.append(
        lambda req, body: httpx.Response(status) if req.url.path.endswith("getMyPictures") else None
    )
    async with make_client(service) as client:
        with pytest.raises(ServiceError):
            await client.get_pictures(1, 1)
    assert service.count("getMyPictures") == 1


async def test_transport_errors_are_retried_then_reported() -> None:
    """Connection errors are retried; persistent ones say the service is unreachable."""
    calls = {"n": 0}

    def refuse(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        raise httpx.ConnectError("connection refused", request=request)

    client = SloohClient(
        base_url="https://down.example",
        username="u",
        password="password1",
        rate_limit=0,
        retry=RetryPolicy.no_wait(2),
        transport=httpx.MockTransport(refuse),
    )
    async with client:
        with pytest.raises(ServiceUnavailableError, match="cannot reach https://down.example"):
            await client.login()
    assert calls["n"] == 3


async def test_json_error_with_retryable_status_code_is_retried() -> None:
    """apiError with statusCode 503 inside an HTTP 200 is treated like a 503."""
    service = MockSlooh()
    left = {"n": 1}

    def busy(request: httpx.Request, body: dict[str, Any]) -> httpx.Response | None:
        if request.url.path.endswith("getMyPictures") and left["n"]:
            left["n"] -= 1
            return httpx.Response(200, json={"apiError": True, "statusCode": "503"})
        return None

    service.hooks.append(busy)
    async with make_client(service) as client:
        assert len((await client.get_pictures(1, 2)).pictures) == 2


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (403, AccountError),
        (418, AccountError),
        (421, AccountError),
        (419, AccountError),
        (402, AuthenticationError),
    ],
)
async def test_account_status_codes_are_clear_errors(code: int, error: type[Exception]) -> None:
    """statusCode 402/403/418/419/421 are clear errors, not retried, not re-logged."""
    service = MockSlooh()
    service.hooks.append(
        lambda req, body: (
            httpx.Response(
                200, json={"apiError": True, "statusCode": code, "errorMsg": "see your account"}
            )
            if req.url.path.endswith("getMyPictures")
            else None
        )
    )
    async with make_client(service) as client:
        with pytest.raises(error, match="see your account"):
            await client.get_pictures(1, 1)
    assert service.logins == 1 and service.count("getMyPictures") == 1


async def test_other_api_error_raises_service_error() -> None:
    """apiError true with an unknown code raises ServiceError with errorMsg."""
    service = MockSlooh()
    service.hooks.append(
        lambda req, body: (
            httpx.Response(200, json={"apiError": True, "errorCode": 77, "errorMsg": "boom"})
            if req.url.path.endswith("getMyPictures")
            else None
        )
    )
    async with make_client(service) as client:
        with pytest.raises(ServiceError, match="boom"):
            await client.get_pictures(1, 1)


async def test_mission_fits_frames_inherit_from_parent() -> None:
    """FITS frames get key fits:{mission}:{file} and the parent's title, no imageId needed."""
    service = MockSlooh()
    service.fits[500] = [
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
    async with make_client(service) as client:
        parent = (await client.get_pictures(1, 1)).pictures[0]
        frames = [f async for f in client.iter_mission_fits(500, parent)]
    assert [f.key for f in frames] == [
        "fits:500:m42_20260121_011658_0_iycarr_l_cal.fit",
        "fits:500:m42_20260121_011658_0_iycarr_h_cal.fit",
    ]
    assert {f.title for f in frames} == {parent.title}
    assert [f.filter for f in frames] == ["L", "Ha"]
    assert frames[0].format == "FITS" and frames[0].instrument == "CCD Imager"


async def test_empty_fits_answer_is_checked_against_silent_expiry() -> None:
    """An empty FITS list from a dead session is detected by a probe, and retried after login."""
    service = MockSlooh()
    service.fits[7] = [
        {
            "groupName": "CCD",
            "groupImageList": [{"imageTitle": "a.fit", "imageURL": "https://h/a.fit"}],
        }
    ]
    async with make_client(service) as client:
        await client.login()
        service.expire()
        state = {"silent": True}

        def silent(request: httpx.Request, body: dict[str, Any]) -> httpx.Response | None:
            if state["silent"] and body.get("token") == service.token_value + "1":
                if request.url.path.endswith("getMissionFITS"):
                    return httpx.Response(200, json={"groupList": []})
                if request.url.path.endswith("getMyPictures"):
                    return httpx.Response(200, json={"totalCount": "0", "imageList": []})
            return None

        service.hooks.append(silent)
        frames = [f async for f in client.iter_mission_fits(7)]
    assert [f.filename for f in frames] == ["a.fit"]
    assert service.logins == 2


async def test_secrets_never_reach_logs_errors_or_reprs(caplog: pytest.LogCaptureFixture) -> None:
    """Password, token, cid and session token are masked in debug logs, errors and reprs."""
    service = MockSlooh()
    caplog.set_level(logging.DEBUG, logger="slooh_async")
    service.hooks.append(
        lambda req, body: (
            httpx.Response(
                200,
                json={
                    "apiError": True,
                    "errorCode": 1,
                    "errorMsg": f"bad token {body.get('token')}",
                },
            )
            if req.url.path.endswith("getUserGravityStatus")
            else None
        )
    )
    async with make_client(service) as client:
        await client.login()
        with pytest.raises(ServiceError) as caught:
            await client.get_user_gravity_status()
        shown = " ".join([str(caught.value), repr(client), repr(client.account), caplog.text])
        logging.getLogger("slooh_async.api").debug("body %s", {"token": service.token_value + "1"})
    filtered = _redact.redact(shown + caplog.text)
    for secret in (service.password, service.token_value + "1", "123456789", "sess-token-123456"):
        assert secret not in str(caught.value)
        assert secret not in repr(client) and secret not in repr(client.account)
        assert secret not in filtered


async def test_gravity_status_accepts_older_field_names() -> None:
    """getUserGravityStatus's `tier` (older name) fills currentTierName."""
    service = MockSlooh()
    async with make_client(service) as client:
        status = await client.get_user_gravity_status()
    assert status.tier == "Apprentice" and status.display_name == "Star Gazer"


async def test_missing_credentials_are_an_authentication_error() -> None:
    """Calling without a username or password asks the user to configure them."""
    client = SloohClient(base_url="https://x", rate_limit=0, transport=MockSlooh().transport())
    async with client:
        with pytest.raises(AuthenticationError, match="slooh configure"):
            await client.get_pictures(1, 1)


async def test_relative_download_urls_are_made_absolute() -> None:
    """A download URL given as a path is taken relative to the service."""
    service = MockSlooh(pictures=[picture(1, imageDownloadURL="/files/x/m42_1_lrgb.png")])
    async with make_client(service) as client:
        pictures = [p async for p in client.iter_pictures(50)]
    assert pictures[0].url == "https://app.example/files/x/m42_1_lrgb.png"
    assert pictures[0].filename == "m42_1_lrgb.png"


async def test_session_token_from_the_cookie_when_the_body_has_none() -> None:
    """A token endpoint that only sets the _sloohsstkn cookie still lets us log in."""
    service = MockSlooh()
    service.hooks.append(
        lambda req, body: (
            httpx.Response(
                200, json={}, headers={"Set-Cookie": "_sloohsstkn=sess-token-123456; Path=/"}
            )
            if req.url.path.endswith("generateSessionToken")
            else None
        )
    )
    async with make_client(service) as client:
        await client.login()
    _, body = service.calls[1]
    assert body["sloohSessionToken"] == "sess-token-123456"
    _, token_body = service.calls[0]
    assert token_body == {"productId": client.product_id, "locale": "en"}
