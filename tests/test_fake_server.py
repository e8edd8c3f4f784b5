"""The fake Slooh API over real loopback sockets: login, listings, FITS, quirks, request log."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import slooh_async.fake_server as fake
from slooh_async.fake_server import DEFAULT_PRODUCT_ID, FakeConfig, FakeSlooh, Faults

COMMON = {"productId": DEFAULT_PRODUCT_ID, "locale": "en"}
PICTURES = "/api/images/getMyPictures"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlooh]:
    """One small fake server for the module (faults and log reset by ``srv``)."""
    with FakeSlooh(FakeConfig(pictures=60, file_size=2048)).running() as running:
        yield running


@pytest.fixture
def srv(server: FakeSlooh) -> FakeSlooh:
    """The module's server with no faults and an empty request log."""
    server.set_faults(Faults())
    server.clear_log()
    return server


@pytest.fixture
def api(srv: FakeSlooh) -> Iterator[httpx.Client]:
    """An httpx client on the API host."""
    with httpx.Client(base_url=srv.base_url, timeout=10) as client:
        yield client


def login(api: httpx.Client, username: str = "demo", password: str = "demo") -> dict[str, Any]:
    """Run the real login flow; returns the login answer."""
    token = api.post("/api/app/generateSessionToken", json={}).json()["sloohSessionToken"]
    body = {**COMMON, "username": username, "passwd": password}
    body |= {"sloohSiteSessionToken": token, "sloohSessionToken": token}
    answer: dict[str, Any] = api.post("/api/users/login", json=body).json()
    return answer


def credentials(answer: dict[str, Any]) -> dict[str, Any]:
    """The common fields and the three credentials of a login answer."""
    return {**COMMON, "at": answer["at"], "cid": answer["cid"], "token": answer["token"]}


