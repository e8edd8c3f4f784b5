"""SloohClient against respx routes: one route per endpoint of slooh-api.md and per quirk.

Each test mocks only the endpoints it speaks to, in the exact shapes the contract lists, and
reads back what the client sent from the routes' recorded requests (api_contract_support.py).
Failures (envelope errors, ended sessions, retries, Retry-After) are in
test_api_contract_failures.py; flows that need a whole service (paging through a catalog,
expiry in the middle of a scan, concurrent re-login) run on the bundled fake in
test_client_on_fake.py.
"""

from __future__ import annotations

import logging

import httpx
import pytest
import respx
from api_contract_support import (
    ACCOUNT,
    BASE,
    FITS,
    MISSIONS,
    PASSWORD,
    PICTURES,
    SESSION,
    TOKEN,
    Json,
    bodies,
    client_of,
    error,
    login_answer,
    page,
    paged,
    picture,
    routes,
    sent,
)

from slooh_async import _redact
from slooh_async._exceptions import AuthenticationError, ServiceError

pytestmark = pytest.mark.anyio


@pytest.fixture
def service() -> respx.Router:
    """The session token and login routes; the test adds the rest."""
    return routes()


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
