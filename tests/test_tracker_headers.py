"""The tracker's FITS headers (schema 4): stored with done rows, replaced by a new download,
kept by failures, gone with their record; the migration from schema 3; the backfill's list."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fits_support import fits_cards

from slooh_async import StorageError
from slooh_async.media import FitsSummary
from slooh_async.tracker import SCHEMA_VERSION, ImageRecord, ImageRow, Tracker, read_headers
from slooh_async.tracker._schema import connect, migrate

M42_L = FitsSummary(
    date_obs=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), exptime=120.0, filter="Luminance",
    object="M42", telescope="Canary Two", instrument="CCD", ra_deg=83.82, dec_deg=-5.39,
    naxis1=1024, naxis2=768, bitpix=16,
)  # fmt: skip


def frame(key: str, status: str = "done", **fields: object) -> ImageRow:
    """A FITS frame's pipeline row."""
    values: dict[str, object] = {
        "kind": "fits", "format": "FITS", "object_name": "M42", "filter": "L",
        "filename": f"{key}.fit", "path": Path(f"M42/{key}.fit"),
    }  # fmt: skip
    values.update(fields)
    return ImageRow(key=key, status=status, **values)  # type: ignore[arg-type]


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[Tracker]:
    with Tracker.open(tmp_path / ".slooh" / "tracker.sqlite3", base_path=tmp_path) as opened:
        yield opened


def test_a_done_row_stores_its_header_whole(tracker: Tracker) -> None:
    """Every field of the summary comes back as it went in (dates in UTC)."""
    tracker.record_batch([frame("a", fits_header=M42_L)])
    assert tracker.fits_headers() == {"a": M42_L}
    assert tracker.fits_summaries() == {"a": M42_L} and tracker.fits_headers_missing() == []


def test_header_columns_follow_the_summary_and_dates_are_stored_in_utc(tracker: Tracker) -> None:
    """The table's columns between key and error are FitsSummary's fields in their order
    (what HEADER_FIELDS and the export's fits_* columns derive from); a date with another
    offset is stored as UTC text and reads back equal."""
    from slooh_async.tracker._headers import HEADER_FIELDS

    tokyo = FitsSummary(date_obs=datetime.fromisoformat("2026-01-02T12:04:05+09:00"))
    tracker.record_batch([frame("a", fits_header=tokyo)])
    assert tracker.fits_headers() == {"a": tokyo}
    db = sqlite3.connect(tracker.db_path)
    try:
        columns = [row[1] for row in db.execute("PRAGMA table_info(fits_headers)")]
        (stored,) = db.execute("SELECT date_obs FROM fits_headers").fetchone()
    finally:
        db.close()
    assert columns == ["key", *HEADER_FIELDS, "error", "read_at"]
    assert stored == "2026-01-02T03:04:05+00:00"


def test_a_new_download_replaces_the_header_and_a_failure_keeps_it(tracker: Tracker) -> None:
    """Downloaded again: the new header wins; a failed attempt or a row without a header
    leaves the stored one; an unreadable header is stored as its reason."""
    tracker.record_batch([frame("a", fits_header=M42_L)])
    shorter = FitsSummary(exptime=30.0, filter="Luminance")
    tracker.record_batch([frame("a", fits_header=shorter)])
    assert tracker.fits_headers(["a"]) == {"a": shorter}
    tracker.record_batch([frame("a", "failed", error="HTTP 500", fits_header=M42_L)])
    tracker.record_batch([frame("a")])
    assert tracker.fits_headers(["a"]) == {"a": shorter}
    tracker.record_batch([frame("a", fits_header="FITS header has no END card (truncated?)")])
    assert tracker.fits_headers(["a"]) == {"a": "FITS header has no END card (truncated?)"}
    assert tracker.fits_summaries() == {} and tracker.fits_headers_missing() == []


def test_a_forgotten_record_takes_its_header_along(tracker: Tracker) -> None:
    """forget() removes the header row too (ON DELETE CASCADE); storing for an unknown key
    is skipped, not an error."""
    tracker.record_batch([frame("a", fits_header=M42_L), frame("b", fits_header=M42_L)])
    tracker.forget(["a"])
    assert set(tracker.fits_headers()) == {"b"}
    assert tracker.store_fits_headers({"ghost": M42_L, "b": "unreadable"}) == 1
    assert tracker.fits_headers() == {"b": "unreadable"}


def test_the_backfill_lists_done_frames_without_a_header(tracker: Tracker) -> None:
    """fits_headers_missing: done FITS frames (by kind or format) with no row, in key order;
    pictures, pending and failed files are not the backfill's."""
    tracker.record_batch(
        [
            frame("c"),
            frame("a", kind="picture"),  # a FITS file by its format
            frame("b", fits_header=M42_L),
            frame("d", "failed", error="x"),
            ImageRow(key="e", status="done", format="PNG", path=Path("e.png")),
        ]
    )
    tracker.mark_pending([frame("f")])
    assert [record.key for record in tracker.fits_headers_missing()] == ["a", "c"]
    assert tracker.stats().headers_missing == 2


