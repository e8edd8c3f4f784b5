"""The tracker database: schema, upserts, lookups, sessions, the lock and stats."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from slooh_async import tracker as tracker_module
from slooh_async._exceptions import ConfigError, LibraryLockedError, StorageError
from slooh_async.api import Picture
from slooh_async.tracker import (
    SCHEMA_VERSION,
    ImageRow,
    MoveFailed,
    Tracker,
    lock_path_for,
    move_file,
)
from slooh_async.tracker._paths import PathCodec
from slooh_async.tracker._schema import APPLICATION_ID, connect, migrate

REPO = Path(__file__).resolve().parents[1]


def row(key: str, status: str = "done", **fields: object) -> ImageRow:
    """A pipeline row with plausible metadata."""
    values: dict[str, object] = {
        "title": "Orion Nebula (M42)",
        "object_name": "M42",
        "telescope": "Canary Two",
        "format": "PNG",
        "filename": f"{key}.png",
        "url": f"https://example.test/{key}.png",
    }
    values.update(fields)
    return ImageRow(key=key, status=status, **values)  # type: ignore[arg-type]


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """An empty library folder."""
    return tmp_path / "library"


@pytest.fixture
def tracker(library: Path) -> Iterator[Tracker]:
    """A tracker at the default place inside the library."""
    with Tracker.open(library / ".slooh" / "tracker.sqlite3", base_path=library) as opened:
        yield opened


# ---------------------------------------------------------------------- schema


def test_new_tracker_sets_schema_version_and_wal(tracker: Tracker) -> None:
    """A new database gets the current user_version, our application id and WAL mode."""
    conn = sqlite3.connect(tracker.db_path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    assert tracker.schema_version == SCHEMA_VERSION


def test_open_creates_parent_folders(tmp_path: Path) -> None:
    """Opening a tracker in a folder that does not exist yet creates the folder."""
    db = tmp_path / "a" / "b" / "tracker.sqlite3"
    with Tracker.open(db, base_path=tmp_path):
        assert db.is_file()


def test_older_schema_is_migrated_and_keeps_data(library: Path) -> None:
    """A version-1 database is migrated forward on open, and its rows survive."""
    db = library / "tracker.sqlite3"
    library.mkdir()
    conn = connect(db)
    migrate(conn, db, target=1)
    conn.execute(
        "INSERT INTO images (key, status, first_seen, last_seen) VALUES ('1', 'done', 'x', 'x')"
    )
    conn.close()
    with Tracker.open(db, base_path=library) as tracker:
        assert tracker.schema_version == SCHEMA_VERSION
        assert tracker.statuses(["1"]) == {"1": "done"}
        tracker.set_fits_checked(7, 3)
        assert tracker.checked_missions() == {7}
        assert tracker.needs_full_scan()


def test_newer_schema_is_refused(library: Path) -> None:
    """A database written by a newer slooh-async is refused with a clear error."""
    db = library / "tracker.sqlite3"
    with Tracker.open(db, base_path=library):
        pass
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ConfigError, match="newer"):
        Tracker.open(db, base_path=library)


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    """Another program's SQLite database is not taken over."""
    db = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.close()
    with pytest.raises(ConfigError, match="not a slooh-async tracker"):
        Tracker.open(db, base_path=tmp_path)


def test_garbage_file_is_refused(tmp_path: Path) -> None:
    """A file that is not a database at all gives a ConfigError, not a traceback."""
    db = tmp_path / "tracker.sqlite3"
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigError, match="not a"):
        Tracker.open(db, base_path=tmp_path)


# ---------------------------------------------------------------------- paths


def test_paths_inside_library_are_stored_relative(tracker: Tracker, library: Path) -> None:
    """A path inside the library is stored relative (POSIX) and read back absolute."""
    inside = library / "M42" / "Canary Two" / "a.png"
    tracker.record_batch([row("1", path=inside)])
    with closing(sqlite3.connect(tracker.db_path)) as conn:
        stored = conn.execute("SELECT path FROM images").fetchone()[0]
    assert stored == "M42/Canary Two/a.png"
    assert tracker.get("1").path == inside  # type: ignore[union-attr]


