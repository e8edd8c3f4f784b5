"""Importing the legacy IronPython/.NET downloader's JSON tracker."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from slooh_async._exceptions import UsageError
from slooh_async.organizer import PathError
from slooh_async.tracker import ImageRow, Tracker, import_legacy
from slooh_async.tracker._legacy import MISSING_ERROR, _candidates

LEGACY = Path(__file__).parent / "data" / "legacy_download_tracker.json"
M42_FITS = "fits:3996220:m42_20260121_011658_0_iycarr_b_cal.fit"
M42_TAIL = "Orion Nebula (M42)/Canary Two/FITS/Canary Two_m42_20260121_011658_0_iycarr_b_cal.fit"
M1_PNG = "17375714"
M1_TAIL = "Crab Nebula (M1)/Chile One/PNG/Chile One_m1_20260209_032548_0_y7g9el_m.png"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """The new library folder."""
    path = tmp_path / "library"
    path.mkdir()
    return path


@pytest.fixture
def tracker(library: Path) -> Iterator[Tracker]:
    """An empty tracker for the library."""
    with Tracker.open(library / ".slooh" / "tracker.sqlite3", base_path=library) as opened:
        yield opened


@pytest.fixture(scope="module")
def excerpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real legacy tracker cut to 60 records (the M42 frame and M1 picture among them)."""
    data = json.loads(LEGACY.read_text(encoding="utf-8"))
    images = data["images"]
    wanted = list(images)[:60]
    assert {"17262680:FITS", "17375714:png"} <= set(wanted)
    data["images"] = {key: images[key] for key in wanted}
    path = tmp_path_factory.mktemp("legacy") / "excerpt.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def place(root: Path, tail: str, size: int) -> Path:
    """A (sparse) file of ``size`` bytes at ``root/tail``."""
    path = root.joinpath(*tail.split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def layout(library: Path) -> Any:
    """A new-layout destination, as the CLI would compute it (by title: organizer-free)."""

    def destination(row: ImageRow) -> Path:
        return library / row.title / row.telescope / row.format / row.filename

    return destination


def dump(db: Path) -> tuple[list[Any], list[Any]]:
    """Every row of images and sessions, to compare whole databases."""
    conn = sqlite3.connect(db)
    try:
        images = conn.execute("SELECT * FROM images ORDER BY key").fetchall()
        sessions = conn.execute("SELECT * FROM sessions ORDER BY id").fetchall()
    finally:
        conn.close()
    return images, sessions


def write_legacy(path: Path, images: dict[str, dict[str, Any]]) -> Path:
    """A small legacy tracker file with one session."""
    session = {"session_id": 0, "start_time": "2026-02-10T21:56:11.048000", "status": "running"}
    path.write_text(json.dumps({"images": images, "sessions": [session]}), encoding="utf-8")
    return path


def legacy_png(file_path: str, size: int = 5) -> dict[str, Any]:
    """One legacy PNG record."""
    return {
        "download_url": "https://x.test/m1_20260209_032548_0_y7g9el_m.png?rand=1",
        "mission_id": "",
        "telescope_name": "Chile One",
        "file_size": size,
        "file_path": file_path,
        "image_id": "17375714",
        "download_date": "2026-02-10T23:55:57.556000",
        "session_id": 0,
        "image_type": "png",
        "object_name": "Crab Nebula (M1)",
        "md5_hash": "",
    }


# ---------------------------------------------------------------------- the real file


def test_real_tracker_gives_2548_records_and_5_sessions(tracker: Tracker, library: Path) -> None:
    """The real legacy tracker imports as 2,548 records and 5 completed sessions."""
    report = import_legacy(tracker, LEGACY, search_roots=[library])
    assert (report.records_total, report.imported, report.sessions_imported) == (2548, 2548, 5)
    assert (report.missing, report.found_on_disk, report.problems) == (2548, 0, [])
    assert tracker.count() == 2548
    sessions = tracker.sessions()
    assert len(sessions) == 5
    assert {(s.status, s.command) for s in sessions} == {("completed", "legacy import")}
    assert sum(s.downloaded for s in sessions) == 47 + 43 + 24 + 14 + 29


def test_real_tracker_keys_match_the_client(tracker: Tracker, library: Path) -> None:
    """FITS records get fits:{mission}:{url file name}, pictures their image id."""
    import_legacy(tracker, LEGACY, search_roots=[library])
    fits = tracker.get(M42_FITS)
    png = tracker.get(M1_PNG)
    assert fits is not None and png is not None
    assert (fits.kind, fits.mission_id, fits.format, fits.telescope) == (
        "fits", 3996220, "FITS", "Canary Two",
    )  # fmt: skip
    assert (png.kind, png.format, png.filter, png.position) == ("picture", "PNG", "Mono", 40)
    assert png.filename == "m1_20260209_032548_0_y7g9el_m.png"
    assert (png.status, png.last_error, png.path) == ("pending", MISSING_ERROR, None)
    assert png.session_id == tracker.sessions()[2].id
    assert tracker.count("pending") == 2548


def test_reimport_changes_nothing(tracker: Tracker, library: Path) -> None:
    """Importing the same file again adds no record or session and changes no row."""
    tracker.set_needs_full_scan(False)
    import_legacy(tracker, LEGACY, search_roots=[library])
    assert tracker.needs_full_scan()
    tracker.set_needs_full_scan(False)
    before = dump(tracker.db_path)
    report = import_legacy(tracker, LEGACY, search_roots=[library])
    assert (report.imported, report.sessions_imported, report.already_present) == (0, 0, 2548)
    assert dump(tracker.db_path) == before
    assert not tracker.needs_full_scan()


def test_files_are_found_under_search_roots(
    tracker: Tracker, tmp_path: Path, excerpt: Path
) -> None:
    """Files are found by their path's tail below the old first folder, or the whole path."""
    old_library = tmp_path / "old"
    old_drive = tmp_path / "drive"
    place(old_library, M42_TAIL, 720000)
    place(old_drive, "Slooh/" + M1_TAIL, 2877502)
    report = import_legacy(tracker, excerpt, search_roots=[old_library, old_drive])
    assert (report.found_on_disk, report.missing, report.imported) == (2, 58, 60)
    fits = tracker.get(M42_FITS)
    assert fits is not None and fits.status == "done" and fits.size == 720000
    assert fits.path == old_library.joinpath(*M42_TAIL.split("/"))
    assert fits.downloaded_at is not None
    assert tracker.get(M1_PNG).path == old_drive.joinpath("Slooh", *M1_TAIL.split("/"))  # type: ignore[union-attr]


def test_size_mismatch_is_fetched_again(tracker: Tracker, library: Path, excerpt: Path) -> None:
    """A found file whose size differs from the legacy record stays pending, with a reason."""
    place(library, M42_TAIL, 1000)
    report = import_legacy(tracker, excerpt, search_roots=[library])
    record = tracker.get(M42_FITS)
    assert record is not None and record.status == "pending"
    assert "differs" in (record.last_error or "") and len(report.problems) == 1


def test_missing_files_become_done_when_trusted(
    tracker: Tracker, library: Path, excerpt: Path
) -> None:
    """With trust_missing, files not found are recorded done without a path."""
    import_legacy(tracker, excerpt, search_roots=[library], trust_missing=True)
    record = tracker.get(M1_PNG)
    assert record is not None and (record.status, record.path) == ("done", None)
    assert tracker.count("done") == 60


# ---------------------------------------------------------------------- --move


def test_move_puts_found_files_into_the_new_layout(
    tracker: Tracker, library: Path, tmp_path: Path, excerpt: Path
) -> None:
    """With move_to, found files move to their new place and that place is recorded."""
    old = place(tmp_path / "old", M1_TAIL, 2877502)
    destination = layout(library)
    report = import_legacy(tracker, excerpt, search_roots=[tmp_path / "old"], move_to=destination)
    new = library / "Crab Nebula (M1)" / "Chile One" / "PNG" / "m1_20260209_032548_0_y7g9el_m.png"
    assert report.moved == 1 and not old.exists() and new.stat().st_size == 2877502
    assert tracker.get(M1_PNG).path == new  # type: ignore[union-attr]
    again = import_legacy(tracker, excerpt, search_roots=[tmp_path / "old"], move_to=destination)
    assert (again.imported, again.moved) == (0, 0)


def test_move_never_overwrites_a_different_file(
    tracker: Tracker, library: Path, tmp_path: Path, excerpt: Path
) -> None:
    """A different file at the destination is kept; the found file stays and is recorded."""
    old = place(tmp_path / "old", M1_TAIL, 2877502)
    destination = layout(library)
    target = (
        library / "Crab Nebula (M1)" / "Chile One" / "PNG" / "m1_20260209_032548_0_y7g9el_m.png"
    )
    target.parent.mkdir(parents=True)
    target.write_bytes(b"someone else's file")
    report = import_legacy(tracker, excerpt, search_roots=[tmp_path / "old"], move_to=destination)
    assert report.moved == 0 and old.exists()
    assert target.read_bytes() == b"someone else's file"
    assert any("not moved" in problem for problem in report.problems)
    assert tracker.get(M1_PNG).path == old  # type: ignore[union-attr]


def test_identical_file_at_destination_counts_as_moved(
    tmp_path: Path, library: Path, tracker: Tracker
) -> None:
    """An identical copy already at the destination is adopted and the old copy removed."""
    legacy = write_legacy(tmp_path / "legacy.json", {"1:png": legacy_png("D:\\Slooh\\M1\\a.png")})
    old = tmp_path / "old" / "M1" / "a.png"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"12345")
    target = (
        library / "Crab Nebula (M1)" / "Chile One" / "PNG" / "m1_20260209_032548_0_y7g9el_m.png"
    )
    target.parent.mkdir(parents=True)
    target.write_bytes(b"12345")
    report = import_legacy(
        tracker, legacy, search_roots=[tmp_path / "old"], move_to=layout(library)
    )
    assert report.moved == 1 and not old.exists()
    assert tracker.get(M1_PNG).path == target  # type: ignore[union-attr]


