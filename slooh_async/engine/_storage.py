"""One file from URL to its place on disk: never half-written, never spliced, never misnamed.

A download is a plain ``GET`` through an ``httpx.AsyncClient`` (redirects followed by httpx,
the body streamed) into the file's ``.part`` (:mod:`._partfile`). A resume sends ``Range``
with ``If-Range`` and a changed file starts over instead of being spliced from two versions.
The first bytes must look like the file's format (an HTML error page is never kept as an
image), the size must match ``Content-Length`` / ``Content-Range``; then the part is moved into
place. Retries only on named failures, each attempt under the rate budget.
"""

from __future__ import annotations

import errno
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

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
from ..media import HEAD_BYTES, head_problem
from ._events import EventSink, NullSink, Retrying, Waiting
from ._partfile import PartFile, Restart, Validator

__all__ = ["FetchResult", "Fetcher", "download_client", "parse_content_range"]

log = logging.getLogger("slooh_async.storage")

#: files up to this size get a digest even without verify_hash (FITS go up to ~35 MB)
HASH_LIMIT = 64 * 1024 * 1024
#: attempts that moved the download forward do not count against max_retries, up to this many
_MAX_PROGRESS_ATTEMPTS = 100
_DISK_ERRORS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG}
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)", re.I)
#: answers that are documents, never an image or a FITS frame (an error page, an API answer)
_DOCUMENT_TYPES = ("text/html", "application/xhtml+xml", "application/json", "text/xml")


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
        part = PartFile(dest, self.hash_algorithm)
        resumed_from = await anyio.to_thread.run_sync(part.inspect) if resume else 0
        failures = attempts = 0
        try:
            while True:
                attempts += 1
                before = part.written
                try:
                    target = await self._attempt(url, part, mtime, final, on_progress)
                    break
                except Restart as exc:
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
        part: PartFile,
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
                raise Restart(f"got {part.size} bytes, expected {expected}")
            raise _Transient(f"{url}: got {part.size} of {expected} bytes")
        if problem := head_problem(part.head, fmt):
            raise Restart(problem)
        return await part.finish(final, mtime, verify=self.verify, etag=etag)

    async def _body(
        self,
        response: httpx.Response,
        part: PartFile,
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
        self, response: httpx.Response, part: PartFile, offset: int, fmt: str
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
            raise Restart(f"range {offset}- not satisfiable (size {total})")
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
            raise Restart(f"asked for bytes {offset}-, got {start}-")
        if part.validator is not None and part.validator.contradicts(version):
            raise Restart("the file changed on its host since the part was written")
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


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _tries(attempts: int) -> str:
    """``1 try this run`` / ``5 tries this run``: the tracker's ``attempts`` adds up every
    run's, so the error text says which count it gives."""
    return f"{attempts} {'try' if attempts == 1 else 'tries'} this run"