def test_paths_outside_library_are_stored_absolute(tracker: Tracker, tmp_path: Path) -> None:
    """A path outside the library is kept absolute."""
    outside = tmp_path / "elsewhere" / "b.png"
    tracker.record_batch([row("2", path=outside)])
    assert tracker.get("2").path == outside  # type: ignore[union-attr]


def test_sibling_folder_with_the_same_prefix_is_outside(tmp_path: Path) -> None:
    """A folder that merely starts with the library's name is not inside the library."""
    codec = PathCodec(tmp_path / "library")
    assert codec.encode(tmp_path / "library2" / "a.png") == str(tmp_path / "library2" / "a.png")
    assert codec.encode(tmp_path / "library" / "sub" / ".." / "a.png") == "a.png"
    assert codec.decode("a/b.png") == tmp_path / "library" / "a" / "b.png"


def test_moved_library_still_resolves_paths(library: Path, tmp_path: Path) -> None:
    """After moving the whole library folder, recorded paths point into the new place."""
    db = library / ".slooh" / "tracker.sqlite3"
    with Tracker.open(db, base_path=library) as tracker:
        (library / "M42").mkdir(parents=True)
        (library / "M42" / "a.png").write_bytes(b"x")
        tracker.record_batch([row("1", path=library / "M42" / "a.png")])
    moved = tmp_path / "moved"
    shutil.move(library, moved)
    with Tracker.open(moved / ".slooh" / "tracker.sqlite3", base_path=moved) as tracker:
        path = tracker.get("1").path  # type: ignore[union-attr]
        assert path == moved / "M42" / "a.png"
        assert path.read_bytes() == b"x"