def test_read_headers_reads_what_is_there(tmp_path: Path) -> None:
    """read_headers: a real frame's summary, an unreadable file's reason, nothing for a file
    that is not on disk; progress counts every record."""
    from slooh_async.fake_server import FakeConfig, FakeSlooh

    fake = FakeSlooh(FakeConfig(pictures=12, seed=3, file_size=6000))
    item = next(f for f in fake.catalog.expected_files(include_fits=True) if f.kind == "fits")
    good = tmp_path / "good.fit"
    good.write_bytes(item.body())
    bad = tmp_path / "bad.fit"
    bad.write_bytes(b"SIMPLE  =                    T" + b" " * 50)
    records = [
        ImageRecord(key=name, status="done", kind="fits", path=tmp_path / f"{name}.fit")
        for name in ("good", "bad", "gone")
    ]
    seen: list[tuple[int, int]] = []
    found = read_headers(records, lambda done, total: seen.append((done, total)))
    assert set(found) == {"good", "bad"} and isinstance(found["bad"], str)
    summary = found["good"]
    assert isinstance(summary, FitsSummary)
    assert summary.exptime == float(fits_cards(good.read_bytes())["EXPTIME"])
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_schema_3_is_migrated_with_its_data(tmp_path: Path) -> None:
    """A schema-3 tracker with records opens as schema 4 in one step: records, sessions and
    flags kept, the headers table empty, every done frame listed for the backfill."""
    db = tmp_path / "tracker.sqlite3"
    conn = connect(db)
    migrate(conn, db, target=3)
    conn.execute(
        "INSERT INTO images (key, kind, format, status, path, first_seen, last_seen)"
        " VALUES ('fits:1:a.fit', 'fits', 'FITS', 'done', 'a.fit', 'x', 'x'),"
        " ('2', 'picture', 'PNG', 'done', '2.png', 'x', 'x')"
    )
    conn.execute("INSERT INTO sessions (started_at, status) VALUES ('x', 'completed')")
    conn.execute("INSERT INTO library_state VALUES ('needs_full_scan', 'false')")
    conn.close()
    assert SCHEMA_VERSION == 4
    with Tracker.open(db, base_path=tmp_path) as tracker:
        assert tracker.schema_version == 4
        assert tracker.statuses(["fits:1:a.fit", "2"]) == {"fits:1:a.fit": "done", "2": "done"}
        assert len(tracker.sessions()) == 1 and not tracker.needs_full_scan()
        assert tracker.fits_headers() == {}
        assert [r.key for r in tracker.fits_headers_missing()] == ["fits:1:a.fit"]
    check = sqlite3.connect(db)
    try:
        assert check.execute("SELECT count(*) FROM fits_headers").fetchone()[0] == 0
    finally:
        check.close()


def test_a_schema_3_tracker_opened_read_only_has_no_headers(tmp_path: Path) -> None:
    """Read-only, an older tracker is read as it is: no headers, every frame missing, stats
    count its frames without exposure; the file stays at schema 3."""
    db = tmp_path / "tracker.sqlite3"
    conn = connect(db)
    migrate(conn, db, target=3)
    conn.execute(
        "INSERT INTO images (key, kind, format, status, object_name, first_seen, last_seen)"
        " VALUES ('fits:1:a.fit', 'fits', 'FITS', 'done', 'M42', 'x', 'x')"
    )
    conn.close()
    with Tracker.open(db, base_path=tmp_path, lock=False, read_only=True) as tracker:
        assert tracker.fits_headers() == {} and len(tracker.fits_headers_missing()) == 1
        stats = tracker.stats().to_json()
        assert stats["by_object"]["M42"]["frames"] == 1 and stats["fits_headers_missing"] == 1
        assert tracker.schema_version == 3


@pytest.mark.parametrize("unwritable", ["file", "folder"])
def test_an_older_tracker_on_a_read_only_disk_reads_through_a_stand_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, unwritable: str
) -> None:
    """A schema-3 tracker that cannot be written (the file alone: mode=ro; its folder too:
    immutable) gets an empty TEMP fits_headers, so every header query answers; the stand-in
    takes no write either; the file and its folder stay exactly as they were."""
    from test_e2e_hostile_disk import read_only

    folder = tmp_path / ".slooh"
    folder.mkdir()
    db = folder / "tracker.sqlite3"
    conn = connect(db)
    migrate(conn, db, target=3)
    conn.execute(
        "INSERT INTO images (key, kind, format, status, object_name, filter, first_seen,"
        " last_seen) VALUES ('fits:1:a.fit', 'fits', 'FITS', 'done', 'M42', 'R', 'x', 'x')"
    )
    conn.close()
    before = (db.read_bytes(), sorted(path.name for path in folder.iterdir()))
    paths = [db] if unwritable == "file" else [folder, db]
    with read_only(*paths), caplog.at_level("INFO", logger="slooh_async.tracker"):
        with Tracker.open(db, base_path=tmp_path, lock=False, read_only=True) as tracker:
            assert tracker.fits_headers() == {} and tracker.fits_summaries() == {}
            assert [record.key for record in tracker.fits_headers_missing()] == ["fits:1:a.fit"]
            stats = tracker.stats().to_json()
            assert stats["by_filter"] == {"R": {"frames": 1, "exposure_seconds": 0.0}}
            assert stats["fits_headers_missing"] == 1 and tracker.schema_version == 3
            with pytest.raises(StorageError, match="readonly"):
                tracker.store_fits_headers({"fits:1:a.fit": M42_L})
    assert ("opening it immutable" in caplog.text) == (unwritable == "folder")
    assert db.read_bytes() == before[0]
    if unwritable == "folder":
        assert sorted(path.name for path in folder.iterdir()) == before[1]
