"""The ``fits_headers`` table: what each FITS frame's header says, read once per file.

A download that finishes a frame reads its header (the engine, in a worker thread) and the
``done`` row carries it here, written in the row's own transaction. Frames that were in the
library before (older trackers, legacy imports, files adopted from disk) get theirs from a
backfill: :func:`read_headers` reads the frames :func:`missing_records_sql` selects, and the
caller stores them (``slooh verify``; the gallery's build, first thing). A header that
cannot be read is stored too, as its reason, so it is not read again until the file is
downloaded again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from ..media import FitsSummary, read_header
from ._records import Header, ImageRecord, ImageRow, to_iso
from ._sql import SELECT_IMAGES, chunked, placeholders

__all__ = [
    "HEADER_FIELDS",
    "MISSING_RECORDS_SQL",
    "count_missing",
    "load_headers",
    "read_headers",
    "row_headers",
    "store_headers",
]

#: The summary's fields: the table's columns between ``key`` and ``error``, in that order.
HEADER_FIELDS: tuple[str, ...] = tuple(field.name for field in fields(FitsSummary))
_COLUMNS = ("key", *HEADER_FIELDS, "error", "read_at")

# A key the images table no longer holds (forgotten meanwhile) is skipped, not an error.
_STORE_SQL = (
    f"INSERT OR REPLACE INTO fits_headers ({', '.join(_COLUMNS)}) "
    f"SELECT {placeholders(len(_COLUMNS))} WHERE EXISTS (SELECT 1 FROM images WHERE key = ?)"
)
_SELECT = f"SELECT key, {', '.join(HEADER_FIELDS)}, error FROM fits_headers"
#: ``done`` FITS frames, written as SQL (``images`` columns unqualified).
FITS_DONE = "status = 'done' AND (kind = 'fits' OR upper(format) = 'FITS')"
_MISSING = f"{FITS_DONE} AND key NOT IN (SELECT key FROM fits_headers)"
#: The ``done`` frames whose header was never read, in key order.
MISSING_RECORDS_SQL = f"{SELECT_IMAGES} WHERE {_MISSING} ORDER BY key"


def row_headers(rows: Iterable[ImageRow]) -> dict[str, Header]:
    """The headers ``done`` rows carry, by key (the last row of a key wins)."""
    return {
        row.key: row.fits_header
        for row in rows
        if row.status == "done" and row.fits_header is not None
    }


def store_headers(conn: sqlite3.Connection, headers: Mapping[str, Header], now: datetime) -> int:
    """Write (or replace) the headers of known keys, inside the caller's transaction;
    returns how many were written."""
    read_at = to_iso(now)
    before = conn.total_changes
    conn.executemany(
        _STORE_SQL, [(*_values(key, header), read_at, key) for key, header in headers.items()]
    )
    return conn.total_changes - before


def _values(key: str, header: Header) -> tuple[Any, ...]:
    if isinstance(header, str):
        return (key, *(None for _ in HEADER_FIELDS), header)
    data = header.to_json() | {"date_obs": to_iso(header.date_obs)}  # UTC, as every time here
    return (key, *(data[name] for name in HEADER_FIELDS), None)


def load_headers(conn: sqlite3.Connection, keys: Sequence[str] | None) -> dict[str, Header]:
    """The stored headers of ``keys`` (every one when ``None``)."""
    if keys is None:
        return dict(_header_of(row) for row in conn.execute(_SELECT))
    found: dict[str, Header] = {}
    for chunk in chunked(list(dict.fromkeys(keys))):
        sql = f"{_SELECT} WHERE key IN ({placeholders(len(chunk))})"
        found.update(_header_of(row) for row in conn.execute(sql, chunk))
    return found


def _header_of(row: Sequence[Any]) -> tuple[str, Header]:
    key, *values, error = row
    if error is not None:
        return key, str(error)
    return key, FitsSummary.from_json(dict(zip(HEADER_FIELDS, values, strict=True)))


def count_missing(conn: sqlite3.Connection) -> int:
    """How many ``done`` frames have no stored header yet."""
    return int(conn.execute(f"SELECT count(*) FROM images WHERE {_MISSING}").fetchone()[0])


def read_headers(
    records: Sequence[ImageRecord], progress: Callable[[int, int], None] | None = None
) -> dict[str, Header]:
    """Read the headers of ``records`` (header only, never the pixels); a file that is not
    on disk is left out (``slooh verify`` names it), an unreadable header gives its reason.
    ``progress(done, total)`` follows. Blocking: call it in a worker thread from async code."""
    found: dict[str, Header] = {}
    for done, record in enumerate(records, start=1):
        if record.path is not None and record.path.is_file():
            found[record.key] = read_header(record.path)
        if progress is not None:
            progress(done, len(records))
    return found