def test_a_move_across_devices_copies_under_a_part_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a rename cannot cross devices the file is copied to the organizer's .part name
    first, then put in place: the source goes and no .part stays; a failed copy leaves
    neither a .part nor a file at the destination, and the source where it was."""
    source, destination = tmp_path / "a.png", tmp_path / "sub" / "b.png"
    source.write_bytes(b"picture")
    destination.parent.mkdir()

    def no_rename(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "cross-device link")

    copies: list[Path] = []

    def copy(src: Path, dst: Path) -> None:
        copies.append(Path(dst))
        shutil.copyfile(src, dst)

    monkeypatch.setattr("slooh_async.tracker._moves.os.rename", no_rename)
    monkeypatch.setattr("slooh_async.tracker._moves.shutil.copy2", copy)
    assert move_file(source, destination) is True
    assert copies == [tmp_path / "sub" / "b.png.part"]
    assert destination.read_bytes() == b"picture" and not source.exists()
    assert sorted(p.name for p in destination.parent.iterdir()) == ["b.png"]

    def broken(src: Path, dst: Path) -> None:
        Path(dst).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    again = tmp_path / "c.png"
    again.write_bytes(b"other")
    monkeypatch.setattr("slooh_async.tracker._moves.shutil.copy2", broken)
    with pytest.raises(MoveFailed, match="No space"):
        move_file(again, tmp_path / "sub" / "c.png")
    assert again.exists() and sorted(p.name for p in destination.parent.iterdir()) == ["b.png"]


# ---------------------------------------------------------------------- upserts


def test_record_batch_adds_attempts_and_keeps_first_seen(tracker: Tracker) -> None:
    """Upserting a key adds the attempts, keeps first_seen and moves last_seen on."""
    tracker.record_batch([row("1", "failed", error="timeout", attempts=3)])
    first = tracker.get("1")
    tracker.record_batch([row("1", "done", attempts=1, size=10, hash="ab", hash_algorithm="md5")])
    second = tracker.get("1")
    assert first is not None and second is not None
    assert second.attempts == 4
    assert second.first_seen == first.first_seen
    assert second.last_seen >= first.last_seen  # type: ignore[operator]
    assert second.status == "done" and second.last_error is None
    assert first.downloaded_at is None and second.downloaded_at is not None


def test_record_batch_keeps_hash_and_path_when_row_has_none(
    tracker: Tracker, library: Path
) -> None:
    """A later row without hash or path does not erase the recorded ones."""
    tracker.record_batch([row("1", path=library / "a.png", hash="ff", hash_algorithm="sha256")])
    tracker.record_batch([row("1", title="")])
    record = tracker.get("1")
    assert record is not None
    assert (record.hash, record.hash_algorithm) == ("ff", "sha256")
    assert record.path == library / "a.png"
    assert record.title == "Orion Nebula (M42)"


def test_record_batch_round_trips_every_field(tracker: Tracker, library: Path) -> None:
    """Every field of a row comes back unchanged in the record."""
    when = datetime(2026, 1, 21, 1, 16, 58, tzinfo=UTC)
    session = tracker.start_session("download")
    tracker.record_batch(
        [
            ImageRow(
                key="fits:5:x.fit",
                status="done",
                kind="fits",
                image_id=9,
                mission_id=5,
                title="T",
                object_name="O",
                telescope="Tel",
                instrument="CCD",
                format="FITS",
                filter="B",
                url="u",
                filename="x.fit",
                observed_at=when,
                position=4,
                path=library / "x.fit",
                size=2880,
                hash="h",
                hash_algorithm="md5",
                attempts=1,
                session_id=session,
            )  # fmt: skip
        ]
    )
    record = tracker.get("fits:5:x.fit")
    assert record is not None
    assert (record.kind, record.image_id, record.mission_id, record.instrument) == (
        "fits", 9, 5, "CCD",
    )  # fmt: skip
    assert (record.filter, record.observed_at, record.position) == ("B", when, 4)
    assert (record.size, record.session_id, record.attempts) == (2880, session, 1)


def test_mark_pending_never_downgrades_done(tracker: Tracker) -> None:
    """mark_pending inserts unknown keys as pending and leaves done and failed ones alone."""
    tracker.record_batch([row("done"), row("failed", "failed", error="boom")])
    tracker.mark_pending([row("done"), row("failed"), row("new")])
    assert tracker.statuses(["done", "failed", "new"]) == {
        "done": "done",
        "failed": "failed",
        "new": "pending",
    }
    assert tracker.get("failed").last_error == "boom"  # type: ignore[union-attr]


def test_failed_row_never_downgrades_done(tracker: Tracker, library: Path) -> None:
    """A failed re-download of a done file keeps it done at its path, noting the error."""
    tracker.record_batch([row("1", path=library / "a.png", size=5, attempts=1)])
    tracker.record_batch([row("1", "failed", path=library / "b.png", error="HTTP 500", attempts=2)])
    record = tracker.get("1")
    assert record is not None
    assert (record.status, record.path, record.size) == ("done", library / "a.png", 5)
    assert (record.attempts, record.last_error) == (3, "HTTP 500")
    assert tracker.mark_for_redownload(["1"]) == 1
    tracker.record_batch([row("1", "failed", error="HTTP 500", attempts=1)])
    assert tracker.get("1").status == "failed"  # type: ignore[union-attr]


def test_outstanding_and_failed(tracker: Tracker) -> None:
    """outstanding() lists pending and failed records, failed() only the failed ones."""
    tracker.record_batch([row("1"), row("2", "failed", error="x")])
    tracker.mark_pending([row("3")])
    assert sorted(r.key for r in tracker.outstanding()) == ["2", "3"]
    assert [r.key for r in tracker.failed()] == ["2"]
    assert (tracker.count(), tracker.count("done"), tracker.count("pending")) == (3, 1, 1)


def test_mark_for_redownload_update_paths_and_forget(tracker: Tracker, library: Path) -> None:
    """verify --fix sets records pending; update_paths moves them; forget deletes them."""
    tracker.record_batch([row("1", path=library / "a.png"), row("2")])
    assert tracker.mark_for_redownload(["1", "unknown"], reason="hash mismatch") == 1
    assert tracker.get("1").status == "pending"  # type: ignore[union-attr]
    assert tracker.get("1").last_error == "hash mismatch"  # type: ignore[union-attr]
    tracker.update_paths([("2", library / "new" / "b.png")])
    assert tracker.get("2").path == library / "new" / "b.png"  # type: ignore[union-attr]
    assert tracker.forget(["1"]) == 1
    assert tracker.get("1") is None


def test_failed_batch_leaves_nothing_behind(tracker: Tracker) -> None:
    """A batch that fails half way is rolled back whole: never a half-written state."""
    bad = ImageRow(key="2", status="bogus")  # type: ignore[arg-type]
    with pytest.raises(sqlite3.IntegrityError):
        tracker.record_batch([row("1"), bad])
    assert tracker.count() == 0
    tracker.record_batch([row("3")])
    assert tracker.count() == 1


# ---------------------------------------------------------------------- lookups


def test_batch_lookups_beyond_the_sqlite_variable_limit(tracker: Tracker, library: Path) -> None:
    """statuses, records and path_owners work for thousands of keys at once."""
    rows = [row(str(n), path=library / f"{n}.png") for n in range(2500)]
    tracker.record_batch(rows)
    keys = [str(n) for n in range(3000)]
    assert len(tracker.statuses(keys)) == 2500
    assert len(tracker.records(keys)) == 2500
    owners = tracker.path_owners([library / f"{n}.png" for n in range(1200, 2600)])
    assert len(owners) == 1300
    assert owners[library / "1300.png"] == "1300"


def test_iter_records_pages_and_allows_writes(tracker: Tracker) -> None:
    """iter_records streams every record in pages and tolerates writes while iterating."""
    tracker.record_batch([row(f"{n:05d}") for n in range(2100)])
    seen = []
    for record in tracker.iter_records("done"):
        seen.append(record.key)
        if len(seen) == 1:
            tracker.mark_for_redownload(["zzz"])
    assert len(seen) == 2100 and seen == sorted(seen)
    with pytest.raises(ValueError, match="unknown status"):
        list(tracker.iter_records("bogus"))


def test_from_picture_copies_metadata() -> None:
    """ImageRow.from_picture carries the picture's key and metadata plus the outcome."""
    picture = Picture.model_validate(
        {
            "imageId": "17375714",
            "imageTitle": "Crab Nebula (M1)",
            "imageDownloadURL": "https://x.test/m1_20260209_032548_0_y7g9el_m.png?rand=1",
            "telescopeName": "Chile One",
            "instrumentName": "CCD",
            "position": 40,
        }
    )
    made = ImageRow.from_picture(picture, status="done", size=5, attempts=2, session_id=1)
    assert (made.key, made.image_id, made.kind, made.format) == (
        "17375714",
        17375714,
        "picture",
        "PNG",
    )
    assert (made.filename, made.filter, made.telescope) == (
        "m1_20260209_032548_0_y7g9el_m.png", "Mono", "Chile One",
    )  # fmt: skip
    assert made.observed_at == datetime(2026, 2, 9, 3, 25, 48, tzinfo=UTC)
    assert (made.size, made.attempts, made.session_id, made.position) == (5, 2, 1, 40)


