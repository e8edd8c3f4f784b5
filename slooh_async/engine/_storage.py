"""One file from URL to its place on disk: never half-written, never spliced, never misnamed.

A download is a plain ``GET`` through an ``httpx.AsyncClient`` (redirects followed by httpx,
the body streamed). Bytes go to ``<dest>.part`` through aiofiles, in pieces of 1 MiB or more
so that a file costs few thread trips. The host's validator (ETag, else Last-Modified) is kept
in ``<dest>.part.meta`` before the first byte is written, so a resume sends ``Range`` with
``If-Range`` and a changed file starts over instead of being spliced from two versions. The
first bytes must look like the file's format (an HTML error page is never kept as an image),
the size must match ``Content-Length`` / ``Content-Range``; then ``os.replace`` moves the part
into place and the file's mtime becomes the observation time. Nothing is ever written through
a symbolic link.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiofiles
import anyio
import httpx

from .._exceptions import DownloadError, StorageError
from .._version import __version__
from ..api import (
    RateLimiter,
    RetryPolicy,
    format_of,
    is_retryable_status,
    parse_retry_after,
    shared_ssl_context,
)
from ..media import HEAD_BYTES, FileInUseError, file_digest, head_problem, retry_in_use
from ..organizer import meta_path, part_path
from ._events import EventSink, NullSink, Retrying, Waiting

__all__ = ["FetchResult", "Fetcher", "download_client", "parse_content_range"]

log = logging.getLogger("slooh_async.storage")

#: files up to this size get a digest even without verify_hash (FITS go up to ~35 MB)
HASH_LIMIT = 64 * 1024 * 1024
#: buffered bytes written to disk in one aiofiles write (one thread trip)
FLUSH_SIZE = 1024 * 1024
#: attempts that moved the download forward do not count against max_retries, up to this many
_MAX_PROGRESS_ATTEMPTS = 100
_DISK_ERRORS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG}
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)", re.I)
_MD5 = re.compile(r"[0-9a-f]{32}")
#: answers that are documents, never an image or a FITS frame (an error page, an API answer)
_DOCUMENT_TYPES = ("text/html", "application/xhtml+xml", "application/json", "text/xml")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: a FIFO planted as a part must not block the open (it is refused once opened)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_EXTRA_FLAGS = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0) | _NOFOLLOW | _NONBLOCK


def download_client(
    *,
    timeout: float = 300.0,
    connections: int = 4,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The image hosts' client: no credentials, no compression asked for, redirects followed,
    the process's TLS context, one connection per worker; ``HTTP(S)_PROXY`` honoured."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=min(30.0, timeout)),
        limits=limits,
        follow_redirects=True,
        max_redirects=20,
        verify=shared_ssl_context(),
        headers={"Accept-Encoding": "identity", "User-Agent": f"slooh-async/{__version__}"},
    )


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
    """An attempt failed in a way worth another try (after ``retry_after`` if given).

    ``everyone``: the host asked every request to wait (a 429), not only this file's.
    """

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        *,
        everyone: bool = False,
        slow: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.everyone = everyone
        #: abandoned for its pace: a failure even if some bytes came (a trickle always does)
        self.slow = slow


class _Restart(Exception):
    """The part on disk cannot be continued: start again from byte 0 right away."""


@dataclass(frozen=True)
class Validator:
    """What identifies the version of a file on its host: a strong ETag or Last-Modified."""

    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def of(cls, headers: httpx.Headers) -> Validator:
        etag = headers.get("ETag")
        strong = etag if etag and not etag.strip().startswith("W/") else None
        return cls(strong, headers.get("Last-Modified"))

    def if_range(self) -> str | None:
        """The ``If-Range`` value: the strong ETag, else the date."""
        return self.etag or self.last_modified

    def contradicts(self, other: Validator) -> bool:
        """True when ``other`` proves a different version of the file."""
        if self.etag and other.etag:
            return self.etag != other.etag
        if self.last_modified and other.last_modified:
            return self.last_modified != other.last_modified
        return False

    def to_text(self) -> str:
        return json.dumps({"etag": self.etag, "last_modified": self.last_modified})

    @classmethod
    def from_text(cls, text: str) -> Validator | None:
        try:
            data = json.loads(text)
            return cls(data.get("etag"), data.get("last_modified"))
        except (ValueError, AttributeError):
            return None


def _open_safely(path: str, flags: int) -> int:
    """``os.open`` that never follows a link and only opens regular files (an opener).

    What is there is looked at first (Windows has no ``O_NOFOLLOW``; a FIFO would answer
    a write-only open with ENXIO), then the open itself refuses a link that appeared since.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        pass
    else:
        if stat.S_ISLNK(mode):
            raise OSError(errno.ELOOP, "is a symbolic link", path)
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "is not a regular file", path)
    fd = os.open(path, flags | _EXTRA_FLAGS, 0o666)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "is not a regular file", path)
        if _NONBLOCK and sys.platform != "win32":  # opened non-blocking (a FIFO never hangs)
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _unlink_regular(path: Path) -> None:
    """Remove ``path`` if it is a regular file (never a link or anything else planted)."""
    try:
        if stat.S_ISREG(os.lstat(path).st_mode):
            path.unlink()
    except OSError:
        pass


