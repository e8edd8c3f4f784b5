"""Every fault knob of the fake server, over real sockets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import anyio
import httpx
import pytest
from e2e_support import faults_off

from slooh_async.fake_server import DEFAULT_PRODUCT_ID, FakeConfig, FakeSlooh, Faults

PICTURES = "/api/images/getMyPictures"


class SkippingClock:
    """Real monotonic time, plus whatever a test skipped ahead (a session ages at once)."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped

    def skip(self, seconds: float) -> None:
        self.skipped += seconds


@pytest.fixture(scope="module")
def clock() -> SkippingClock:
    """The module server's clock."""
    return SkippingClock()


@pytest.fixture(scope="module")
def server(clock: SkippingClock) -> Iterator[FakeSlooh]:
    """A fake server with 20 small pictures, on a clock the tests can skip ahead."""
    with FakeSlooh(FakeConfig(pictures=20, file_size=4096), clock=clock).running() as running:
        yield running


@pytest.fixture
def srv(server: FakeSlooh) -> Iterator[FakeSlooh]:
    """The module's server, faults off before and after the test, empty log."""
    yield from faults_off(server)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A plain httpx client."""
    with httpx.Client(timeout=10) as http:
        yield http


def list_pictures(srv: FakeSlooh, client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    """One photoRoll page."""
    return client.post(f"{srv.base_url}{PICTURES}", json={**body, "viewType": "photoRoll"})


def login(srv: FakeSlooh, client: httpx.Client) -> dict[str, Any]:
    """The real login flow; the credentials and common fields of its answer."""
    token = client.post(f"{srv.base_url}/api/app/generateSessionToken", json={}).json()
    body = {"productId": DEFAULT_PRODUCT_ID, "locale": "en", "username": "demo", "passwd": "demo"}
    body["sloohSessionToken"] = token["sloohSessionToken"]
    answer = client.post(f"{srv.base_url}/api/users/login", json=body).json()
    return {key: body[key] for key in ("productId", "locale")} | {
        key: answer[key] for key in ("at", "cid", "token")
    }


# --------------------------------------------------------------------------- errors and 429


def test_error_rate_answers_500_and_503(srv: FakeSlooh, client: httpx.Client) -> None:
    """error_rate=1 answers every API call with 500 or 503 (HTML, not JSON)."""
    srv.set_faults(error_rate=1.0)
    statuses = {list_pictures(srv, client, srv.session_body()).status_code for _ in range(30)}
    assert statuses == {500, 503}
    response = list_pictures(srv, client, srv.session_body())
    assert response.headers["content-type"].startswith("text/html")
    assert {record.fault for record in srv.request_log} == {"error"}


def test_error_rate_is_partial_and_scoped(srv: FakeSlooh, client: httpx.Client) -> None:
    """error_rate=0.3 fails some calls; scope=downloads leaves the API alone."""
    srv.set_faults(error_rate=0.3)
    statuses = [list_pictures(srv, client, srv.session_body()).status_code for _ in range(60)]
    assert 5 < sum(status >= 500 for status in statuses) < 40
    srv.set_faults(error_rate=1.0, scope="downloads")
    assert list_pictures(srv, client, srv.session_body()).status_code == 200
    item = srv.catalog.photo_roll[0]
    assert {client.get(srv.url_of(item)).status_code for _ in range(30)} == {500, 503}


def test_faults_rerun_identically(srv: FakeSlooh, client: httpx.Client) -> None:
    """Setting the same faults again replays the same sequence of failures."""
    runs = []
    for _ in range(2):
        srv.set_faults(Faults(error_rate=0.5))
        runs.append([list_pictures(srv, client, srv.session_body()).status_code for _ in range(20)])
    assert runs[0] == runs[1]


def test_429_carries_retry_after_seconds(srv: FakeSlooh, client: httpx.Client) -> None:
    """rate_429 answers 429 with Retry-After in seconds (the configured value)."""
    srv.set_faults(rate_429=1.0, retry_after=7, retry_after_date_rate=0.0)
    response = list_pictures(srv, client, srv.session_body())
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    assert response.json()["statusCode"] == 429
    download = client.get(srv.url_of(srv.catalog.photo_roll[0]))
    assert download.status_code == 429 and download.headers["retry-after"] == "7"


def test_429_retry_after_as_http_date(srv: FakeSlooh, client: httpx.Client) -> None:
    """With retry_after_date_rate=1 Retry-After is an HTTP date about retry_after ahead."""
    srv.set_faults(rate_429=1.0, retry_after=30, retry_after_date_rate=1.0)
    header = list_pictures(srv, client, srv.session_body()).headers["retry-after"]
    ahead = parsedate_to_datetime(header).timestamp() - time.time()
    assert 28 <= ahead <= 32


def test_api_max_per_minute(srv: FakeSlooh, client: httpx.Client, clock: SkippingClock) -> None:
    """More API calls than api_max_per_minute in 60 s answer 429 with a Retry-After, until
    the window frees."""
    srv.set_faults(api_max_per_minute=5)
    body = srv.session_body()
    statuses = [list_pictures(srv, client, body).status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    limited = list_pictures(srv, client, body)
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert srv.calls("getMyPictures")[-1].fault == "rate_limit"
    assert client.get(srv.url_of(srv.catalog.photo_roll[0])).status_code == 200
    clock.skip(60.0)
    assert list_pictures(srv, client, body).status_code == 200


def test_fail_endpoints(srv: FakeSlooh, client: httpx.Client) -> None:
    """An endpoint named in fail_endpoints answers 500 (HTML) until removed; others work."""
    srv.set_faults(fail_endpoints={"getMissionImages"})
    body = srv.session_body()
    missions = f"{srv.base_url}/api/images/getMissionImages"
    for _ in range(3):
        failed = client.post(missions, json=body)
        assert failed.status_code == 500
        assert failed.headers["content-type"].startswith("text/html")
    assert list_pictures(srv, client, body).status_code == 200
    assert srv.calls("getMissionImages")[-1].fault == "fail_endpoint"
    srv.set_faults(fail_endpoints=set())
    assert client.post(missions, json=body).json()["apiError"] is False


# --------------------------------------------------------------------------- bodies


def test_drop_mid_body(srv: FakeSlooh, client: httpx.Client) -> None:
    """drop_rate=1 sends the full Content-Length, part of the body, then closes the connection."""
    srv.set_faults(drop_rate=1.0)
    item = srv.catalog.photo_roll[0]
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(srv.url_of(item))
    record = srv.calls(item.path)[-1]
    assert record.fault == "drop" and record.bytes_sent < item.size
    srv.set_faults(Faults())
    assert client.get(srv.url_of(item)).content == item.body()


def test_drop_keeps_the_sent_part_exact(srv: FakeSlooh) -> None:
    """The bytes sent before a drop are the file's first bytes (a resume can build on them)."""
    srv.set_faults(drop_rate=1.0)
    item = srv.catalog.photo_roll[1]
    received = bytearray()
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("GET", srv.url_of(item)) as response,
    ):
        assert response.headers["content-length"] == str(item.size)
        for chunk in response.iter_raw():
            received += chunk
    assert bytes(received) == item.body(0, len(received))


