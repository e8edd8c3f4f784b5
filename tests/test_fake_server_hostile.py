"""The fake server's hostile knobs, over real sockets: what each one answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from e2e_support import faults_off

from slooh_async.fake_server import (
    BAD_PORT_URL,
    BAD_URL,
    HTML_PAGE,
    HUGE_ID,
    FakeConfig,
    FakeSlooh,
    Faults,
    second_version,
)

PICTURES = "/api/images/getMyPictures"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlooh]:
    """A fake server with 12 pictures of about 40 KB."""
    with FakeSlooh(FakeConfig(pictures=12, file_size=40_000, fits=False)).running() as running:
        yield running


@pytest.fixture
def srv(server: FakeSlooh) -> Iterator[FakeSlooh]:
    """The module's server, faults off before and after, empty log."""
    yield from faults_off(server)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A plain httpx client that does not follow redirects."""
    with httpx.Client(timeout=10) as http:
        yield http


def page(srv: FakeSlooh, client: httpx.Client, first: int = 1, size: int = 5) -> dict[str, Any]:
    """One photoRoll page as the server answers it."""
    body = srv.session_body(viewType="photoRoll", firstImageNumber=first, maxImageCount=size)
    answer: dict[str, Any] = client.post(f"{srv.base_url}{PICTURES}", json=body).json()
    return answer


def test_malformed_items_break_the_first_positions(srv: FakeSlooh, client: httpx.Client) -> None:
    """Each malformed kind breaks one item, positions 1, 2, 3, 4 in a fixed order."""
    srv.set_faults(malformed_items=frozenset({"huge_id", "bad_url", "bad_port", "odd_types"}))
    items = page(srv, client)["imageList"]
    assert items[0]["imageId"] == HUGE_ID
    assert items[1]["imageDownloadURL"] == BAD_URL
    assert items[2]["imageDownloadURL"] == BAD_PORT_URL
    assert items[3]["imageTitle"] == ["not", "a", "title"] and items[3]["kind"] == "not a kind"
    assert int(items[4]["imageId"]) == srv.catalog.photo_roll[4].image_id
    later = page(srv, client, first=6)["imageList"]
    expected = [item.image_id for item in srv.catalog.photo_roll[5:10]]
    assert [int(item["imageId"]) for item in later] == expected


def test_malformed_order_is_fixed() -> None:
    """The kinds asked for take positions in MALFORMED_KINDS order, whatever order they came in."""
    faults = Faults.parse("malformed_items=part_name+odd_types+huge_id")
    assert faults.malformed_order == ("huge_id", "odd_types", "part_name")
    assert Faults().malformed_order == ()


@pytest.mark.parametrize("kinds", [{"part_name"}, {"huge_id", "part_name"}])
def test_part_named_file_downloads_through_the_missions_view(
    srv: FakeSlooh, client: httpx.Client, kinds: set[str]
) -> None:
    """A part-named item of one mission's pictures (what `slooh mission ID` lists) names the
    mission's next picture plus `.part`, and its URL serves the item's own bytes."""
    srv.set_faults(malformed_items=frozenset(kinds))
    position = len(kinds)
    # not the newest mission: its pictures are not the photoRoll's first
    mission = next(m for m in srv.catalog.missions[1:] if len(m.pictures) > position)
    assert mission.pictures[0] != srv.catalog.photo_roll[0]
    body = srv.session_body(
        viewType="missions", scheduledMissionId=mission.mission_id, maxImageCount=10
    )
    items = client.post(f"{srv.base_url}{PICTURES}", json=body).json()["imageList"]
    item, below = mission.pictures[position - 1], mission.pictures[position]
    listed = items[position - 1]
    assert listed["imageDownloadFilename"] == f"{below.filename}.part"
    for url in (listed["imageURL"], listed["imageDownloadURL"]):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.content == item.body()


def test_part_named_file_downloads_through_the_all_missions_view(
    srv: FakeSlooh, client: httpx.Client
) -> None:
    """The missions view of all missions (its one picture) serves its part-named item too."""
    srv.set_faults(malformed_items=frozenset({"part_name"}))
    body = srv.session_body(viewType="missions", scheduledMissionId=0)
    (listed,) = client.post(f"{srv.base_url}{PICTURES}", json=body).json()["imageList"]
    first = srv.catalog.photo_roll[0]
    assert listed["imageDownloadFilename"] == f"{first.filename}.part"
    response = client.get(listed["imageDownloadURL"])
    assert response.status_code == 200 and response.content == first.body()


def test_repeat_pages_ignore_paging(srv: FakeSlooh, client: httpx.Client) -> None:
    """repeat_pages answers the first page whatever firstImageNumber asks."""
    srv.set_faults(repeat_pages=True)
    first, again = page(srv, client), page(srv, client, first=6)
    assert [i["imageId"] for i in first["imageList"]] == [i["imageId"] for i in again["imageList"]]


@pytest.mark.parametrize(
    ("knobs", "check"),
    [
        ({"total_count": "missing"}, lambda a: "totalCount" not in a),
        ({"total_count": "1000000000"}, lambda a: a["totalCount"] == "1000000000"),
        ({"image_list": "null"}, lambda a: a["imageList"] is None),
        ({"image_list": "object"}, lambda a: isinstance(a["imageList"], dict)),
        ({"image_list": "string"}, lambda a: isinstance(a["imageList"], str)),
    ],
)
def test_page_shapes(
    srv: FakeSlooh, client: httpx.Client, knobs: dict[str, Any], check: Any
) -> None:
    """total_count and image_list give the page the shape asked for."""
    srv.set_faults(**knobs)
    assert check(page(srv, client))


def test_deep_json_cannot_be_parsed(srv: FakeSlooh, client: httpx.Client) -> None:
    """deep_json answers authenticated calls with JSON nested beyond Python's parser."""
    srv.set_faults(deep_json=True)
    response = client.post(f"{srv.base_url}{PICTURES}", json=srv.session_body())
    assert response.status_code == 200
    with pytest.raises(RecursionError):
        json.loads(response.content)