# ---------------------------------------------------------------------- missions


def test_fits_checked_state(tracker: Tracker) -> None:
    """Missions whose FITS listing was handled are remembered until cleared."""
    tracker.set_fits_checked(1, 4)
    tracker.set_fits_checked(2, 0)
    tracker.set_fits_checked(2, 1)
    assert tracker.checked_missions() == {1, 2}
    tracker.clear_fits_checked([1])
    assert tracker.checked_missions() == {2}


def test_fits_checked_in_one_batch(tracker: Tracker) -> None:
    """Several missions' FITS state is written in one call."""
    tracker.set_fits_checked_many([(7, 3), (8, 0)])
    assert tracker.checked_missions() == {7, 8}


def test_needs_full_scan_flag(library: Path) -> None:
    """A new library needs a full scan; the flag, once cleared or set, survives reopening."""
    db = library / "t.sqlite3"
    with Tracker.open(db, base_path=library) as tracker:
        assert tracker.needs_full_scan()
        tracker.set_needs_full_scan(False)
    with Tracker.open(db, base_path=library) as tracker:
        assert not tracker.needs_full_scan()
        tracker.set_needs_full_scan(True)
        assert tracker.needs_full_scan()


# ---------------------------------------------------------------------- sessions


def test_sessions_finish_with_a_status(tracker: Tracker) -> None:
    """A finished session has its status, counts and end time; newest comes first."""
    first = tracker.start_session("download")
    tracker.finish_session(first, "completed", downloaded=3, failed=1, skipped=2, bytes=99)
    second = tracker.start_session("download --retry-failed")
    sessions = tracker.sessions()
    assert [s.id for s in sessions] == [second, first]
    done = sessions[1]
    assert (done.status, done.downloaded, done.failed, done.skipped, done.bytes) == (
        "completed", 3, 1, 2, 99,
    )  # fmt: skip
    assert done.ended_at is not None
    assert tracker.sessions(limit=1)[0].status == "running"
    with pytest.raises(ValueError):
        tracker.finish_session(second, "running", downloaded=0, failed=0, skipped=0, bytes=0)  # type: ignore[arg-type]


