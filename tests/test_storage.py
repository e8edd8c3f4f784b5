"""Fetcher: .part streaming, Range resume (206/200/416), verification, retries, disk errors."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from slooh_async._exceptions import DownloadError, StorageError
from slooh_async.api import RateLimiter, RetryPolicy
from slooh_async.engine import Fetcher, _partfile, download_client, parse_content_range
from slooh_async.media import PNG_SIGNATURE
from slooh_async.organizer import meta_path, part_path

pytestmark = pytest.mark.anyio

BODY = PNG_SIGNATURE + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 1000  # 256,016 bytes
URL = "https://images.example/a/m42_20260121_011658_0_iycarr_l.png?rand=1.5"


class Host:
    """A download host with switchable Range support and faults."""

    def __init__(self, body: bytes = BODY) -> None:
        self.body = body
        self.ranges = True
        self.requests: list[httpx.Request] = []
        self.faults: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        fault = self.faults.pop(0) if self.faults else None
        if fault == "503":
            return httpx.Response(503, headers={"Retry-After": "0"})
        if fault == "404":
            return httpx.Response(404)
        start = 0
        header = request.headers.get("range")
        status, headers = 200, {"ETag": '"abc"', "Accept-Ranges": "bytes"}
        if header and self.ranges:
            start = int(header.removeprefix("bytes=").rstrip("-"))
            if start >= len(self.body):
                return httpx.Response(416, headers={"Content-Range": f"bytes */{len(self.body)}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(self.body) - 1}/{len(self.body)}"
        payload = self.body[start:]
        headers["Content-Length"] = str(len(payload))
        if fault == "drop":
            return httpx.Response(
                status, headers=headers, stream=_Dropping(payload[: len(payload) // 2])
            )
        if fault == "short":
            return httpx.Response(
                status, headers=headers, stream=_Dropping(payload[:1000], drop=False)
            )
        return httpx.Response(status, headers=headers, content=payload)


class _Dropping(httpx.AsyncByteStream):
    def __init__(self, data: bytes, drop: bool = True) -> None:
        self.data, self.drop = data, drop

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data
        if self.drop:
            raise httpx.ReadError("connection reset by peer")


@pytest.fixture
def host() -> Host:
    return Host()


@pytest.fixture
async def fetcher(host: Host) -> AsyncIterator[Fetcher]:
    async with download_client(transport=httpx.MockTransport(host)) as http:
        yield Fetcher(
            http,
            RateLimiter(0),
            RetryPolicy.no_wait(3),
            hash_algorithm="sha256",
        )


def keep_part(dest: Path, data: bytes, etag: str = '"abc"') -> None:
    """A partial download as an earlier run leaves it: the bytes and the version they are of."""
    part_path(dest).write_bytes(data)
    meta_path(dest).write_text(json.dumps({"etag": etag, "last_modified": None}))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_download_lands_in_place_with_hash_and_mtime(
    fetcher: Fetcher, tmp_path: Path
) -> None:
    """The file arrives whole, the .part is gone, the hash matches, mtime is the observation."""
    dest = tmp_path / "M42" / "a.png"
    when = datetime(2026, 1, 21, 1, 16, 58, tzinfo=UTC)
    result = await fetcher.fetch(URL, dest, mtime=when)
    assert dest.read_bytes() == BODY and not part_path(dest).exists()
    assert (result.size, result.hash, result.attempts) == (len(BODY), sha(BODY), 1)
    assert dest.stat().st_mtime == when.timestamp()


async def test_resume_sends_range_and_appends(fetcher: Fetcher, host: Host, tmp_path: Path) -> None:
    """An existing .part is continued with Range: bytes=N- and the hash covers the whole file."""
    dest = tmp_path / "a.png"
    keep_part(dest, BODY[:100_000])
    result = await fetcher.fetch(URL, dest)
    assert host.requests[0].headers["range"] == "bytes=100000-"
    assert dest.read_bytes() == BODY and result.hash == sha(BODY) and result.resumed_from == 100_000


async def test_range_ignored_restarts_from_zero(
    fetcher: Fetcher, host: Host, tmp_path: Path
) -> None:
    """A host answering 200 to a Range request: the part is rewritten from byte 0."""
    host.ranges = False
    dest = tmp_path / "a.png"
    keep_part(dest, b"garbage" * 100)
    await fetcher.fetch(URL, dest)
    assert dest.read_bytes() == BODY


async def test_416_with_complete_part_finishes(
    fetcher: Fetcher, host: Host, tmp_path: Path
) -> None:
    """416 whose Content-Range total equals the part's size: the part was complete."""
    dest = tmp_path / "a.png"
    keep_part(dest, BODY)
    result = await fetcher.fetch(URL, dest)
    assert dest.read_bytes() == BODY and result.hash == sha(BODY)