def test_file_already_at_destination_is_found(
    tmp_path: Path, library: Path, tracker: Tracker
) -> None:
    """After an interrupted --move import, the file at its new place is found and recorded."""
    legacy = write_legacy(tmp_path / "legacy.json", {"1:png": legacy_png("D:\\Slooh\\M1\\a.png")})
    target = (
        library / "Crab Nebula (M1)" / "Chile One" / "PNG" / "m1_20260209_032548_0_y7g9el_m.png"
    )
    target.parent.mkdir(parents=True)
    target.write_bytes(b"12345")
    report = import_legacy(tracker, legacy, move_to=layout(library))
    assert (report.found_on_disk, report.moved) == (1, 0)
    assert tracker.get(M1_PNG).status == "done"  # type: ignore[union-attr]


# ---------------------------------------------------------------------- existing records


def test_done_records_are_never_overwritten(
    tmp_path: Path, library: Path, tracker: Tracker
) -> None:
    """A key the tracker already has done keeps its path and status."""
    mine = library / "mine.png"
    tracker.record_batch([ImageRow(key=M1_PNG, status="done", path=mine, size=9)])
    old = tmp_path / "old" / "M1" / "a.png"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"12345")
    legacy = write_legacy(tmp_path / "legacy.json", {"1:png": legacy_png("D:\\Slooh\\M1\\a.png")})
    report = import_legacy(tracker, legacy, search_roots=[tmp_path / "old"])
    assert (report.imported, report.already_present, report.found_on_disk) == (0, 1, 0)
    record = tracker.get(M1_PNG)
    assert record is not None and (record.path, record.size) == (mine, 9)