def pictures(api: httpx.Client, body: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """One getMyPictures answer."""
    answer: dict[str, Any] = api.post(PICTURES, json={**body, **fields}).json()
    return answer


# --------------------------------------------------------------------------- session and login


def test_session_token_sets_cookie(api: httpx.Client) -> None:
    """generateSessionToken answers the token and sets it as the _sloohsstkn cookie."""
    response = api.post("/api/app/generateSessionToken", json={})
    token = response.json()["sloohSessionToken"]
    assert response.status_code == 200
    assert response.cookies["_sloohsstkn"] == token
    assert response.json()["apiError"] is False


def test_login_answers_credentials(api: httpx.Client) -> None:
    """A good login answers at/cid as numeric strings, a 40-hex token and loginError "false"."""
    answer = login(api)
    assert answer["loginError"] == "false"
    assert answer["at"].isdigit() and answer["cid"].isdigit()
    assert len(answer["token"]) == 40 and int(answer["token"], 16) >= 0
    for name in ("userid", "customerUUID", "fname", "displayName", "avatarURL", "membershipType"):
        assert answer[name]
    assert {"subscriptionPlanName", "status", "tokenExp", "ver", "lang", "timestamp"} <= set(answer)
    assert answer["statusCode"] == 200


def test_login_accepts_session_cookie(api: httpx.Client) -> None:
    """Login accepts the session token from the _sloohsstkn cookie alone."""
    api.post("/api/app/generateSessionToken", json={})
    body = {**COMMON, "username": "demo", "passwd": "demo"}
    assert api.post("/api/users/login", json=body).json()["loginError"] == "false"


def test_login_needs_a_session_token() -> None:
    """Login without any issued session token fails with loginError "true"."""
    with (
        FakeSlooh(FakeConfig(pictures=1)) as other,
        httpx.Client(base_url=other.base_url) as client,
    ):
        body = {**COMMON, "username": "demo", "passwd": "demo", "sloohSessionToken": "forged"}
        answer = client.post("/api/users/login", json=body).json()
    assert answer["loginError"] == "true" and "token" not in answer


def test_bad_credentials_fail_with_http_200(api: httpx.Client) -> None:
    """A wrong password answers HTTP 200, loginError "true" and an errorMsg to show."""
    answer = login(api, password="wrong")
    assert answer["loginError"] == "true"
    assert answer["errorMsg"] == "Invalid username or password"
    assert "at" not in answer and "token" not in answer


def test_password_field_is_passwd(api: httpx.Client) -> None:
    """Sending "password" instead of "passwd" does not log in."""
    token = api.post("/api/app/generateSessionToken", json={}).json()["sloohSessionToken"]
    body = {**COMMON, "username": "demo", "password": "demo", "sloohSessionToken": token}
    assert api.post("/api/users/login", json=body).json()["loginError"] == "true"


def test_each_login_gets_new_token(api: httpx.Client) -> None:
    """Two logins get different tokens, and both work."""
    first, second = login(api), login(api)
    assert first["token"] != second["token"]
    for answer in (first, second):
        assert pictures(api, credentials(answer), viewType="photoRoll")["apiError"] is False


@pytest.mark.parametrize("field", ["productId", "locale"])
def test_common_fields_required(api: httpx.Client, field: str) -> None:
    """A body without productId or locale answers apiError true."""
    body = credentials(login(api))
    del body[field]
    answer = pictures(api, body)
    assert answer["apiError"] is True and answer["statusCode"] == 400


def test_both_product_ids_accepted(api: httpx.Client) -> None:
    """The community clients' productId is accepted too."""
    body = credentials(login(api)) | {"productId": "ee26fb6d-3351-11eb-83b9-0655cc43ca95"}
    assert pictures(api, body)["apiError"] is False


@pytest.mark.parametrize("field", ["at", "cid", "token"])
def test_wrong_credentials_answer_401(api: httpx.Client, field: str) -> None:
    """A wrong or missing at/cid/token answers apiError true with statusCode 401 (HTTP 200)."""
    body = credentials(login(api))
    body[field] = "0"
    response = api.post(PICTURES, json=body)
    assert response.status_code == 200
    assert response.json()["apiError"] is True and response.json()["statusCode"] == 401
    del body[field]
    assert api.post(PICTURES, json=body).json()["statusCode"] == 401


def test_non_json_body_answers_400(api: httpx.Client) -> None:
    """A body that is not a JSON object answers HTTP 400 with apiError."""
    response = api.post(PICTURES, content=b"[1, 2]")
    assert response.status_code == 400 and response.json()["apiError"] is True


def test_gravity_status(srv: FakeSlooh, api: httpx.Client) -> None:
    """getUserGravityStatus answers the account's tier fields."""
    answer = api.post("/api/newdashboard/getUserGravityStatus", json=srv.session_body()).json()
    assert answer["displayName"] == "Demo Observer"
    assert {"memberSince", "gravityPoints", "currentTierName", "nextTierName"} <= set(answer)
    assert {"currentTierProgress", "maxTierProgress"} <= set(answer)


# --------------------------------------------------------------------------- pictures


def test_total_count_is_a_string(srv: FakeSlooh, api: httpx.Client) -> None:
    """getMyPictures answers totalCount as a string."""
    answer = pictures(api, srv.session_body(), viewType="photoRoll", maxImageCount=5)
    assert answer["totalCount"] == "60"
    assert answer["imageCount"] == 5 and answer["firstImageNumber"] == 1


def test_photo_roll_pages_newest_first(srv: FakeSlooh, api: httpx.Client) -> None:
    """Paging the photoRoll by firstImageNumber yields every picture once, newest first."""
    body, seen = srv.session_body(viewType="photoRoll", maxImageCount=25), []
    first = 1
    while first <= 60:
        items = pictures(api, body, firstImageNumber=first)["imageList"]
        seen += [str(item["imageId"]) for item in items]
        first += len(items)
    assert seen == [item.key for item in srv.catalog.photo_roll]
    times = [item.taken_at for item in srv.catalog.photo_roll]
    assert times == sorted(times, reverse=True)
    assert pictures(api, body, firstImageNumber=61)["imageList"] == []


def test_picture_items_carry_every_field(srv: FakeSlooh, api: httpx.Client) -> None:
    """Picture items have every contract field, in their quirky shapes."""
    items = pictures(api, srv.session_body(), viewType="photoRoll", maxImageCount=60)["imageList"]
    needed = {"imageId", "customerImageId", "scheduledMissionId", "missionId", "objectId"}
    needed |= {"imageTitle", "imageDownloadURL", "imageURL", "imageType", "telescopeName"}
    needed |= {"instrumentName", "overlayData", "shareToken", "displayDate", "displayTime"}
    assert all(needed <= set(item) for item in items)
    assert all(item["missionId"] == "" for item in items)
    assert {type(item["imageId"]) for item in items} == {int, str}
    assert "" in {item["customerImageId"] for item in items}
    assert any("imageDownloadFilename" not in item for item in items)
    assert any("imageDownloadFilename" in item for item in items)
    assert all({"owner", "observatoryName"} <= set(item["overlayData"]) for item in items)
    assert {"likesCount", "fileData"} <= set(items[0])


def test_display_time_formats(srv: FakeSlooh, api: httpx.Client) -> None:
    """displayTime comes as "20:15:30 UTC" and as "20:15 UTC"."""
    items = pictures(api, srv.session_body(), viewType="photoRoll", maxImageCount=60)["imageList"]
    lengths = {len(item["displayTime"]) for item in items}
    assert lengths == {len("20:15:30 UTC"), len("20:15 UTC")}


def test_download_urls_are_absolute_with_rand(srv: FakeSlooh, api: httpx.Client) -> None:
    """imageDownloadURL is absolute on the download host and its rand changes per listing."""
    body = srv.session_body(viewType="photoRoll", maxImageCount=3)
    first, second = pictures(api, body)["imageList"], pictures(api, body)["imageList"]
    url = httpx.URL(first[0]["imageDownloadURL"])
    assert str(url).startswith(srv.download_base_url + "/")
    assert srv.download_base_url != srv.base_url
    assert "rand" in url.params
    assert first[0]["imageDownloadURL"] != second[0]["imageDownloadURL"]
    assert url.path == httpx.URL(second[0]["imageDownloadURL"]).path


def test_missions_view_all_returns_one_picture(srv: FakeSlooh, api: httpx.Client) -> None:
    """viewType missions with scheduledMissionId 0 wrongly answers a single picture."""
    answer = pictures(api, srv.session_body(), viewType="missions", scheduledMissionId=0)
    assert answer["imageCount"] == 1 and len(answer["imageList"]) == 1
    assert answer["totalCount"] == "1"


def test_missions_view_of_one_mission(srv: FakeSlooh, api: httpx.Client) -> None:
    """viewType missions with a real mission id answers that mission's pictures."""
    mission = max(srv.catalog.missions, key=lambda item: len(item.pictures))
    answer = pictures(
        api, srv.session_body(), viewType="missions", scheduledMissionId=str(mission.mission_id)
    )
    assert {str(item["imageId"]) for item in answer["imageList"]} == {
        item.key for item in mission.pictures
    }
    assert answer["totalCount"] == str(len(mission.pictures))


def test_new_pictures_appear_on_top(srv: FakeSlooh, api: httpx.Client) -> None:
    """Pictures added at runtime come first in the photoRoll and raise totalCount."""
    before = int(pictures(api, srv.session_body(), viewType="photoRoll")["totalCount"])
    added = srv.add_pictures(3)
    answer = pictures(api, srv.session_body(), viewType="photoRoll", maxImageCount=3)
    assert int(answer["totalCount"]) == before + 3
    assert [str(item["imageId"]) for item in answer["imageList"]] == [item.key for item in added]


# --------------------------------------------------------------------------- missions and FITS


def test_mission_images_page(srv: FakeSlooh, api: httpx.Client) -> None:
    """getMissionImages pages missions newest first with the contract's fields."""
    body = srv.session_body(firstMissionNumber=1, maxMissionCount=10, pagingMode="api")
    answer = api.post("/api/images/getMissionImages", json=body).json()
    assert answer["totalCount"] == len(srv.catalog.missions)
    ids = [item["scheduledMissionId"] for item in answer["imageList"]]
    assert ids == [mission.mission_id for mission in srv.catalog.missions[:10]]
    item = answer["imageList"][0]
    needed = {"imageTitle", "telescopeName", "instrumentName", "displayDate", "displayTime"}
    needed |= {"missionImageCount", "fitsIsAvailable", "missionOwner", "imageURL"}
    assert needed <= set(item)


def test_mission_fits_groups(srv: FakeSlooh, api: httpx.Client) -> None:
    """getMissionFITS answers groupList with file names as imageTitle and absolute URLs."""
    mission = next(item for item in srv.catalog.missions if item.fits_available)
    body = srv.session_body(scheduledMissionId=mission.mission_id)
    groups = api.post("/api/images/getMissionFITS", json=body).json()["groupList"]
    assert [group["groupName"] for group in groups] == [group.name for group in mission.fits_groups]
    assert [group["groupIndex"] for group in groups] == list(range(len(groups)))
    names = [entry["imageTitle"] for group in groups for entry in group["groupImageList"]]
    assert names == [item.filename for item in mission.fits_files]
    for group in groups:
        for entry in group["groupImageList"]:
            assert (
                entry["imageURL"]
                == srv.download_base_url
                + srv.catalog.file(f"fits:{mission.mission_id}:{entry['imageTitle']}").path
            )


def test_fits_entries_sometimes_lack_image_id(srv: FakeSlooh, api: httpx.Client) -> None:
    """Some getMissionFITS entries have no imageId (identify by mission and file name)."""
    entries = []
    for mission in srv.catalog.missions:
        body = srv.session_body(scheduledMissionId=mission.mission_id)
        answer = api.post("/api/images/getMissionFITS", json=body).json()
        entries += [entry for group in answer["groupList"] for entry in group["groupImageList"]]
    assert any("imageId" not in entry for entry in entries)
    assert any("imageId" in entry for entry in entries)


def test_mission_without_fits_has_empty_group_list(srv: FakeSlooh, api: httpx.Client) -> None:
    """getMissionFITS of an unknown mission answers an empty groupList; id 0 is an apiError."""
    answer = api.post("/api/images/getMissionFITS", json=srv.session_body(scheduledMissionId=1))
    assert answer.json()["groupList"] == []
    answer = api.post("/api/images/getMissionFITS", json=srv.session_body(scheduledMissionId=0))
    assert answer.json()["apiError"] is True


# --------------------------------------------------------------------------- request log, runner


def test_request_log_records_calls(srv: FakeSlooh, api: httpx.Client) -> None:
    """The request log has method, path, side, status, times and body keys (never values)."""
    login(api)
    pictures(api, srv.session_body(), viewType="photoRoll")
    records = srv.request_log
    assert [record.endpoint for record in records] == [
        "generateSessionToken", "login", "getMyPictures"
    ]  # fmt: skip
    record = srv.calls("login")[0]
    assert record.method == "POST" and record.server == "api" and record.status == 200
    assert "passwd" in record.body_keys
    assert "demo" not in repr(records)
    assert records[0].started <= records[1].started <= records[2].started
    assert abs(records[0].wall - time.time()) < 60
    assert srv.calls(PICTURES) == srv.calls("getMyPictures")
    srv.clear_log()
    assert srv.request_log == []


def test_unknown_endpoint_is_404(api: httpx.Client) -> None:
    """An unknown API path answers 404 with apiError JSON."""
    response = api.post("/api/nothing/here", json={})
    assert response.status_code == 404 and response.json()["apiError"] is True


def test_runner_starts_and_stops_quickly() -> None:
    """A server starts in under a second and stops cleanly; its ports are then closed."""
    began = time.monotonic()
    server = FakeSlooh(FakeConfig(pictures=10)).start()
    started = time.monotonic() - began
    assert httpx.post(f"{server.base_url}/api/app/generateSessionToken", json={}).status_code == 200
    server.stop()
    assert started < 1.0
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{server.base_url}/api/app/generateSessionToken", json={})


def test_public_names_are_exported() -> None:
    """__all__ lists every public name of the package and each exists."""
    public = {name for name in vars(fake) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(fake, name)).__name__ == "module"}
    assert set(fake.__all__) == public - modules - {"annotations"}


