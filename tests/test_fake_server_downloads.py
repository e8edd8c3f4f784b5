"""The fake download host over real sockets: bodies, Content-Length, ETag, Range and HEAD."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import httpx
import pytest

from slooh_async.fake_server import (
    DEFAULT_PRODUCT_ID,
    CatalogFile,
    FakeConfig,
    FakeSlooh,
    Faults,
    create_app,
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlooh]:
    """A fake server with 30 pictures of about 20 KB and their FITS frames."""
    with FakeSlooh(FakeConfig(pictures=30, file_size=20_000)).running() as running:
        yield running


@pytest.fixture
def srv(server: FakeSlooh) -> FakeSlooh:
    """The module's server, faults off, Range on, empty log."""
    server.set_faults(Faults())
    server.range_support = True
    server.clear_log()
    return server


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A plain httpx client (no cookies, no credentials)."""
    with httpx.Client(timeout=10) as http:
        yield http


def some_file(srv: FakeSlooh, file_format: str = "PNG") -> CatalogFile:
    """The newest file of a format."""
    return next(item for item in srv.catalog.expected_files() if item.format == file_format)


@pytest.mark.parametrize("file_format", ["PNG", "JPEG", "FITS"])
def test_full_download_matches_catalog(
    srv: FakeSlooh, client: httpx.Client, file_format: str
) -> None:
    """A GET answers the catalog's bytes with Content-Length, ETag and Accept-Ranges."""
    item = some_file(srv, file_format)
    response = client.get(srv.url_of(item))
    assert response.status_code == 200
    assert response.content == item.body()
    assert int(response.headers["content-length"]) == item.size == len(response.content)
    assert response.headers["etag"].startswith('"')
    assert response.headers["accept-ranges"] == "bytes"
    assert "last-modified" in response.headers


def test_query_string_is_ignored(srv: FakeSlooh, client: httpx.Client) -> None:
    """The rand query does not change what is served."""
    item = some_file(srv)
    plain = client.get(srv.url_of(item)).content
    assert client.get(srv.url_of(item) + "?rand=1770718975.7166").content == plain


def test_listed_urls_download(srv: FakeSlooh, client: httpx.Client) -> None:
    """Every imageDownloadURL of a listing downloads with the listed file's bytes."""
    body = srv.session_body(viewType="photoRoll", maxImageCount=10)
    listing = client.post(f"{srv.base_url}/api/images/getMyPictures", json=body).json()
    for entry in listing["imageList"]:
        expected = srv.catalog.file(str(entry["imageId"])).body()
        assert client.get(entry["imageDownloadURL"]).content == expected


def test_range_answers_206(srv: FakeSlooh, client: httpx.Client) -> None:
    """Range: bytes=a-b answers 206 with Content-Range and exactly those bytes."""
    item = some_file(srv, "FITS")
    response = client.get(srv.url_of(item), headers={"Range": "bytes=100-2999"})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 100-2999/{item.size}"
    assert response.content == item.body(100, 3000)
    assert response.headers["content-length"] == "2900"


@pytest.mark.parametrize(
    ("header", "start", "from_end"),
    [("bytes=5000-", 5000, 0), ("bytes=-300", None, 300), ("bytes=0-99999999", 0, 0)],
)
def test_open_and_suffix_ranges(
    srv: FakeSlooh, client: httpx.Client, header: str, start: int | None, from_end: int
) -> None:
    """Open-ended, suffix and overlong ranges answer the right tail of the file."""
    item = some_file(srv)
    first = item.size - from_end if start is None else start
    response = client.get(srv.url_of(item), headers={"Range": header})
    assert response.status_code == 206
    assert response.content == item.body(first)
    assert response.headers["content-range"] == f"bytes {first}-{item.size - 1}/{item.size}"