def test_slow_body_is_throttled(srv: FakeSlooh, client: httpx.Client) -> None:
    """slow_bytes_per_s holds a download to about that rate."""
    srv.set_faults(slow_bytes_per_s=20_000)
    item = srv.catalog.photo_roll[0]
    began = time.monotonic()
    response = client.get(srv.url_of(item))
    elapsed = time.monotonic() - began
    assert response.content == item.body()
    assert item.size / 20_000 * 0.8 <= elapsed <= item.size / 20_000 + 1.0


@pytest.mark.anyio
async def test_slow_download_abandoned_by_client(srv: FakeSlooh) -> None:
    """A client that gives up on a slow body frees the server (it stops sending)."""
    srv.set_faults(slow_bytes_per_s=2_000)
    item = srv.catalog.photo_roll[0]
    async with httpx.AsyncClient(timeout=10) as http:
        with anyio.move_on_after(0.3):
            await http.get(srv.url_of(item))
    # the request is logged once the server stops sending
    (record,) = await anyio.to_thread.run_sync(srv.wait_for_calls, item.path)
    assert record.bytes_sent < item.size


def test_fail_keys(srv: FakeSlooh, client: httpx.Client) -> None:
    """Files named in fail_keys (image id or FITS file name) answer 500 until removed."""
    picture = srv.catalog.photo_roll[0]
    frame = srv.catalog.fits_files[0]
    other = srv.catalog.photo_roll[1]
    srv.set_faults(fail_keys={picture.key, frame.filename})
    for _ in range(3):
        assert client.get(srv.url_of(picture)).status_code == 500
        assert client.get(srv.url_of(frame)).status_code == 500
    assert client.get(srv.url_of(other)).status_code == 200
    assert srv.calls(picture.path)[-1].fault == "fail_key"
    srv.set_faults(fail_keys=set())
    assert client.get(srv.url_of(picture)).status_code == 200


# --------------------------------------------------------------------------- sessions