def _write_small(path: Path, text: str) -> None:
    fd = _open_safely(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:  # a write error names no file: say which one (a full disk)
        exc.filename = exc.filename or str(path)
        raise


class _PartFile:
    """The ``.part`` file of one download and the validator kept beside it.

    Chunks are buffered in memory (:meth:`add`) and written through aiofiles once a piece of
    :data:`FLUSH_SIZE` is due (:meth:`flush`); the digest is fed in a worker thread;
    :meth:`finish` writes the rest and moves the file into place in one more trip.
    """

    def __init__(self, dest: Path, algorithm: str | None) -> None:
        self.dest = dest
        self.part = part_path(dest)
        self.meta = meta_path(dest)
        self.algorithm = algorithm
        self.hasher: Any = None
        self.file: Any = None  # the aiofiles handle while the part is open
        self.written = 0  # bytes in the .part on disk
        self.size = 0  # bytes received, written or buffered
        self.head = b""  # the file's first bytes, for the content check
        self.validator: Validator | None = None  # the version the part's bytes belong to
        self.target = dest  # where the finished file goes (``final()`` may choose another)
        self._offset = 0
        self._buffer: list[bytes] = []
        self._buffered = 0

    # -- in a worker thread

    def inspect(self) -> int:
        """How much of the file a part already holds; 0 when its version cannot be known
        (no validator kept beside it) or it is not a regular file: it is then rewritten."""
        try:
            self.validator = Validator.from_text(self.meta.read_text(encoding="utf-8"))
            fd = _open_safely(str(self.part), os.O_RDONLY)
        except (OSError, UnicodeDecodeError):
            self.written = 0
            return 0
        with os.fdopen(fd, "rb") as handle:
            self.head = handle.read(HEAD_BYTES)
            self.written = os.fstat(handle.fileno()).st_size if self.validator else 0
        return self.written

    def _prepare(self) -> None:
        """Make the folder, keep the validator, and (resuming) hash the bytes kept."""
        _ensure_folder(self.part.parent)
        validator = (self.validator or Validator()).to_text()
        try:
            _write_small(self.meta, validator)
        except FileNotFoundError:  # the folder went away since it was remembered as made
            _known_folders.discard(self.part.parent)
            _ensure_folder(self.part.parent)
            _write_small(self.meta, validator)
        self.hasher = hashlib.new(self.algorithm) if self.algorithm else None
        if self.hasher is not None and self._offset > 0:
            with os.fdopen(_open_safely(str(self.part), os.O_RDONLY), "rb") as handle:
                left = self._offset
                while left > 0 and (chunk := handle.read(min(left, 1 << 20))):
                    self.hasher.update(chunk)
                    left -= len(chunk)

    def _finish(
        self, last: bytes, final: Callable[[], Path] | None, mtime: datetime | None
    ) -> bool:
        """Move the part into place; False when the move was refused (see :meth:`finish`)."""
        if self.hasher is not None and last:
            self.hasher.update(last)
        self.target = final() if final else self.dest
        try:
            self._place(mtime)
        except PermissionError:
            return False
        return True

    def _place(self, mtime: datetime | None) -> None:
        os.replace(self.part, self.target)
        try:
            self.meta.unlink(missing_ok=True)
        except OSError as exc:  # a stray .meta is harmless: it only describes a .part
            log.debug("cannot remove %s: %s", self.meta, exc)
        if mtime is not None:  # by path, once closed: network mounts may write at close
            _date(self.target, mtime)

    def _verify(self, etag: str | None, last: bytes) -> None:
        """Read the finished part back: its digest must match the one taken while streaming,
        and an MD5-looking ETag (as S3-style hosts send) must match an MD5 digest."""
        if self.hasher is None:
            return
        self.hasher.update(last)
        expected = self.hasher.hexdigest()
        if file_digest(self.part, self.algorithm or "sha256") != expected:
            raise _Restart("the file on disk differs from the bytes received")
        tag = (etag or "").strip().removeprefix("W/").strip('"').lower()
        if self.algorithm == "md5" and _MD5.fullmatch(tag) and tag != expected:
            raise _Restart(f"MD5 {expected} does not match the host's ETag {tag}")

    def _remove(self) -> None:
        self.part.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)

    # -- on the event loop

    def begin(self, offset: int, validator: Validator) -> None:
        """A new attempt whose body starts at ``offset`` (0: the part is rewritten)."""
        self._offset = self.size = offset
        self._buffer, self._buffered = [], 0
        self.validator = validator
        if offset == 0:
            self.head = b""

    def add(self, chunk: bytes) -> bool:
        """Keep a chunk; True when the buffer is worth a trip to the disk."""
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        self._buffer.append(chunk)
        self._buffered += len(chunk)
        self.size += len(chunk)
        return self._buffered >= FLUSH_SIZE

    def drop_buffer(self) -> None:
        """Forget what is buffered (bytes that must never reach the disk)."""
        self.size -= self._buffered
        self._buffer, self._buffered = [], 0

    def _take(self) -> bytes:
        data = b"".join(self._buffer)
        self._buffer, self._buffered = [], 0
        return data

    async def _open(self) -> None:
        await anyio.to_thread.run_sync(self._prepare)
        try:
            if self._offset <= 0:
                self.file = await aiofiles.open(self.part, "wb", opener=_open_safely)
            else:
                self.file = await aiofiles.open(self.part, "r+b", opener=_open_safely)
        except OSError:  # no part to go with the validator just written
            await anyio.to_thread.run_sync(_unlink_regular, self.meta)
            raise
        if self._offset > 0:
            await self.file.seek(self._offset)
            await self.file.truncate()
        self.written = self._offset

    async def flush(self, *, hash_here: bool = True) -> bytes:
        """Write the buffered bytes; their digest is taken in a worker thread (or, with
        ``hash_here=False``, left to the caller: the last piece is hashed at finish)."""
        if self.file is None:
            await self._open()
        data = self._take()
        if data:
            await self.file.write(data)
            self.written += len(data)
            if hash_here and self.hasher is not None:
                await anyio.to_thread.run_sync(self.hasher.update, data)
        return data

    async def save(self) -> None:
        """Write what is buffered and close, keeping the part for a resume."""
        if self._buffer:
            await self.flush()
        await self.close()

    async def close(self) -> None:
        if self.file is not None:
            file, self.file = self.file, None
            await file.close()

    async def finish(
        self,
        final: Callable[[], Path] | None,
        mtime: datetime | None,
        *,
        verify: bool,
        etag: str | None,
    ) -> Path:
        """Write the rest, check, move the part into place (``final()`` or dest) and date it."""
        last = await self.flush(hash_here=False)  # also creates an empty file
        await self.close()
        if verify:
            await anyio.to_thread.run_sync(self._verify, etag, last)
            last = b""
        if await anyio.to_thread.run_sync(self._finish, last, final, mtime):
            return self.target
        try:  # refused: on Windows another program holds the file; try a while longer
            await retry_in_use(lambda: anyio.to_thread.run_sync(self._place, mtime), self.target)
        except FileInUseError as exc:  # the part stays; `slooh retry` finishes it
            raise DownloadError(str(exc)) from None
        return self.target

    async def discard(self) -> None:
        await self.close()
        self._buffer, self._buffered = [], 0
        self.written = 0
        self.head = b""
        await anyio.to_thread.run_sync(self._remove)


