"""Exporting the tracker's records as CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from slooh_async.tracker import EXPORT_COLUMNS, ImageRow, Tracker, export_records

WHEN = datetime(2026, 1, 21, 1, 16, 58, tzinfo=UTC)


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[Tracker]:
    """A tracker with a done FITS frame, a failed picture and a pending one."""
    with Tracker.open(tmp_path / "t.sqlite3", base_path=tmp_path) as opened:
        opened.record_batch(
            [
                ImageRow(
                    key="fits:5:x.fit",
                    status="done",
                    kind="fits",
                    mission_id=5,
                    image_id=9,
                    title='Stephan\'s Quintet, "NGC 7318"',
                    object_name="NGC 7318",
                    telescope="Canary Three",
                    instrument="CCD",
                    format="FITS",
                    filter="B",
                    url="https://x.test/x.fit",
                    filename="x.fit",
                    observed_at=WHEN,
                    path=tmp_path / "NGC 7318" / "x.fit",
                    size=2880,
                    hash="ab",
                    hash_algorithm="sha256",
                    attempts=1,
                ),
                ImageRow(key="2", status="failed", title="Ünïcode ☄", error="HTTP 500", attempts=3),
            ]  # fmt: skip
        )
        opened.mark_pending([ImageRow(key="3", status="pending")])
        yield opened


def test_csv_round_trip(tracker: Tracker, tmp_path: Path) -> None:
    """CSV has the stable header and every record; values read back as written."""
    out = io.StringIO()
    assert export_records(tracker, "csv", out) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    by_key = {row["key"]: row for row in rows}
    fits = by_key["fits:5:x.fit"]
    assert fits["title"] == 'Stephan\'s Quintet, "NGC 7318"'
    assert fits["path"] == str(tmp_path / "NGC 7318" / "x.fit")
    assert (fits["size"], fits["status"], fits["mission_id"]) == ("2880", "done", "5")
    assert datetime.fromisoformat(fits["observed_at"]) == WHEN
    assert by_key["2"]["last_error"] == "HTTP 500" and by_key["2"]["title"] == "Ünïcode ☄"
    assert by_key["3"]["path"] == "" and by_key["3"]["downloaded_at"] == ""


def test_json_round_trip(tracker: Tracker) -> None:
    """JSON is a list of objects with the export columns, nulls and ISO 8601 times."""
    out = io.StringIO()
    assert export_records(tracker, "json", out) == 3
    items = json.loads(out.getvalue())
    assert [tuple(item) for item in items] == [EXPORT_COLUMNS] * 3
    fits = next(item for item in items if item["key"] == "fits:5:x.fit")
    assert fits["size"] == 2880 and fits["attempts"] == 1 and fits["filter"] == "B"
    assert datetime.fromisoformat(fits["downloaded_at"]).tzinfo is not None
    assert next(item for item in items if item["key"] == "3")["path"] is None


def test_export_by_status_and_empty(tracker: Tracker) -> None:
    """A status filter exports only those records; nothing to export is an empty list."""
    out = io.StringIO()
    assert export_records(tracker, "json", out, status="failed") == 1
    assert [item["key"] for item in json.loads(out.getvalue())] == ["2"]
    tracker.forget(["fits:5:x.fit", "2", "3"])
    out = io.StringIO()
    assert export_records(tracker, "json", out) == 0
    assert json.loads(out.getvalue()) == []


def test_export_holds_nothing_secret() -> None:
    """The export columns are file metadata only: no token, password or cookie."""
    assert not {"token", "password", "cookie", "at", "cid"} & set(EXPORT_COLUMNS)


def test_unknown_format_is_refused(tracker: Tracker) -> None:
    """Asking for another format raises ValueError."""
    with pytest.raises(ValueError, match="xml"):
        export_records(tracker, "xml", io.StringIO())  # type: ignore[arg-type]