def test_expiry_after_calls_silent(srv: FakeSlooh, client: httpx.Client) -> None:
    """Silent expiry: after N calls getMyPictures answers totalCount "0", no error."""
    srv.set_faults(expire_after_calls=3, expiry_mode="silent")
    body = login(srv, client)
    answers = [list_pictures(srv, client, body).json() for _ in range(5)]
    assert [answer["totalCount"] for answer in answers] == ["20", "20", "20", "0", "0"]
    assert answers[-1]["imageList"] == [] and answers[-1]["apiError"] is False
    assert answers[-1]["statusCode"] == 200
    fresh = login(srv, client)
    assert fresh["token"] != body["token"]
    assert list_pictures(srv, client, fresh).json()["totalCount"] == "20"


def test_expiry_silent_on_other_endpoints(srv: FakeSlooh, client: httpx.Client) -> None:
    """Silent expiry answers empty lists on the mission endpoints too."""
    srv.set_faults(expire_after_calls=1, expiry_mode="silent")
    body = login(srv, client)
    list_pictures(srv, client, body)
    mission = srv.catalog.missions[0].mission_id
    fits = client.post(
        f"{srv.base_url}/api/images/getMissionFITS", json=body | {"scheduledMissionId": mission}
    )
    missions = client.post(f"{srv.base_url}/api/images/getMissionImages", json=body)
    assert fits.json()["groupList"] == [] and fits.json()["apiError"] is False
    assert missions.json()["imageList"] == [] and missions.json()["totalCount"] == 0


def test_expiry_after_calls_401(srv: FakeSlooh, client: httpx.Client) -> None:
    """401 expiry: after N calls the answer is apiError true with statusCode 401."""
    srv.set_faults(expire_after_calls=2, expiry_mode="401")
    body = login(srv, client)
    answers = [list_pictures(srv, client, body).json() for _ in range(3)]
    assert [answer["apiError"] for answer in answers] == [False, False, True]
    assert int(answers[-1]["statusCode"]) == 401 and answers[-1]["errorMsg"]
    assert list_pictures(srv, client, login(srv, client)).json()["apiError"] is False


def test_expiry_after_seconds(srv: FakeSlooh, client: httpx.Client, clock: SkippingClock) -> None:
    """A session expires expire_after_seconds after its login (15 minutes idle), not before."""
    srv.set_faults(expire_after_seconds=900, expiry_mode="401")
    body = login(srv, client)
    clock.skip(899)
    assert list_pictures(srv, client, body).json()["apiError"] is False
    clock.skip(1)
    assert int(list_pictures(srv, client, body).json()["statusCode"]) == 401


def test_expired_session_stays_expired(srv: FakeSlooh, client: httpx.Client) -> None:
    """Once expired, old credentials stay invalid even after the knob is turned off."""
    body = login(srv, client)
    srv.expire_sessions()
    srv.set_faults(expiry_mode="401")
    assert int(list_pictures(srv, client, body).json()["statusCode"]) == 401
    assert srv.calls("getMyPictures")[-1].fault == "expired"


def test_bad_credentials_fault(srv: FakeSlooh, client: httpx.Client) -> None:
    """bad_credentials makes even the right password fail with loginError "true"."""
    srv.set_faults(bad_credentials=True)
    token = client.post(f"{srv.base_url}/api/app/generateSessionToken", json={}).json()
    body = {"productId": DEFAULT_PRODUCT_ID, "locale": "en", "username": "demo", "passwd": "demo"}
    answer = client.post(
        f"{srv.base_url}/api/users/login",
        json=body | {"sloohSessionToken": token["sloohSessionToken"]},
    ).json()
    assert answer["loginError"] == "true" and answer["errorMsg"]
    assert srv.calls("login")[-1].fault == "bad_credentials"


# --------------------------------------------------------------------------- knobs


def test_faults_parse_from_text() -> None:
    """Faults.parse reads the command line's k=v list, fail_keys joined by '+'."""
    faults = Faults.parse(
        "error_rate=0.2,rate_429=0.1,expiry_mode=401,fail_keys=1+b.fit,bad_credentials=true,"
        "fail_endpoints=getMissionImages+getMissionFITS"
    )
    assert faults.error_rate == 0.2 and faults.rate_429 == 0.1 and faults.expiry_mode == "401"
    assert faults.fail_keys == frozenset({"1", "b.fit"}) and faults.bad_credentials is True
    assert faults.fail_endpoints == frozenset({"getMissionImages", "getMissionFITS"})
    assert Faults.parse("") == Faults()


@pytest.mark.parametrize("text", ["error_rate=2", "expiry_mode=never", "nonsense=1", "scope=moon"])
def test_faults_reject_bad_values(text: str) -> None:
    """Out-of-range rates, unknown modes and unknown knobs are refused."""
    with pytest.raises(ValueError):
        Faults.parse(text)
