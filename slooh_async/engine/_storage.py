"""One file from URL to its place on disk, never half-written.

Bytes stream into ``<dest>.part`` (resumed with ``Range`` when a part is there), the size is
checked against ``Content-Length`` / ``Content-Range``, then ``os.replace`` moves the part into
place and the file's mtime becomes the observation time. Writing and hashing a chunk is one
trip to a worker thread, so the event loop never blocks on the disk.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import httpx

from .._exceptions import DownloadError, StorageError
from ..api import RateLimiter, RetryPolicy, is_retryable_status, parse_retry_after
from ..organizer import part_path
from ._filehost import FileHost

__all__ = [
    "FetchResult",
    "Fetcher",
    "parse_content_range",
]

log = logging.getLogger("slooh_async.storage")

#: files up to this size get a digest even without verify_hash (FITS go up to ~35 MB)
HASH_LIMIT = 64 * 1024 * 1024
#: buffered bytes written to disk in one worker-thread trip
FLUSH_SIZE = 1024 * 1024
#: at most this many buffered pieces per trip (a slow host sends many small ones; IOV_MAX)
FLUSH_PIECES = 512
#: attempts that moved the download forward do not count against max_retries, up to this many
_MAX_PROGRESS_ATTEMPTS = 100
_DISK_ERRORS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG}
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)", re.I)


def parse_content_range(value: str | None) -> tuple[int | None, int | None, int | None]:
    """``(start, end, total)`` from ``bytes 100-199/1000`` or ``bytes */1000``."""
    match = _CONTENT_RANGE.match(value.strip()) if value else None
    if match is None:
        return None, None, None
    start = int(match[1]) if match[1] else None
    end = int(match[2]) if match[2] else None
    total = int(match[3]) if match[3] and match[3] != "*" else None
    return start, end, total


@dataclass(frozen=True)
class FetchResult:
    """A file that is in place: where, how big, its digest, and what it took."""

    path: Path
    size: int
    hash: str | None
    hash_algorithm: str | None
    attempts: int
    resumed_from: int


class _Transient(Exception):
    """An attempt failed in a way worth another try (after ``retry_after`` if given)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _Restart(Exception):
    """The part on disk cannot be continued: start again from byte 0 right away."""


def _storage_error(exc: OSError, path: Path) -> StorageError:
    reason = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the destination is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EFBIG: "the file is too large for this filesystem",
    }.get(exc.errno or 0, exc.strerror or str(exc))
    return StorageError(f"cannot write {path}: {reason}")


class _PartFile:
    """The ``.part`` file of one download.

    Chunks are buffered in memory (:meth:`add`, on the event loop) and written with their
    hash in one worker-thread trip per :data:`FLUSH_SIZE` (:meth:`flush`); :meth:`finish`
    writes the rest, moves the file into place and dates it in the same trip. A small file
    costs one thread trip in all. Methods that touch the disk run in a worker thread.
    """

    def __init__(self, dest: Path, algorithm: str | None) -> None:
        self.dest = dest
        self.part = part_path(dest)
        self.algorithm = algorithm
        self.hasher: Any = None
        self.handle: int | None = None  # the part's file descriptor while it is open
        self.written = 0  # bytes in the .part on disk
        self.size = 0  # bytes received, written or buffered
        self._offset = 0  # where this attempt's bytes start
        self._buffer: list[bytes] = []
        self._buffered = 0

    # -- on the event loop (no I/O)

    def begin(self, offset: int) -> None:
        """A new attempt whose body starts at ``offset`` (0: the part is rewritten)."""
        self._offset = offset
        self.size = offset
        self._buffer, self._buffered = [], 0
        self._opened = False

    def add(self, chunk: bytes) -> bool:
        """Keep a chunk; True when the buffer is worth a trip to the disk."""
        self._buffer.append(chunk)
        self._buffered += len(chunk)
        self.size += len(chunk)
        return self._buffered >= FLUSH_SIZE or len(self._buffer) >= FLUSH_PIECES

    # -- in a worker thread

    def existing_size(self) -> int:
        try:
            self.written = self.part.stat().st_size
        except FileNotFoundError:
            self.written = 0
        return self.written

    def flush(self) -> None:
        """Write (and hash) the buffered chunks, as they are: no copy joins them."""
        if self.handle is None:
            self._open()
        assert self.handle is not None
        pieces, size = self._buffer, self._buffered
        self._buffer, self._buffered = [], 0
        _write_all(self.handle, pieces)
        if self.hasher is not None:
            for piece in pieces:
                self.hasher.update(piece)
        self.written = self._offset_after_open + size
        self._offset_after_open = self.written

    def _open(self) -> None:
        """Open the part with plain system calls (one ``open``: no ``fstat``, no buffer)."""
        self._opened = True
        _ensure_folder(self.part.parent)
        self.hasher = hashlib.new(self.algorithm) if self.algorithm else None
        if self._offset <= 0:
            try:
                self.handle = os.open(self.part, _CREATE, 0o666)
            except FileNotFoundError:  # the folder went away since it was made
                _known_folders.discard(self.part.parent)
                _ensure_folder(self.part.parent)
                self.handle = os.open(self.part, _CREATE, 0o666)
        else:
            self.handle = os.open(self.part, _UPDATE)
            self._rehash(self._offset)
            os.ftruncate(self.handle, self._offset)
            os.lseek(self.handle, self._offset, os.SEEK_SET)
        self._offset_after_open = max(0, self._offset)

    def _rehash(self, offset: int) -> None:
        """Feed the bytes kept from an earlier attempt to the hash."""
        assert self.handle is not None
        if self.hasher is None:
            return
        left = offset
        while left > 0 and (chunk := os.read(self.handle, min(left, 1 << 20))):
            self.hasher.update(chunk)
            left -= len(chunk)

    def check(self, etag: str | None) -> None:
        """Read the finished part back: its digest must match the one taken while streaming,
        and an MD5-looking ETag (as S3-style hosts send) must match an MD5 digest."""
        self.save()
        if self.hasher is None:
            return
        expected = self.hasher.hexdigest()
        if _file_digest(self.part, self.algorithm or "sha256") != expected:
            raise _Restart("the file on disk differs from the bytes received")
        tag = (etag or "").strip().removeprefix("W/").strip('"').lower()
        if self.algorithm == "md5" and _MD5.fullmatch(tag) and tag != expected:
            raise _Restart(f"MD5 {expected} does not match the host's ETag {tag}")

    def save(self) -> None:
        """Write what is buffered and close, keeping the part for a resume."""
        if self._buffer:
            self.flush()
        self.close()

    def finish(self, final: Callable[[], Path] | None, mtime: datetime | None) -> Path:
        """Write the rest, move the part into place (``final()`` or dest) and date it."""
        if self._buffer or not self._opened:
            self.flush()  # also creates an empty file, or hashes a part that was complete
        self.close()
        target = final() if final else self.dest
        os.replace(self.part, target)
        if mtime is not None:  # by path, once closed: network mounts may write at close
            _date(target, mtime)
        return target

    def close(self) -> None:
        if self.handle is not None:
            handle, self.handle = self.handle, None
            os.close(handle)

    def discard(self) -> None:
        self.close()
        self._buffer, self._buffered = [], 0
        self.written = 0
        self.part.unlink(missing_ok=True)

    _offset_after_open = 0
    _opened = False


