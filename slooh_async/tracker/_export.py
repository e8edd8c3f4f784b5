"""``slooh export``: the tracker's records as CSV or JSON, for spreadsheets and scripts.

The tracker holds nothing secret (no tokens, no passwords), and the export adds nothing else.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from ._records import ImageRecord, to_iso
from ._tracker import Tracker

__all__ = ["EXPORT_COLUMNS", "export_records", "record_to_json"]

#: Column order of both formats; new columns are only ever appended.
EXPORT_COLUMNS: tuple[str, ...] = (
    "key", "image_id", "mission_id", "kind", "title", "object_name", "telescope",
    "instrument", "format", "filter", "filename", "path", "size", "hash", "hash_algorithm",
    "observed_at", "status", "attempts", "last_error", "first_seen", "last_seen",
    "downloaded_at", "session_id", "url",
)  # fmt: skip


def record_to_json(record: ImageRecord) -> dict[str, Any]:
    """One record as a JSON-ready dict in :data:`EXPORT_COLUMNS` order (ISO 8601 times)."""
    return {column: _plain(getattr(record, column)) for column in EXPORT_COLUMNS}


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
    records = tracker.iter_records(status)
    if fmt == "csv":
        return _write_csv(records, out)
    if fmt == "json":
        return _write_json(records, out)
    raise ValueError(f"unknown export format {fmt!r}, expected csv or json")


def _write_csv(records: Iterable[ImageRecord], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for record in records:
        row = record_to_json(record)
        # CSV has no null: an empty cell means "not known".
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
        count += 1
    return count


def _write_json(records: Iterable[ImageRecord], out: TextIO) -> int:
    """A JSON array written item by item (``json.dump`` would need the whole list first)."""
    count = 0
    out.write("[")
    for record in records:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(record_to_json(record), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