async def test_416_with_oversized_part_restarts(fetcher: Fetcher, tmp_path: Path) -> None:
    """A part longer than the file cannot be resumed: start again from zero."""
    dest = tmp_path / "a.png"
    keep_part(dest, BODY + b"extra")
    await fetcher.fetch(URL, dest)
    assert dest.read_bytes() == BODY


async def test_drop_mid_body_resumes(fetcher: Fetcher, host: Host, tmp_path: Path) -> None:
    """A connection dropped mid-body resumes from the bytes already written."""
    host.faults = ["drop", "drop", "drop", "drop", "drop"]
    dest = tmp_path / "a.png"
    result = await fetcher.fetch(URL, dest)
    assert dest.read_bytes() == BODY and result.hash == sha(BODY)
    assert all("range" in r.headers for r in host.requests[1:])
    assert result.attempts == 6  # progress keeps resetting the failure count


async def test_short_body_is_completed(fetcher: Fetcher, host: Host, tmp_path: Path) -> None:
    """Fewer bytes than Content-Length is not success: the rest is fetched."""
    host.faults = ["short"]
    dest = tmp_path / "a.png"
    await fetcher.fetch(URL, dest)
    assert dest.read_bytes() == BODY


async def test_a_retry_hashes_only_new_bytes_not_the_part_again(
    fetcher: Fetcher, host: Host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropped mid-body: the next try keeps this download's digest, never reads the part back."""
    reads: list[str] = []

    def spy(path: str, flags: int) -> int:
        if not flags & (os.O_WRONLY | os.O_RDWR):
            reads.append(path)
        return opener(path, flags)

    opener = _partfile._open_safely
    monkeypatch.setattr(_partfile, "_open_safely", spy)
    host.faults = ["drop", "short", "drop"]
    dest = tmp_path / "a.png"
    result = await fetcher.fetch(URL, dest)
    assert dest.read_bytes() == BODY and result.hash == sha(BODY) and result.attempts == 4
    assert reads == []


async def test_a_retry_answered_from_byte_0_starts_the_digest_again(
    fetcher: Fetcher, host: Host, tmp_path: Path
) -> None:
    """Dropped, then the Range is ignored (200): the kept digest is dropped with the bytes."""
    host.ranges, host.faults = False, ["drop"]
    dest = tmp_path / "a.png"
    result = await fetcher.fetch(URL, dest)
    assert "range" in host.requests[1].headers
    assert dest.read_bytes() == BODY and result.hash == sha(BODY) and result.attempts == 2


async def test_a_part_replaced_between_tries_is_hashed_from_disk(
    host: Host, tmp_path: Path
) -> None:
    """A part another program replaced while the download waited: the digest is of its bytes."""
    dest = tmp_path / "a.png"

    def replacing(request: httpx.Request) -> httpx.Response:
        if host.requests:  # the retry: the part was rewritten (same size, other bytes) meanwhile
            kept = part_path(dest).read_bytes()
            other = tmp_path / "other"
            other.write_bytes(kept[:100] + bytes(b ^ 0xFF for b in kept[100:]))
            os.replace(other, part_path(dest))
        return host(request)

    host.faults = ["drop"]
    async with download_client(transport=httpx.MockTransport(replacing)) as http:
        fetcher = Fetcher(http, RateLimiter(0), RetryPolicy.no_wait(3), hash_algorithm="sha256")
        result = await fetcher.fetch(URL, dest)
    assert dest.read_bytes() != BODY and len(dest.read_bytes()) == len(BODY)
    assert result.hash == sha(dest.read_bytes())


async def test_5xx_is_retried(fetcher: Fetcher, host: Host, tmp_path: Path) -> None:
    """503 answers are retried."""
    host.faults = ["503", "503"]
    await fetcher.fetch(URL, tmp_path / "a.png")
    assert len(host.requests) == 3


async def test_persistent_5xx_fails_without_a_file(
    fetcher: Fetcher, host: Host, tmp_path: Path
) -> None:
    """After max_retries the file fails; nothing is at the destination."""
    host.faults = ["503"] * 10
    dest = tmp_path / "a.png"
    with pytest.raises(DownloadError, match="503") as caught:
        await fetcher.fetch(URL, dest)
    assert not dest.exists() and len(host.requests) == 4
    assert caught.value.attempts == 4  # what the tracker records


async def test_404_is_not_retried(fetcher: Fetcher, host: Host, tmp_path: Path) -> None:
    """A 404 fails at once."""
    host.faults = ["404"]
    with pytest.raises(DownloadError, match="404"):
        await fetcher.fetch(URL, tmp_path / "a.png")
    assert len(host.requests) == 1


async def test_final_path_is_asked_after_the_bytes(fetcher: Fetcher, tmp_path: Path) -> None:
    """`final` decides the path once the download is complete (rename on a late clash)."""
    dest = tmp_path / "a.png"
    other = tmp_path / "a (1).png"
    result = await fetcher.fetch(URL, dest, final=lambda: other)
    assert result.path == other and other.read_bytes() == BODY and not dest.exists()


async def test_progress_reports_absolute_bytes(fetcher: Fetcher, tmp_path: Path) -> None:
    """on_progress gets (bytes so far, expected size), ending at the full size."""
    seen: list[tuple[int, int | None]] = []
    await fetcher.fetch(URL, tmp_path / "a.png", on_progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(BODY), len(BODY))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


async def test_disk_full_is_a_storage_error(
    fetcher: Fetcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC stops with StorageError naming the file; no file appears at the destination."""
    import aiofiles.threadpool.binary

    async def full(self: object, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(aiofiles.threadpool.binary.AsyncBufferedIOBase, "write", full)
    dest = tmp_path / "a.png"
    with pytest.raises(StorageError, match="disk is full") as caught:
        await fetcher.fetch(URL, dest)
    assert caught.value.exit_code == 5 and "a.png" in str(caught.value)
    assert not dest.exists()


def test_content_range_parsing() -> None:
    """Content-Range forms: bytes a-b/total and bytes */total."""
    assert parse_content_range("bytes 100-199/1000") == (100, 199, 1000)
    assert parse_content_range("bytes */1000") == (None, None, 1000)
    assert parse_content_range("bytes 0-9/*") == (0, 9, None)
    assert parse_content_range(None) == (None, None, None)


def _chunks() -> Iterator[bytes]:  # pragma: no cover - keeps mypy happy about generators
    yield b""


async def test_verify_reads_back_and_accepts_a_matching_md5_etag(
    host: Host, tmp_path: Path
) -> None:
    """verify_hash: the file is re-read after download; an MD5 ETag equal to it is fine."""
    md5 = hashlib.md5(BODY).hexdigest()

    def with_etag(request: httpx.Request) -> httpx.Response:
        response = host(request)
        response.headers["ETag"] = f'"{md5}"'
        return response

    async with download_client(transport=httpx.MockTransport(with_etag)) as http:
        fetcher = Fetcher(
            http, RateLimiter(0), RetryPolicy.no_wait(1), hash_algorithm="md5", verify=True
        )
        result = await fetcher.fetch(URL, tmp_path / "a.png")
    assert result.hash == md5 and result.hash_algorithm == "md5"


async def test_verify_rejects_a_body_that_contradicts_its_md5_etag(
    host: Host, tmp_path: Path
) -> None:
    """An MD5 ETag that does not match the bytes: fetched again, then failed; no file left."""

    def lying(request: httpx.Request) -> httpx.Response:
        response = host(request)
        response.headers["ETag"] = '"' + "0" * 32 + '"'
        return response

    async with download_client(transport=httpx.MockTransport(lying)) as http:
        fetcher = Fetcher(
            http, RateLimiter(0), RetryPolicy.no_wait(1), hash_algorithm="md5", verify=True
        )
        with pytest.raises(DownloadError, match="ETag"):
            await fetcher.fetch(URL, tmp_path / "a.png")
    assert not (tmp_path / "a.png").exists() and not part_path(tmp_path / "a.png").exists()


async def test_empty_body_makes_an_empty_file_only_where_empty_can_be_right(
    tmp_path: Path,
) -> None:
    """A zero-byte file of no known format is a file too; a zero-byte PNG is not a picture:
    tried again, then failed, and nothing is left at its destination."""
    empty = Host(b"")
    async with download_client(transport=httpx.MockTransport(empty)) as http:
        fetcher = Fetcher(http, RateLimiter(0), RetryPolicy.no_wait(1))
        result = await fetcher.fetch(URL, tmp_path / "e.dat")
        with pytest.raises(DownloadError, match="PNG file is only 0 bytes long"):
            await fetcher.fetch(URL, tmp_path / "e.png")
    assert (tmp_path / "e.dat").read_bytes() == b"" and result.hash == sha(b"")
    assert not (tmp_path / "e.png").exists() and not part_path(tmp_path / "e.png").exists()


@pytest.mark.parametrize(
    ("url", "tries"),
    [
        ("https://images.example/loop.png", 21),
        ("https://images.example/a\nb.png", 0),
        ("ftp://images.example/a", 1),
    ],
    ids=["redirect-loop", "invalid-url", "unsupported-scheme"],
)
async def test_hopeless_url_fails_the_file_at_once(url: str, tries: int, tmp_path: Path) -> None:
    """A redirect loop or a URL httpx cannot use is that file's DownloadError, not a crash."""
    requests: list[httpx.Request] = []

    def loop(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.scheme == "ftp":  # what httpx's real transport says
            raise httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'.")
        return httpx.Response(302, headers={"Location": str(request.url)})

    transport = httpx.MockTransport(loop)
    async with download_client(transport=transport) as http:
        fetcher = Fetcher(http, RateLimiter(0), RetryPolicy.no_wait(3))
        with pytest.raises(DownloadError):
            await fetcher.fetch(url, tmp_path / "a.png")
    assert len(requests) == tries  # one try (httpx follows 20 redirects), never retried
    assert not (tmp_path / "a.png").exists()


async def test_big_files_are_not_hashed_unless_verifying(host: Host, tmp_path: Path) -> None:
    """Above hash_limit no digest is taken (it is not cheap); with verify it always is."""
    async with download_client(transport=httpx.MockTransport(host)) as http:
        quick = Fetcher(http, RateLimiter(0), RetryPolicy.no_wait(1), hash_limit=1000)
        careful = Fetcher(
            http, RateLimiter(0), RetryPolicy.no_wait(1), hash_limit=1000, verify=True
        )
        unhashed = await quick.fetch(URL, tmp_path / "a.png")
        hashed = await careful.fetch(URL, tmp_path / "b.png")
    assert unhashed.hash is None and unhashed.hash_algorithm is None
    assert (tmp_path / "a.png").read_bytes() == BODY
    assert hashed.hash == sha(BODY)


async def test_deep_new_folders_are_made_and_a_file_in_the_way_fails_the_file(
    fetcher: Fetcher, tmp_path: Path
) -> None:
    """mkdir -p of several new levels; a file where a folder must go is that file's error."""
    deep = tmp_path / "lib" / "M42" / "Canary Two" / "2026" / "a.png"
    await fetcher.fetch(URL, deep)
    assert deep.read_bytes() == BODY
    sibling = tmp_path / "lib" / "M42" / "Canary One" / "b.png"  # parent known, leaf new
    await fetcher.fetch(URL, sibling)
    assert sibling.read_bytes() == BODY
    (tmp_path / "lib" / "M1").write_bytes(b"not a folder")
    with pytest.raises(DownloadError, match="M1"):
        await fetcher.fetch(URL, tmp_path / "lib" / "M1" / "c.png")
    assert (tmp_path / "lib" / "M1").read_bytes() == b"not a folder"


async def test_verified_files_get_their_observation_time_too(host: Host, tmp_path: Path) -> None:
    """verify_hash re-reads the part (closing it first); the file is still dated."""
    when = datetime(2020, 1, 1, 12, 0, tzinfo=UTC)
    async with download_client(transport=httpx.MockTransport(host)) as http:
        fetcher = Fetcher(http, RateLimiter(0), RetryPolicy.no_wait(1), verify=True)
        result = await fetcher.fetch(URL, tmp_path / "v.png", mtime=when)
    assert result.path.stat().st_mtime == when.timestamp()


async def test_a_folder_deleted_after_a_download_is_made_again(
    fetcher: Fetcher, tmp_path: Path
) -> None:
    """Folders already made are remembered (one mkdir per new folder), but one deleted since
    (by the user, between two runs of one process) is made again, not an error."""
    import shutil

    first = tmp_path / "lib" / "M42" / "a.png"
    await fetcher.fetch(URL, first)
    shutil.rmtree(tmp_path / "lib")
    again = tmp_path / "lib" / "M42" / "b.png"
    result = await fetcher.fetch(URL, again)
    assert result.path == again and again.read_bytes() == BODY