@dataclass
class Fetcher:
    """Downloads files with resume, verification, retries and a shared rate limit."""

    http: FileHost
    limiter: RateLimiter
    retry: RetryPolicy
    hash_algorithm: str | None = "sha256"
    #: re-read each finished file and compare its digest (and an MD5 ETag when there is one)
    verify: bool = False
    #: without ``verify``, files larger than this are not hashed
    hash_limit: int = HASH_LIMIT

    async def fetch(
        self,
        url: str,
        dest: Path,
        *,
        resume: bool = True,
        mtime: datetime | None = None,
        final: Callable[[], Path] | None = None,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> FetchResult:
        """Download ``url`` to ``dest`` (or to ``final()``, asked once the bytes are in).

        With ``resume`` an existing ``<dest>.part`` is continued; without, it is replaced.
        """
        part = _PartFile(dest, self.hash_algorithm)
        resumed_from = await self._thread(part.existing_size) if resume else 0
        failures = attempts = 0
        try:
            while True:
                attempts += 1
                before = part.written
                try:
                    target = await self._attempt(url, part, mtime, final, on_progress)
                    break
                except _Restart as exc:
                    log.debug("%s: %s; starting again", dest.name, exc)
                    await self._thread(part.discard)
                    failures += 1
                    if failures > self.retry.max_retries + 1:
                        raise DownloadError(f"{url}: {exc}") from None
                except _Transient as exc:
                    await self._thread(part.save)
                    failures = 0 if part.written > before else failures + 1
                    if failures > self.retry.max_retries or attempts >= _MAX_PROGRESS_ATTEMPTS:
                        raise DownloadError(f"{exc} (gave up after {attempts} tries)") from None
                    wait = self.retry.delay(max(0, failures - 1), exc.retry_after)
                    if exc.retry_after is not None:
                        self.limiter.pause(wait)
                    log.info("%s: %s; retrying in %.1fs", dest.name, exc, wait)
                    await anyio.sleep(wait)
        finally:
            if part.handle is not None:
                with anyio.CancelScope(shield=True):
                    try:
                        await anyio.to_thread.run_sync(part.save)
                    except OSError as exc:  # keep the error already on its way, if any
                        log.warning("cannot save %s: %s", part.part, exc)
        digest = part.hasher.hexdigest() if part.hasher is not None else None
        algorithm = self.hash_algorithm if digest else None
        return FetchResult(target, part.size, digest, algorithm, attempts, resumed_from)

    async def _attempt(
        self,
        url: str,
        part: _PartFile,
        mtime: datetime | None,
        final: Callable[[], Path] | None,
        on_progress: Callable[[int, int | None], None] | None,
    ) -> Path:
        offset = part.written
        headers = {"Range": f"bytes={offset}-"} if offset > 0 else {}
        await self.limiter.acquire()
        try:
            async with self.http.get(url, headers) as response:
                expected, has_body = self._start(response, part, offset)
                etag = response.headers.get("ETag")
                part.algorithm = self._algorithm_for(expected)
                if on_progress:
                    on_progress(part.size, expected)
                if has_body:
                    async for chunk in FileHost.body(response):
                        if not chunk:
                            continue
                        if part.add(chunk):
                            await self._thread(part.flush)
                        if on_progress:
                            on_progress(part.size, expected)
        except (httpx.UnsupportedProtocol, httpx.TooManyRedirects, httpx.InvalidURL) as exc:
            raise DownloadError(f"{url}: {exc}") from None  # no try will do better
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise _Transient(f"{url}: {type(exc).__name__}: {exc or 'connection lost'}") from None
        if expected is not None and part.size != expected:
            if part.size > expected:
                raise _Restart(f"got {part.size} bytes, expected {expected}")
            raise _Transient(f"{url}: got {part.size} of {expected} bytes")
        if self.verify:
            await self._thread(part.check, etag)
        target: Path = await self._thread(part.finish, final, mtime)
        return target

    def _algorithm_for(self, size: int | None) -> str | None:
        """Hash while streaming when asked to verify, or when it is cheap (not for huge files:
        SHA-256 costs about 1.5 s of CPU per GB)."""
        if self.verify or size is None or size <= self.hash_limit:
            return self.hash_algorithm
        return None

    def _start(
        self, response: httpx.Response, part: _PartFile, offset: int
    ) -> tuple[int | None, bool]:
        """Check the status and start the attempt: (expected final size, body to keep?)."""
        status = response.status_code
        length = _int(response.headers.get("Content-Length"))
        if response.headers.get("Content-Encoding", "identity").lower() != "identity":
            length = None  # the length of the encoded body says nothing about the file
        if status == 416:
            _, _, total = parse_content_range(response.headers.get("Content-Range"))
            if total is not None and total == offset:
                part.begin(offset)
                return offset, False  # the part was already complete
            raise _Restart(f"range {offset}- not satisfiable (size {total})")
        if is_retryable_status(status):
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise _Transient(f"{response.url}: HTTP {status}", retry_after)
        if status == 206:
            start, _, total = parse_content_range(response.headers.get("Content-Range"))
            if start != offset:
                raise _Restart(f"asked for bytes {offset}-, got {start}-")
            part.begin(offset)
            if total is None and length is not None:
                total = offset + length
            return total, True
        if status == 200:
            part.begin(0)
            return length, True
        raise DownloadError(f"{response.url}: HTTP {status}")

    async def _thread(self, func: Callable[..., Any], *args: Any) -> Any:
        try:
            return await anyio.to_thread.run_sync(func, *args)
        except OSError as exc:
            where = Path(getattr(exc, "filename", None) or "?")
            if exc.errno in _DISK_ERRORS:
                raise _storage_error(exc, where) from exc
            raise DownloadError(f"cannot write {where}: {exc.strerror or exc}") from exc


_MD5 = re.compile(r"[0-9a-f]{32}")


def _file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


_known_folders: set[Path] = set()


def _ensure_folder(folder: Path) -> None:
    """mkdir -p, remembered: most files of a library share a few folders, and a new folder
    under a known one costs one ``mkdir`` (``Path.mkdir(parents=True)`` tries the deepest
    first and stats on the way)."""
    if folder in _known_folders:
        return
    try:
        os.mkdir(folder)
    except FileNotFoundError:
        if folder.parent == folder:
            raise
        _known_folders.discard(folder.parent)  # the cache was wrong about it
        _ensure_folder(folder.parent)
        try:
            os.mkdir(folder)
        except FileExistsError:
            pass
    except OSError:  # EEXIST, or EACCES/EROFS reported first by some systems and shares
        if not os.path.isdir(folder):  # a file (or a dangling link) is in the way
            raise
    if len(_known_folders) > 10_000:
        _known_folders.clear()
    _known_folders.add(folder)


_BINARY = getattr(os, "O_BINARY", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | _BINARY
_UPDATE = os.O_RDWR | getattr(os, "O_CLOEXEC", 0) | _BINARY


def _date(file: Path, mtime: datetime) -> None:
    stamp = mtime.timestamp()
    try:
        os.utime(file, (stamp, stamp))
    except OSError as exc:  # a file we cannot date is still a good file
        log.debug("cannot set mtime of %s: %s", file, exc)


def _write_all(fd: int, pieces: list[bytes]) -> None:
    """Write every piece in order with as few system calls as the OS allows (``writev``)."""
    if not _WRITEV or len(pieces) == 1:
        for piece in pieces:
            view = memoryview(piece)
            while view:
                view = view[os.write(fd, view) :]
        return
    while pieces:
        done = os.writev(fd, pieces)
        while pieces and done >= len(pieces[0]):  # drop what is written, keep the rest
            done -= len(pieces[0])
            pieces = pieces[1:]
        if pieces and done:
            pieces = [pieces[0][done:], *pieces[1:]]


_WRITEV = hasattr(os, "writev")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
