"""``slooh export``: the tracker's records as CSV or JSON, for spreadsheets and scripts.

The tracker holds nothing secret (no tokens, no passwords), and the export adds nothing else.
A FITS frame's row carries what its header says (``fits_*`` columns, empty for pictures and
for frames whose header was not read yet).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, Literal, TextIO

from ..media import FitsSummary
from ._headers import HEADER_FIELDS
from ._records import Header, ImageRecord, to_iso
from ._tracker import Tracker

__all__ = ["EXPORT_COLUMNS", "export_records", "record_to_json"]

#: Column order of both formats; new columns are only ever appended.
EXPORT_COLUMNS: tuple[str, ...] = (
    "key", "image_id", "mission_id", "kind", "title", "object_name", "telescope",
    "instrument", "format", "filter", "filename", "path", "size", "hash", "hash_algorithm",
    "observed_at", "status", "attempts", "last_error", "first_seen", "last_seen",
    "downloaded_at", "session_id", "url",
    *(f"fits_{name}" for name in HEADER_FIELDS), "fits_error",
)  # fmt: skip
_RECORD_COLUMNS = EXPORT_COLUMNS[: EXPORT_COLUMNS.index("fits_date_obs")]
#: records whose headers are fetched in one query
_PAGE = 500


def record_to_json(record: ImageRecord, header: Header | None = None) -> dict[str, Any]:
    """One record (and its FITS header, if known) as a JSON-ready dict in
    :data:`EXPORT_COLUMNS` order (ISO 8601 times)."""
    row = {column: _plain(getattr(record, column)) for column in _RECORD_COLUMNS}
    summary = header if isinstance(header, FitsSummary) else None
    for name in HEADER_FIELDS:
        row[f"fits_{name}"] = _plain(getattr(summary, name)) if summary else None
    row["fits_error"] = header if isinstance(header, str) else None
    return row


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, Path):
        return str(value)
    return value


def export_records(
    tracker: Tracker,
    fmt: Literal["csv", "json"],
    out: TextIO,
    status: str | None = None,
) -> int:
    """Write every record (or those with ``status``) to ``out``; returns how many.

    Records are streamed a page at a time, so a 100,000-file library never sits in memory.
    """
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown export format {fmt!r}, expected csv or json")
    rows = _rows(tracker, tracker.iter_records(status))
    return _write_csv(rows, out) if fmt == "csv" else _write_json(rows, out)


def _rows(tracker: Tracker, records: Iterator[ImageRecord]) -> Iterator[dict[str, Any]]:
    """Each record with its header, the headers fetched a page of records at a time."""
    while page := list(islice(records, _PAGE)):
        headers: Mapping[str, Header] = tracker.fits_headers(
            [record.key for record in page if record.is_fits]
        )
        for record in page:
            yield record_to_json(record, headers.get(record.key))


def _write_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        # CSV has no null: an empty cell means "not known".
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
        count += 1
    return count


def _write_json(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """A JSON array written item by item (``json.dump`` would need the whole list first)."""
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
