"""``slooh verify``: is every tracked file still on disk, whole, and what it claims to be?"""

from __future__ import annotations

import functools
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from ..api import format_of
from ..media import check_content, file_digest, inspect_fits
from ._records import Header, ImageRecord
from ._tracker import Tracker

__all__ = ["VerifyProblem", "check_file", "verify_library"]

#: Digest length (hex characters) -> algorithm, for hashes recorded without their algorithm.
_ALGORITHM_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}


@dataclass(frozen=True, slots=True)
class VerifyProblem:
    """One thing wrong with one tracked file."""

    key: str
    path: Path | None
    message: str


def check_file(record: ImageRecord, *, check_hash: bool = True) -> list[str]:
    """Problems with the file of ``record``; an empty list when it is fine.

    Checks, cheapest first: a path is recorded, the file exists, is not empty, has the
    recorded size, looks like its format (FITS header, PNG/JPEG markers), and, with
    ``check_hash``, matches the recorded hash.
    """
    return _check(record, check_hash, None)


#: Called with the header a FITS check read (its summary, or why it cannot be read).
_HeaderSink = Callable[[Header], None]


def _check(record: ImageRecord, check_hash: bool, on_header: _HeaderSink | None) -> list[str]:
    """:func:`check_file`; with ``on_header``, a FITS frame's header is read by its check."""
    path = record.path
    if path is None:
        return ["no file path recorded"]
    try:
        info = path.stat()
    except FileNotFoundError:
        return ["file is missing"]
    except OSError as exc:
        return [f"cannot read the file: {exc.strerror or exc}"]
    if not stat.S_ISREG(info.st_mode):
        return ["not a regular file"]
    if info.st_size == 0:
        return ["file is empty"]
    problems: list[str] = []
    if record.size is not None and info.st_size != record.size:
        problems.append(f"size is {info.st_size} bytes, expected {record.size}")
    try:
        problems.extend(_content(path, _format_of(record, path), info.st_size, on_header))
        if check_hash and record.hash:
            problems.extend(_check_hash(path, record.hash, record.hash_algorithm))
    except OSError as exc:
        problems.append(f"cannot read the file: {exc.strerror or exc}")
    return problems


def verify_library(
    tracker: Tracker,
    *,
    check_hash: bool = True,
    progress: Callable[[int], None] | None = None,
    headers_of: Collection[str] = (),
    on_header: Callable[[str, Header], None] | None = None,
) -> list[VerifyProblem]:
    """Check every ``done`` record's file; ``progress`` gets the number checked so far.

    The FITS frames of ``headers_of`` (keys) have their header read by their check, which
    parses it anyway, and given to ``on_header(key, header)``: the backfill at no extra cost.
    A frame whose check stops before its content (a missing or empty file) gives none.
    """
    problems: list[VerifyProblem] = []
    for checked, record in enumerate(tracker.iter_records("done"), start=1):
        sink = None
        if on_header is not None and record.key in headers_of:
            sink = functools.partial(on_header, record.key)
        problems.extend(
            VerifyProblem(record.key, record.path, message)
            for message in _check(record, check_hash, sink)
        )
        if progress is not None:
            progress(checked)
    return problems


def _content(path: Path, fmt: str, size: int, on_header: _HeaderSink | None) -> list[str]:
    """The content's problems; a FITS frame's header goes to ``on_header`` when given."""
    if on_header is None or fmt != "FITS":
        return check_content(path, fmt, size)
    problems, header = inspect_fits(path, size)
    on_header(header)
    return problems


def _check_hash(path: Path, expected: str, algorithm: str | None) -> list[str]:
    expected = expected.strip().lower()
    name = (algorithm or _ALGORITHM_BY_LENGTH.get(len(expected), "")).lower()
    try:
        actual = file_digest(path, name)
    except ValueError:
        return [f"cannot check the hash: unknown algorithm {name or '(none recorded)'!r}"]
    if actual != expected:
        return [f"{name} mismatch: expected {expected}, got {actual}"]
    return []


def _format_of(record: ImageRecord, path: Path) -> str:
    """The record's format, or the one the file name suggests when none was recorded."""
    known = record.format.upper()
    return known if known in {"FITS", "PNG", "JPEG"} else format_of(path.suffix or ".")