def test_command_line_help() -> None:
    """python -m slooh_async.fake_server --help lists the flags."""
    result = subprocess.run(
        [sys.executable, "-m", "slooh_async.fake_server", "--help"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    for flag in ("--port", "--download-port", "--pictures", "--seed", "--file-size", "--no-range"):
        assert flag in result.stdout
    assert "--faults" in result.stdout


def test_command_line_serves() -> None:
    """The command line serves the API, prints its URL and credentials, and stops on SIGTERM."""
    command = [sys.executable, "-m", "slooh_async.fake_server", "--port", "0", "--pictures", "5"]
    command += ["--faults", "error_rate=0,expiry_mode=401"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            banner = [process.stdout.readline() for _ in range(6)]
            url = banner[0].split()[-1]
            response = httpx.post(f"{url}/api/app/generateSessionToken", json={})
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
    assert url.startswith("http://127.0.0.1:") and response.status_code == 200
    assert "demo / demo" in banner[2] and "expiry_mode=401" in banner[4]
    assert process.returncode == 0


def test_busy_port_fails_cleanly(srv: FakeSlooh) -> None:
    """Asking for a port in use raises OSError at start and leaves no socket open."""
    busy = httpx.URL(srv.base_url).port
    assert busy is not None
    with pytest.raises(OSError):
        FakeSlooh(FakeConfig(pictures=1, port=0, download_port=busy)).start()
