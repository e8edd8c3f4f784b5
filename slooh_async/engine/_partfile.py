"""The ``.part`` file of one download, and the validator kept beside it.

Bytes go to ``<dest>.part`` through aiofiles, in pieces of 1 MiB or more so that a file costs
few thread trips; the host's validator (ETag, else Last-Modified) is kept in
``<dest>.part.meta`` before the first byte is written, so a resume can send ``If-Range``.
Neither file is ever opened through a symbolic link, or as anything but a regular file; the
finished part is moved into place with ``os.replace`` (patient with a file another program
holds open) and dated with the observation time.
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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiofiles
import anyio
import httpx

from .._exceptions import DownloadError
from ..media import HEAD_BYTES, FileInUseError, file_digest, retry_in_use
from ..organizer import meta_path, part_path

__all__ = ["FLUSH_SIZE", "PartFile", "Restart", "Validator"]

log = logging.getLogger("slooh_async.storage")

#: buffered bytes written to disk in one aiofiles write (one thread trip)
FLUSH_SIZE = 1024 * 1024
_MD5 = re.compile(r"[0-9a-f]{32}")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: a FIFO planted as a part must not block the open (it is refused once opened)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_EXTRA_FLAGS = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0) | _NOFOLLOW | _NONBLOCK


class Restart(Exception):
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


#: what tells a file from its replacement or a changed copy: (device, inode, size, mtime)
_Stamp = tuple[int, int, int, int]


def _stamp(path: Path) -> _Stamp | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _write_small(path: Path, text: str) -> None:
    fd = _open_safely(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:  # a write error names no file: say which one (a full disk)
        exc.filename = exc.filename or str(path)
        raise


class PartFile:
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
        self._hashed = 0  # bytes the hasher has been fed
        self._hash_algorithm: str | None = None  # the algorithm the hasher was made with
        self._kept: _Stamp | None = None  # the part as the last attempt left it, closed
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
        """Make the folder, keep the validator, and (resuming) hash the bytes kept: read back
        from disk unless the digest of the last attempt still covers exactly those bytes."""
        _ensure_folder(self.part.parent)
        validator = (self.validator or Validator()).to_text()
        try:
            _write_small(self.meta, validator)
        except FileNotFoundError:  # the folder went away since it was remembered as made
            _known_folders.discard(self.part.parent)
            _ensure_folder(self.part.parent)
            _write_small(self.meta, validator)
        if not self._digest_holds():
            self._rehash()

    def _digest_holds(self) -> bool:
        """True when the hasher kept from the last attempt of this download covers exactly the
        part's first ``_offset`` bytes: same algorithm, as many bytes, and the part is the one
        that attempt closed (same file, size and mtime: not truncated or replaced since)."""
        return (
            self.hasher is not None
            and self._hash_algorithm == self.algorithm
            and 0 < self._offset == self._hashed
            and self._kept is not None
            and self._kept == _stamp(self.part)
        )

    def _rehash(self) -> None:
        """A new hasher fed the part's first ``_offset`` bytes, read back from disk."""
        self.hasher = hashlib.new(self.algorithm) if self.algorithm else None
        self._hash_algorithm, self._hashed = self.algorithm, 0
        if self.hasher is None or self._offset <= 0:
            return
        with os.fdopen(_open_safely(str(self.part), os.O_RDONLY), "rb") as handle:
            left = self._offset
            while left > 0 and (chunk := handle.read(min(left, 1 << 20))):
                self.hasher.update(chunk)
                self._hashed += len(chunk)
                left -= len(chunk)

    def _finish(
        self, last: bytes, final: Callable[[], Path] | None, mtime: datetime | None
    ) -> bool:
        """Move the part into place; False when the move was refused (see :meth:`finish`)."""
        if self.hasher is not None and last:
            self._hash(last)
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
        self._hash(last)
        expected = self.hasher.hexdigest()
        if file_digest(self.part, self.algorithm or "sha256") != expected:
            raise Restart("the file on disk differs from the bytes received")
        tag = (etag or "").strip().removeprefix("W/").strip('"').lower()
        if self.algorithm == "md5" and _MD5.fullmatch(tag) and tag != expected:
            raise Restart(f"MD5 {expected} does not match the host's ETag {tag}")

    def _hash(self, data: bytes) -> None:
        self.hasher.update(data)
        self._hashed += len(data)

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
        self._kept = None  # opened: the part changes from here on
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
                await anyio.to_thread.run_sync(self._hash, data)
        return data

    async def save(self) -> None:
        """Write what is buffered and close, keeping the part for a resume; its digest is kept
        for the next attempt, with a stamp that tells whether the part is left alone meanwhile."""
        if self._buffer:
            await self.flush()
        if self.file is not None:
            await self.close()
            self._kept = await anyio.to_thread.run_sync(_stamp, self.part)

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