class _Pace:
    """Abandons an attempt that delivers less than ``min_speed`` bytes a second over any
    stretch of ``window`` seconds (a trickling body would otherwise never time out: each
    read arrives within the read timeout)."""

    def __init__(self, window: float, min_speed: float, size: int) -> None:
        self.window, self.min_speed = window, min_speed
        self._since, self._bytes = time.monotonic(), size

    def check(self, size: int) -> None:
        now = time.monotonic()
        elapsed = now - self._since
        if elapsed < self.window or self.min_speed <= 0:
            return
        got = size - self._bytes
        if got < self.min_speed * elapsed:
            raise _Transient(
                f"too slow: {got} bytes in the last {elapsed:.0f} s "
                f"(below download.min_speed {self.min_speed:.0f} B/s)",
                slow=True,
            )
        self._since, self._bytes = now, size


@dataclass
class Fetcher:
    """Downloads files with resume, verification, retries and the shared rate budget."""

    http: httpx.AsyncClient
    limiter: RateLimiter
    retry: RetryPolicy
    hash_algorithm: str | None = "sha256"
    #: re-read each finished file and compare its digest (and an MD5 ETag when there is one)
    verify: bool = False
    #: without ``verify``, files larger than this are not hashed
    hash_limit: int = HASH_LIMIT
    #: the stretch of time, in seconds, over which ``min_speed`` is measured
    timeout: float = 300.0
    #: bytes a second an attempt must deliver (over ``timeout`` seconds) not to be abandoned
    min_speed: float = 1024.0
    events: EventSink = field(default_factory=NullSink)

    async def fetch(
        self,
        url: str,
        dest: Path,
        *,
        resume: bool = True,
        mtime: datetime | None = None,
        final: Callable[[], Path] | None = None,
        on_progress: Callable[[int, int | None], None] | None = None,
        key: str | None = None,
    ) -> FetchResult:
        """Download ``url`` to ``dest`` (or to ``final()``, asked once the bytes are in).

        With ``resume`` an existing ``<dest>.part`` is continued (when the version it holds
        is known); without, it is replaced. ``key`` names the file in retry events.
        """
        part = _PartFile(dest, self.hash_algorithm)
        resumed_from = await anyio.to_thread.run_sync(part.inspect) if resume else 0
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
                    await part.discard()
                    failures += 1
                    if failures > self.retry.max_retries + 1:
                        raise DownloadError(f"{url}: {exc}", attempts=attempts) from None
                    self._retrying(key, dest, str(exc), 0.0, attempts)
                except _Transient as exc:
                    await part.save()
                    moved = part.written > before and not exc.slow
                    failures = 0 if moved else failures + 1
                    if failures > self.retry.max_retries or attempts >= _MAX_PROGRESS_ATTEMPTS:
                        raise DownloadError(
                            f"{exc} (gave up after {_tries(attempts)})", attempts=attempts
                        ) from None
                    await self._wait(exc, failures, key, dest, attempts)
        except OSError as exc:
            raise _disk_error(exc, part.part) from exc
        finally:
            if part.file is not None:
                with anyio.CancelScope(shield=True):
                    try:
                        await part.save()
                    except OSError as exc:  # keep the error already on its way, if any
                        log.warning("cannot save %s: %s", part.part, exc)
        digest = part.hasher.hexdigest() if part.hasher is not None else None
        algorithm = self.hash_algorithm if digest else None
        return FetchResult(target, part.size, digest, algorithm, attempts, resumed_from)

    async def _wait(
        self, exc: _Transient, failures: int, key: str | None, dest: Path, attempts: int
    ) -> None:
        wait = self.retry.delay(max(0, failures - 1), exc.retry_after)
        if exc.retry_after is not None:
            if exc.everyone:  # a 429: every request to the service waits
                self.limiter.pause(wait)
            else:
                self.events.emit(Waiting("server", wait, "one"))
        self._retrying(key, dest, str(exc), wait, attempts)
        log.info("%s: %s; retrying in %.1fs", dest.name, exc, wait)
        await anyio.sleep(wait)

    def _retrying(self, key: str | None, dest: Path, error: str, wait: float, n: int) -> None:
        self.events.emit(Retrying(dest.name, error, wait, n, key))

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
        if offset > 0 and part.validator and (tag := part.validator.if_range()):
            headers["If-Range"] = tag
        fmt = format_of(part.dest.suffix or ".")
        try:
            async with (
                self.limiter.slot() as slot,
                self.http.stream("GET", url, headers=headers) as response,
            ):
                slot.arrived()  # the host has the request: its place in the budget is dated
                expected, has_body = self._start(response, part, offset, fmt)
                etag = response.headers.get("ETag")
                part.algorithm = self._algorithm_for(expected)
                if on_progress:
                    on_progress(part.size, expected)
                if has_body:
                    await self._body(response, part, fmt, expected, on_progress)
        except (httpx.UnsupportedProtocol, httpx.TooManyRedirects, httpx.InvalidURL) as exc:
            raise DownloadError(f"{url}: {exc}") from None  # no try will do better
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise _Transient(f"{url}: {type(exc).__name__}: {exc or 'connection lost'}") from None
        if expected is not None and part.size != expected:
            if part.size > expected:
                raise _Restart(f"got {part.size} bytes, expected {expected}")
            raise _Transient(f"{url}: got {part.size} of {expected} bytes")
        if problem := head_problem(part.head, fmt):
            raise _Restart(problem)
        return await part.finish(final, mtime, verify=self.verify, etag=etag)

    async def _body(
        self,
        response: httpx.Response,
        part: _PartFile,
        fmt: str,
        expected: int | None,
        on_progress: Callable[[int, int | None], None] | None,
    ) -> None:
        pace = _Pace(self.timeout, self.min_speed, part.size)
        checked = part.size > 0  # a resumed part's head was checked when it was written
        async for chunk in response.aiter_bytes():
            if not chunk:
                continue
            due = part.add(chunk)
            if not checked and len(part.head) >= HEAD_BYTES:
                checked = True
                if problem := head_problem(part.head, fmt):  # nothing was written yet
                    part.drop_buffer()
                    raise _Transient(f"{response.url}: {problem}")
            if due:
                await part.flush()
            pace.check(part.size)
            if on_progress:
                on_progress(part.size, expected)

    def _algorithm_for(self, size: int | None) -> str | None:
        """Hash while streaming when asked to verify, or when it is cheap (not for huge files:
        SHA-256 costs about 1.5 s of CPU per GB)."""
        if self.verify or size is None or size <= self.hash_limit:
            return self.hash_algorithm
        return None

    def _start(
        self, response: httpx.Response, part: _PartFile, offset: int, fmt: str
    ) -> tuple[int | None, bool]:
        """Check the status and start the attempt: (expected final size, body to keep?)."""
        status, headers = response.status_code, response.headers
        length = _int(headers.get("Content-Length"))
        if headers.get("Content-Encoding", "identity").lower() != "identity":
            length = None  # the length of the encoded body says nothing about the file
        if status == 416:
            _, _, total = parse_content_range(headers.get("Content-Range"))
            if total is not None and total == offset:
                part.begin(offset, part.validator or Validator.of(headers))
                return offset, False  # the part was already complete
            raise _Restart(f"range {offset}- not satisfiable (size {total})")
        if is_retryable_status(status):
            retry_after = parse_retry_after(headers.get("Retry-After"))
            raise _Transient(f"{response.url}: HTTP {status}", retry_after, everyone=status == 429)
        if status not in (200, 206):
            raise DownloadError(f"{response.url}: HTTP {status}")
        _check_type(response, fmt)
        version = Validator.of(headers)
        if status == 200:
            part.begin(0, version)
            return length, True
        start, _, total = parse_content_range(headers.get("Content-Range"))
        if start != offset:
            raise _Restart(f"asked for bytes {offset}-, got {start}-")
        if part.validator is not None and part.validator.contradicts(version):
            raise _Restart("the file changed on its host since the part was written")
        part.begin(offset, version)
        if total is None and length is not None:
            total = offset + length
        return total, True