def test_close_interrupts_sessions_left_running(library: Path) -> None:
    """Closing a tracker never leaves the sessions it started running."""
    db = library / "t.sqlite3"
    with Tracker.open(db, base_path=library) as tracker:
        session = tracker.start_session("download")
    with Tracker.open(db, base_path=library) as tracker:
        assert tracker.sessions()[0].id == session
        assert tracker.sessions()[0].status == "interrupted"


def test_stale_running_sessions_become_interrupted_on_open(library: Path) -> None:
    """A session a crash left running is marked interrupted, with counts from its images."""
    db = library / "t.sqlite3"
    with Tracker.open(db, base_path=library) as tracker:
        pass
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO sessions (id, started_at, status, command)"
        " VALUES (7, '2026-01-01T00:00:00+00:00', 'running', 'download')"
    )
    conn.execute(
        "INSERT INTO images (key, status, size, first_seen, last_seen, downloaded_at,"
        " session_id) VALUES ('1', 'done', 10, '2026-01-01T00:00:01+00:00',"
        " '2026-01-01T00:05:00+00:00', '2026-01-01T00:05:00+00:00', 7)"
    )
    conn.commit()
    conn.close()
    with Tracker.open(db, base_path=library, lock=False) as tracker:
        assert tracker.sessions()[0].status == "running"
    with Tracker.open(db, base_path=library) as tracker:
        session = tracker.sessions()[0]
    assert (session.status, session.downloaded, session.bytes) == ("interrupted", 1, 10)
    assert session.ended_at == datetime(2026, 1, 1, 0, 5, tzinfo=UTC)


# ---------------------------------------------------------------------- lock