def test_unsatisfiable_range_answers_416(srv: FakeSlooh, client: httpx.Client) -> None:
    """A range past the end answers 416 with Content-Range bytes */size."""
    item = some_file(srv)
    response = client.get(srv.url_of(item), headers={"Range": f"bytes={item.size}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{item.size}"


def test_malformed_range_is_ignored(srv: FakeSlooh, client: httpx.Client) -> None:
    """A malformed or multi-part Range is ignored: 200 with the whole body."""
    item = some_file(srv)
    for header in ("bytes=abc", "items=0-5", "bytes=0-1,4-5", "bytes=9-3"):
        response = client.get(srv.url_of(item), headers={"Range": header})
        assert response.status_code == 200 and len(response.content) == item.size


def test_if_range_with_other_etag_sends_everything(srv: FakeSlooh, client: httpx.Client) -> None:
    """If-Range with a stale ETag answers 200 and the whole body; the right ETag gets 206."""
    item = some_file(srv)
    etag = client.head(srv.url_of(item)).headers["etag"]
    stale = client.get(srv.url_of(item), headers={"Range": "bytes=10-", "If-Range": '"old"'})
    fresh = client.get(srv.url_of(item), headers={"Range": "bytes=10-", "If-Range": etag})
    assert stale.status_code == 200 and len(stale.content) == item.size
    assert fresh.status_code == 206


def test_range_support_off(srv: FakeSlooh, client: httpx.Client) -> None:
    """With range_support off the host ignores Range: always 200 and the full body."""
    srv.range_support = False
    item = some_file(srv)
    response = client.get(srv.url_of(item), headers={"Range": "bytes=100-"})
    assert response.status_code == 200 and response.content == item.body()
    assert response.headers["accept-ranges"] == "none"


def test_no_range_config_starts_with_range_off() -> None:
    """FakeConfig(range_support=False) serves 200 to ranged requests from the start."""
    with FakeSlooh(FakeConfig(pictures=2, range_support=False)) as other:
        item = other.catalog.photo_roll[0]
        response = httpx.get(other.url_of(item), headers={"Range": "bytes=0-9"})
    assert response.status_code == 200 and len(response.content) == item.size


def test_head_answers_headers_only(srv: FakeSlooh, client: httpx.Client) -> None:
    """HEAD answers the GET's status and headers with no body."""
    item = some_file(srv, "JPEG")
    response = client.head(srv.url_of(item))
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["content-length"]) == item.size
    assert srv.calls(item.path)[0].method == "HEAD"


def test_unknown_path_is_404(srv: FakeSlooh, client: httpx.Client) -> None:
    """A path that names no file answers 404."""
    assert client.get(f"{srv.download_base_url}/chile/1/none.png").status_code == 404


def test_downloads_need_no_credentials(srv: FakeSlooh, client: httpx.Client) -> None:
    """Downloads work without cookies or credentials and are logged on the download side."""
    item = some_file(srv)
    assert client.get(srv.url_of(item)).status_code == 200
    record = srv.calls(item.path)[-1]
    assert record.server == "download" and record.bytes_sent == item.size
    assert record.port != httpx.URL(srv.base_url).port


def test_api_path_on_download_host_is_not_the_api(srv: FakeSlooh, client: httpx.Client) -> None:
    """The API does not answer on the download host (a different host)."""
    response = client.post(f"{srv.download_base_url}/api/app/generateSessionToken", json={})
    assert response.status_code == 405


def test_large_file_streams_in_pieces() -> None:
    """A 3 MB FITS file streams whole and a range deep inside it is exact."""
    with FakeSlooh(FakeConfig(pictures=1, fits_size=3_000_000)) as other:
        item = other.catalog.fits_files[0]
        with httpx.stream("GET", other.url_of(item)) as response:
            chunks = list(response.iter_raw())
        tail = httpx.get(other.url_of(item), headers={"Range": "bytes=2000000-2100000"})
    assert b"".join(chunks) == item.body()
    assert len(b"".join(chunks)) == item.size and item.size % 2880 == 0
    assert tail.content == item.body(2_000_000, 2_100_001)


@pytest.mark.anyio
async def test_concurrent_downloads(srv: FakeSlooh) -> None:
    """Many concurrent downloads each get their own file's bytes."""
    items = srv.catalog.expected_files()[:24]
    results: dict[str, bytes] = {}

    async def fetch(http: httpx.AsyncClient, item: CatalogFile) -> None:
        results[item.key] = (await http.get(srv.url_of(item))).content

    async with httpx.AsyncClient(timeout=10) as http, anyio.create_task_group() as group:
        for item in items:
            group.start_soon(fetch, http, item)
    assert all(results[item.key] == item.body() for item in items)


def test_single_port_app_routes_by_method() -> None:
    """create_app on one port serves the API to POST and files to GET (any ASGI server)."""
    app = create_app(FakeConfig(pictures=3, file_size=2048), "http://fake.test")
    session = app.state.sessions.login(0.0)
    body = {"productId": DEFAULT_PRODUCT_ID, "locale": "en", "at": session.at}
    body |= {"cid": session.cid, "token": session.token, "viewType": "photoRoll"}

    async def run() -> tuple[httpx.Response, bytes]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fake.test") as http:
            listing = await http.post("/api/images/getMyPictures", json=body)
            url = listing.json()["imageList"][0]["imageDownloadURL"]
            return listing, (await http.get(url)).content

    listing, content = anyio.run(run)
    assert listing.json()["imageList"][0]["imageDownloadURL"].startswith("http://fake.test/")
    assert content == app.state.catalog.photo_roll[0].body()