def test_pending_record_is_upgraded_when_the_file_is_found(
    tmp_path: Path, library: Path, tracker: Tracker
) -> None:
    """A pending record becomes done once a re-import finds its file (e.g. a new root)."""
    legacy = write_legacy(tmp_path / "legacy.json", {"1:png": legacy_png("D:\\Slooh\\M1\\a.png")})
    import_legacy(tracker, legacy)
    assert tracker.get(M1_PNG).status == "pending"  # type: ignore[union-attr]
    old = tmp_path / "old" / "M1" / "a.png"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"12345")
    report = import_legacy(tracker, legacy, search_roots=[tmp_path / "old"])
    assert (report.imported, report.found_on_disk) == (1, 1)
    record = tracker.get(M1_PNG)
    assert record is not None and (record.status, record.path, record.last_error) == (
        "done",
        old,
        None,
    )


def test_native_old_path_is_used_directly(tmp_path: Path, tracker: Tracker) -> None:
    """A legacy path that is a real path on this system is found without search roots."""
    old = tmp_path / "old" / "a.png"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"12345")
    legacy = write_legacy(tmp_path / "legacy.json", {"1:png": legacy_png(str(old))})
    report = import_legacy(tracker, legacy)
    assert report.found_on_disk == 1 and tracker.get(M1_PNG).path == old  # type: ignore[union-attr]


def test_windows_path_tails(tmp_path: Path) -> None:
    """A Windows path yields its whole relative path and the part below the first folder."""
    found = _candidates("D:\\Slooh\\M42\\Tel\\FITS\\a.fit", [tmp_path])
    assert found == [tmp_path / "Slooh" / "M42" / "Tel" / "FITS" / "a.fit",
                     tmp_path / "M42" / "Tel" / "FITS" / "a.fit"]  # fmt: skip
    assert _candidates("D:\\..\\..\\etc\\passwd", [tmp_path])[0] == tmp_path / "etc" / "passwd"


@pytest.mark.parametrize("content", ["{not json", "[]", '{"images": []}'])
def test_not_a_legacy_tracker(tmp_path: Path, tracker: Tracker, content: str) -> None:
    """Malformed or foreign JSON is refused with a UsageError naming the file."""
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match="bad.json"):
        import_legacy(tracker, path)


def test_missing_legacy_file(tmp_path: Path, tracker: Tracker) -> None:
    """A legacy path that does not exist is a UsageError."""
    with pytest.raises(UsageError, match="cannot read"):
        import_legacy(tracker, tmp_path / "nope.json")


def test_move_without_a_destination_keeps_the_file(tmp_path: Path, tracker: Tracker) -> None:
    """When no new-layout path can be built, the file stays, is recorded, and it is reported."""
    old = tmp_path / "old" / "M1" / "a.png"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"12345")
    legacy = write_legacy(tmp_path / "legacy.json", {"1:png": legacy_png("D:\\Slooh\\M1\\a.png")})

    def refuse(row: ImageRow) -> Path:
        raise PathError("path too long")

    report = import_legacy(tracker, legacy, search_roots=[tmp_path / "old"], move_to=refuse)
    assert report.moved == 0 and old.exists()
    assert report.problems == ["17375714: no place in the new layout, not moved: path too long"]
    assert tracker.get(M1_PNG).path == old  # type: ignore[union-attr]