def _check_type(response: httpx.Response, fmt: str) -> None:
    """An image or FITS answered with a document type is an error page, whatever its status."""
    kind = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if fmt in ("PNG", "JPEG", "FITS") and kind in _DOCUMENT_TYPES:
        raise _Transient(f"{response.url}: the host answered {kind}, not a {fmt} file")


def _disk_error(exc: OSError, path: Path) -> StorageError | DownloadError:
    """A local write failure: the disk's fault stops the run (StorageError, exit 5); a path
    problem (a file where a folder should be, a link where the part should be) fails the file."""
    where = Path(exc.filename) if isinstance(exc.filename, str) else path
    if exc.errno in _DISK_ERRORS:
        reason = {
            errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "the disk quota is exceeded",
            errno.EROFS: "the destination is read-only",
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
            errno.EFBIG: "the file is too large for this filesystem",
        }[exc.errno or 0]
        return StorageError(f"cannot write {where}: {reason}")
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ELOOP, errno.EINVAL) and where.name.endswith((".part", ".meta")):
        reason = "refusing to write through a link or into something that is not a file"
    return DownloadError(f"cannot write {where}: {reason}")


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


def _date(file: Path, mtime: datetime) -> None:
    stamp = mtime.timestamp()
    try:
        os.utime(file, (stamp, stamp))
    except OSError as exc:  # a file we cannot date is still a good file
        log.debug("cannot set mtime of %s: %s", file, exc)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _tries(attempts: int) -> str:
    """``1 try this run`` / ``5 tries this run``: the tracker's ``attempts`` adds up every
    run's, so the error text says which count it gives."""
    return f"{attempts} {'try' if attempts == 1 else 'tries'} this run"