_HOLDER = """
import sys
from pathlib import Path
from slooh_async.tracker import Tracker
with Tracker.open(Path(sys.argv[1]), base_path=Path(sys.argv[2])):
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_second_process_is_refused(library: Path) -> None:
    """While another process holds the library, opening it raises LibraryLockedError."""
    db = library / ".slooh" / "tracker.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(db), str(library)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        with pytest.raises(LibraryLockedError) as caught:
            Tracker.open(db, base_path=library)
        message = str(caught.value)
        assert "another slooh process" in message and str(library) in message
        assert str(lock_path_for(db)) in message
        with Tracker.open(db, base_path=library, lock=False) as reader:
            assert reader.count() == 0
    finally:
        child.communicate("", timeout=20)
    with Tracker.open(db, base_path=library) as tracker:
        assert tracker.count() == 0


def test_lock_is_released_on_close(library: Path) -> None:
    """After close() the same library can be opened again, also from another thread."""
    db = library / "t.sqlite3"
    opened = Tracker.open(db, base_path=library)
    with pytest.raises(LibraryLockedError):
        Tracker.open(db, base_path=library)
    closer = threading.Thread(target=opened.close)
    closer.start()
    closer.join()
    Tracker.open(db, base_path=library).close()


# ---------------------------------------------------------------------- threads


def test_calls_from_many_threads(tracker: Tracker) -> None:
    """Writes and reads from worker threads interleave safely on the one connection."""

    def work(worker: int) -> None:
        for batch in range(20):
            keys = [f"{worker}-{batch}-{n}" for n in range(10)]
            tracker.record_batch([row(key) for key in keys])
            assert len(tracker.statuses(keys)) == 10

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tracker.count("done") == 6 * 20 * 10


# ---------------------------------------------------------------------- stats


def test_stats_json_keys_and_values(tracker: Tracker) -> None:
    """stats().to_json() has the documented keys, with counts of done files only."""
    session = tracker.start_session("download")
    tracker.record_batch(
        [
            row("1", format="FITS", size=100, telescope="Canary Two", object_name="M42"),
            row("2", format="PNG", size=10, telescope="Chile One", object_name="M42"),
            row("3", format="PNG", size=20, telescope="Chile One", object_name="M1"),
            row("4", "failed", error="x", size=None),
        ]
    )
    tracker.mark_pending([row("5")])
    tracker.finish_session(session, "completed", downloaded=3, failed=1, skipped=0, bytes=130)
    data = tracker.stats(top=1).to_json()
    assert json.loads(json.dumps(data)) == data
    for key in ("total_images", "total_bytes", "failed", "sessions", "last_download",
                "by_format", "by_telescope", "by_object", "success_rate", "pending",
                "recent_sessions", "total_objects"):  # fmt: skip
        assert key in data
    assert (data["total_images"], data["total_bytes"], data["failed"], data["pending"]) == (
        3, 130, 1, 1,
    )  # fmt: skip
    assert data["by_format"] == {
        "PNG": {"files": 2, "bytes": 30},
        "FITS": {"files": 1, "bytes": 100},
    }
    assert data["by_telescope"]["Chile One"] == {"files": 2, "bytes": 30}
    no_header = {"frames": 1, "exposure_seconds": 0.0}  # its header was never read
    assert data["by_object"] == {
        "M42": {"files": 2, "bytes": 110, **no_header, "by_filter": {"Unknown": no_header}}
    }
    assert data["by_filter"] == {"Unknown": no_header} and data["fits_headers_missing"] == 1
    assert (data["total_frames"], data["total_exposure_seconds"]) == (1, 0.0)
    assert data["success_rate"] == 0.75 and data["sessions"] == 1 and data["total_objects"] == 2
    assert datetime.fromisoformat(data["last_download"]).tzinfo is not None
    assert data["recent_sessions"][0]["status"] == "completed"


def test_stats_of_an_empty_tracker(tracker: Tracker) -> None:
    """An empty library has zero totals, no success rate and no last download."""
    data = tracker.stats().to_json()
    assert data["total_images"] == 0 and data["success_rate"] is None
    assert data["last_download"] is None and data["by_format"] == {}


def test_public_names_are_exported() -> None:
    """Everything in the tracker package's __all__ exists."""
    for name in tracker_module.__all__:
        assert hasattr(tracker_module, name), name


def test_read_only_open_reads_and_never_writes(tmp_path: Path) -> None:
    """read_only opens an existing tracker whatever its path holds (#, ?, %, spaces), reads it,
    refuses writes with a StorageError, and leaves the database as it was (SQLite may keep its
    own -wal and -shm files beside it)."""
    folder = tmp_path / "a b#c?d%e"
    folder.mkdir()
    db = folder / "tracker.sqlite3"
    with Tracker.open(db, base_path=folder) as tracker:
        tracker.record_batch([ImageRow(key="1", status="done")])
    before, content = {p.name for p in folder.iterdir()}, db.read_bytes()
    with Tracker.open(db, base_path=folder, lock=False, read_only=True) as tracker:
        assert tracker.count("done") == 1
        with pytest.raises(StorageError):
            tracker.record_batch([ImageRow(key="2", status="done")])
    added = {p.name for p in folder.iterdir()} - before
    assert added <= {"tracker.sqlite3-wal", "tracker.sqlite3-shm"}
    assert db.read_bytes() == content
    with pytest.raises(StorageError, match="no such file"):
        Tracker.open(folder / "missing.sqlite3", base_path=folder, read_only=True)