def test_api_redirect_once_per_call(srv: FakeSlooh, client: httpx.Client) -> None:
    """api_redirect answers 307 to its origin; the redirected call itself is answered."""
    srv.set_faults(api_redirect=srv.base_url, redirect_paths=frozenset({"getMyPictures"}))
    first = client.post(f"{srv.base_url}{PICTURES}", json=srv.session_body())
    assert first.status_code == 307
    assert first.headers["location"] == f"{srv.base_url}{PICTURES}?redirected=1"
    followed = client.post(first.headers["location"], json=srv.session_body())
    assert followed.status_code == 200 and followed.json()["imageList"]
    other = client.post(f"{srv.base_url}/api/app/generateSessionToken", json={})
    assert other.status_code == 200


def test_html_keys_answer_200_html(srv: FakeSlooh, client: httpx.Client) -> None:
    """html_keys answer 200 with an HTML page, with the Content-Type asked for."""
    item = srv.catalog.photo_roll[0]
    srv.set_faults(html_keys=frozenset({item.key}))
    response = client.get(srv.url_of(item))
    assert response.status_code == 200 and response.content == HTML_PAGE
    assert response.headers["content-type"] == "text/html"
    srv.set_faults(html_keys=frozenset({item.key}), html_type="image/png")
    assert client.get(srv.url_of(item)).headers["content-type"] == "image/png"


@pytest.mark.parametrize("status", [503, 429])
def test_busy_keys_answer_with_retry_after(
    srv: FakeSlooh, client: httpx.Client, status: int
) -> None:
    """busy_keys answer 503 (or 429) with Retry-After of retry_after seconds."""
    item = srv.catalog.photo_roll[0]
    srv.set_faults(busy_keys=frozenset({item.key}), busy_status=status, retry_after=99999999)
    response = client.get(srv.url_of(item))
    assert response.status_code == status
    assert response.headers["retry-after"] == "99999999"
    assert client.get(srv.url_of(srv.catalog.photo_roll[1])).status_code == 200


def test_changed_keys_serve_a_second_version(srv: FakeSlooh) -> None:
    """changed_keys: v1 cut half way, then v2 (other bytes and ETag); If-Range is honoured."""
    item = srv.catalog.photo_roll[0]
    newer = second_version(item)
    assert newer.body() != item.body() and newer.size == item.size
    srv.set_faults(changed_keys=frozenset({item.key}))
    with httpx.Client(timeout=10) as client:
        with client.stream("GET", srv.url_of(item)) as response, pytest.raises(httpx.HTTPError):
            etag = response.headers["etag"]
            response.read()
        resumed = client.get(
            srv.url_of(item), headers={"Range": f"bytes={item.size // 2}-", "If-Range": etag}
        )
    assert resumed.status_code == 200 and resumed.content == newer.body()
    assert resumed.headers["etag"] != etag


def test_ignore_if_range_splices_when_trusted(srv: FakeSlooh, client: httpx.Client) -> None:
    """ignore_if_range answers 206 of the new version whatever If-Range says."""
    item = srv.catalog.photo_roll[0]
    srv.set_faults(changed_keys=frozenset({item.key}), ignore_if_range=True)
    assert srv.state.dice.first_time(item.key)  # as if the first attempt happened
    half = item.size // 2
    resumed = client.get(srv.url_of(item), headers={"Range": f"bytes={half}-", "If-Range": '"v1"'})
    assert resumed.status_code == 206
    assert resumed.content == second_version(item).body(half)


def test_slow_body_trickles_bytes(srv: FakeSlooh, client: httpx.Client) -> None:
    """A low slow_bytes_per_s sends a few bytes at a time, not one piece after a long silence."""
    item = srv.catalog.photo_roll[0]
    srv.set_faults(slow_bytes_per_s=100)
    with client.stream("GET", srv.url_of(item)) as response:
        pieces = response.iter_raw()
        first = next(pieces)
    assert 0 < len(first) <= 100


@pytest.mark.parametrize(
    "text",
    ["malformed_items=nonsense", "image_list=tuple", "busy_status=500", "redirect_status=200"],
)
def test_hostile_knobs_are_checked(text: str) -> None:
    """Unknown values of the hostile knobs are refused with a message."""
    with pytest.raises(ValueError):
        Faults.parse(text)


def test_hostile_knobs_parse_from_text() -> None:
    """The command line's --faults knows the hostile knobs."""
    faults = Faults.parse(
        "malformed_items=huge_id+bad_url,html_keys=1+2,repeat_pages=1,total_count=missing,"
        "api_redirect=http://127.0.0.1:9,redirect_paths=login,deep_json=yes"
    )
    assert faults.malformed_items == {"huge_id", "bad_url"} and faults.html_keys == {"1", "2"}
    assert faults.repeat_pages and faults.deep_json and faults.total_count == "missing"
    assert faults.redirect_paths == {"login"} and faults.api_redirect == "http://127.0.0.1:9"
