"""Planner: filters, tracker checks, destinations, clashes, adoption; nothing but the tracker."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import pytest

from slooh_async.api import Picture
from slooh_async.config import DownloadSettings, FolderSettings
from slooh_async.engine import (
    VERIFY_MARK,
    DownloadJob,
    DownloadRequest,
    NullSink,
    PagePlan,
    Placement,
    Planner,
    Producer,
    Skip,
    picture_from_record,
)
from slooh_async.organizer import FileOrganizer, part_path
from slooh_async.tracker import ImageRow, Tracker

NAME = "m42_20260121_011658_0_iycarr_l.png"


def picture(
    image_id: int | None = 1,
    name: str = NAME,
    *,
    title: str = "Orion Nebula (M42)",
    telescope: str = "Chile One",
    day: str | None = "Jan. 21, 2026",
    clock: str | None = "01:16:58 UTC",
    mission: int = 500,
    **extra: Any,
) -> Picture:
    """A listed picture as getMyPictures gives it (a FITS frame with ``kind="fits"``)."""
    return Picture.model_validate(
        {
            "imageId": image_id,
            "scheduledMissionId": mission,
            "imageTitle": title,
            "imageDownloadURL": f"https://polaris.example/chile/1/{name}?rand=17.5",
            "telescopeName": telescope,
            "instrumentName": "High Mag",
            "displayDate": day,
            "displayTime": clock,
            **extra,
        }
    )


@dataclass
class Recording:
    """A planner whose ``plan`` also writes the plan's rows, as during a run."""

    planner: Planner
    producer: Producer

    def plan(self, pictures: list[Picture]) -> PagePlan:
        return self.producer.plan_and_record(pictures)[0]

    def final_path(self, job: DownloadJob) -> Path:
        return self.planner.final_path(job)


@dataclass
class Library:
    """A library folder, its tracker and its organizer."""

    base: Path
    tracker: Tracker
    organizer: FileOrganizer

    def planner(self, request: DownloadRequest | None = None, **download: Any) -> Recording:
        """A fresh planner (one run) with these download settings; its plans are recorded
        in the tracker as a run's producer records them."""
        planner = Planner(
            self.tracker,
            self.organizer,
            DownloadSettings(**download),
            request or DownloadRequest(),
            session_id=None,
        )
        return Recording(planner, Producer(planner, self.tracker, NullSink(), None))

    def dest(self, item: Picture) -> Path:
        return Placement(self.organizer).get_destination_path(item)

    def record(self, item: Picture, status: Any, path: Path | None, **fields: Any) -> None:
        self.tracker.record_batch([ImageRow.from_picture(item, status=status, path=path, **fields)])

    def pending(self, item: Picture, path: Path) -> None:
        self.tracker.mark_pending([ImageRow.from_picture(item, status="pending", path=path)])


def write(path: Path, data: bytes = b"x" * 100) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def numbered(path: Path, number: int) -> Path:
    return path.with_name(f"{path.stem} ({number}){path.suffix}")


def only_job(outcome: Any) -> DownloadJob:
    assert not outcome.skips and not outcome.failures
    (job,) = outcome.jobs
    assert isinstance(job, DownloadJob)
    return job


def only_skip(outcome: Any) -> Skip:
    assert not outcome.jobs and not outcome.failures
    (skip,) = outcome.skips
    assert isinstance(skip, Skip)
    return skip


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[Library]:
    base = tmp_path / "lib"
    tracker = Tracker.open(tmp_path / "tracker.sqlite3", base_path=base, lock=False)
    try:
        yield Library(base, tracker, FileOrganizer(FolderSettings(base_path=base)))
    finally:
        tracker.close()


# ---------------------------------------------------------------------- new pictures


def test_new_picture_goes_to_the_organizer_path_and_is_pending_first(lib: Library) -> None:
    """A new picture is planned at its organizer path and marked pending there before queueing."""
    item = picture()
    job = only_job(lib.planner().plan([item]))
    assert job.dest == lib.dest(item) and not job.overwrite and not job.resume
    record = lib.tracker.get(item.key)
    assert record is not None and (record.status, record.path) == ("pending", job.dest)


def test_dry_run_writes_nothing(lib: Library) -> None:
    """--dry-run plans jobs, skips and failures but leaves the tracker untouched."""
    fresh, on_disk = picture(1), picture(2, "m42_20260121_011658_0_other_l.png")
    write(lib.dest(on_disk))
    outcome = lib.planner(DownloadRequest(dry_run=True)).plan([fresh, on_disk])
    assert [j.picture.key for j in outcome.jobs] == ["1"]
    assert [s.reason for s in outcome.skips] == ["exists"]
    assert lib.tracker.count() == 0


def test_a_picture_listed_twice_in_a_run_is_planned_once(lib: Library) -> None:
    """Pages that shift during a scan repeat a picture: the second sighting is ignored."""
    planner = lib.planner()
    assert len(planner.plan([picture()]).jobs) == 1
    again = planner.plan([picture()])
    assert again.matched == 0 and not again.jobs and not again.skips


def test_all_done_only_when_every_listed_picture_is_done(lib: Library) -> None:
    """PagePlan.all_done (the incremental stop) needs a done record for every listed picture."""
    done, fresh = picture(1), picture(2, "m42_20260121_011658_0_other_l.png")
    lib.record(done, "done", write(lib.dest(done)), size=100)
    assert lib.planner().plan([done]).all_done
    assert not lib.planner().plan([done, fresh]).all_done


# ---------------------------------------------------------------------- the tracker


def test_done_record_is_skipped_as_tracked(lib: Library) -> None:
    """A picture the tracker records as done is skipped as "tracked", without a disk check."""
    item = picture()
    lib.record(item, "done", lib.dest(item), size=100)  # no file: not even looked at
    skip = only_skip(lib.planner().plan([item]))
    assert (skip.reason, skip.path) == ("tracked", lib.dest(item))


@pytest.mark.parametrize(
    ("request_", "download"),
    [(DownloadRequest(redownload_all=True), {}), (DownloadRequest(), {"check_tracker": False})],
    ids=["--all", "check_tracker=false"],
)
def test_done_record_is_planned_again_with_all_or_without_tracker_check(
    lib: Library, request_: DownloadRequest, download: dict[str, Any]
) -> None:
    """--all and check_tracker=false look again at done pictures whose file is missing."""
    item = picture()
    lib.record(item, "done", lib.dest(item), size=100)
    job = only_job(lib.planner(request_, **download).plan([item]))
    assert job.dest == lib.dest(item)


def test_all_replaces_its_own_file_in_place(lib: Library) -> None:
    """--all downloads a done picture again over its own file (overwrite, no resume)."""
    item = picture()
    lib.record(item, "done", write(lib.dest(item)), size=100)
    job = only_job(lib.planner(DownloadRequest(redownload_all=True)).plan([item]))
    assert (job.dest, job.overwrite, job.resume) == (lib.dest(item), True, False)


def test_all_reuses_the_old_path_when_the_old_file_is_there(lib: Library) -> None:
    """--all after a template change overwrites the file where it is, not a second copy."""
    item = picture()
    old = write(lib.base / "old layout" / item.filename)
    lib.record(item, "done", old, size=100)
    job = only_job(lib.planner(DownloadRequest(redownload_all=True)).plan([item]))
    assert (job.dest, job.overwrite) == (old, True)


def test_resume_keeps_the_earlier_planned_path_with_its_part(lib: Library) -> None:
    """A .part at the record's earlier path is resumed there, even if the layout changed."""
    item = picture()
    old = lib.base / "old layout" / item.filename
    write(part_path(old), b"half")
    lib.pending(item, old)
    job = only_job(lib.planner().plan([item]))
    assert (job.dest, job.resume, job.overwrite) == (old, True, False)


def test_resume_at_the_organizer_path_of_a_pending_record(lib: Library) -> None:
    """The record's own .part at the organizer path is resumed (resume=True)."""
    item = picture()
    write(part_path(lib.dest(item)), b"half")
    lib.pending(item, lib.dest(item))
    job = only_job(lib.planner().plan([item]))
    assert (job.dest, job.resume) == (lib.dest(item), True)


def test_earlier_path_without_part_or_file_gives_way_to_the_organizer_path(lib: Library) -> None:
    """A pending record whose old path holds nothing is planned at today's organizer path."""
    item = picture()
    lib.pending(item, lib.base / "old layout" / item.filename)
    job = only_job(lib.planner().plan([item]))
    assert job.dest == lib.dest(item)
    record = lib.tracker.get(item.key)
    assert record is not None and record.path == lib.dest(item)


# ---------------------------------------------------------------------- clashes


def test_clash_within_a_run_gets_a_numbered_name(lib: Library) -> None:
    """Two pictures with the same destination: the second is saved as ``name (1).ext``."""
    first, second = picture(1), picture(2)
    planner = lib.planner()
    (a,) = planner.plan([first]).jobs
    (b,) = planner.plan([second]).jobs
    assert a.dest == lib.dest(first) and b.dest == numbered(lib.dest(first), 1)


def test_clash_is_found_whatever_the_case(lib: Library) -> None:
    """Paths differing only in case are one file on Windows and macOS: the second is renamed."""
    upper, lower = picture(1, NAME.upper().replace(".PNG", ".png")), picture(2)
    assert str(lib.dest(upper)).casefold() == str(lib.dest(lower)).casefold()
    outcome = lib.planner().plan([upper, lower])
    assert [j.dest for j in outcome.jobs] == [lib.dest(upper), numbered(lib.dest(lower), 1)]


def test_path_owned_by_another_key_in_the_tracker_is_never_clobbered(lib: Library) -> None:
    """A destination another picture owns (even without its file yet) gives ``name (1).ext``."""
    owner, newcomer = picture(1), picture(2)
    lib.pending(owner, lib.dest(owner))
    job = only_job(lib.planner().plan([newcomer]))
    assert job.dest == numbered(lib.dest(owner), 1) and not job.overwrite


def test_numbered_name_skips_files_and_parts_already_there(lib: Library) -> None:
    """``name (1)`` taken by a stranger's file and ``name (2)`` by a .part: ``name (3)``."""
    owner, newcomer = picture(1), picture(2)
    dest = lib.dest(owner)
    lib.pending(owner, dest)
    write(numbered(dest, 1))
    write(part_path(numbered(dest, 2)))
    assert only_job(lib.planner().plan([newcomer])).dest == numbered(dest, 3)


# ---------------------------------------------------------------------- files already there


def test_own_file_is_adopted_after_a_crash(lib: Library) -> None:
    """A pending picture whose file is in place (moved complete, row lost) becomes done."""
    item = picture()
    dest = write(lib.dest(item), b"y" * 321)
    lib.pending(item, dest)
    skip = only_skip(lib.planner().plan([item]))
    assert (skip.reason, skip.path) == ("exists", dest)
    record = lib.tracker.get(item.key)
    assert record is not None and (record.status, record.path, record.size) == ("done", dest, 321)


def test_own_file_marked_by_verify_fix_is_replaced(lib: Library) -> None:
    """``slooh verify --fix`` marks a bad file: the next run downloads it again over it."""
    item = picture()
    dest = write(lib.dest(item))
    lib.record(item, "done", dest, size=100)
    lib.tracker.mark_for_redownload([item.key], reason=f"{VERIFY_MARK} sha256 mismatch")
    job = only_job(lib.planner().plan([item]))
    assert (job.dest, job.overwrite, job.resume) == (dest, True, False)


def test_own_file_of_another_size_is_replaced(lib: Library) -> None:
    """A file whose size differs from the recorded one is downloaded again over it."""
    item = picture()
    dest = write(lib.dest(item), b"short")
    lib.record(item, "done", dest, size=100)
    job = only_job(lib.planner(check_tracker=False).plan([item]))
    assert (job.dest, job.overwrite) == (dest, True)


def test_own_file_of_the_recorded_size_is_kept_without_tracker_check(lib: Library) -> None:
    """check_tracker=false keeps a done picture's file that is in place with its size."""
    item = picture()
    dest = write(lib.dest(item))
    lib.record(item, "done", dest, size=100)
    assert only_skip(lib.planner(check_tracker=False).plan([item])).reason == "exists"


@pytest.mark.parametrize(
    ("download", "expected"),
    [
        ({"handle_duplicates": "skip"}, "skip"),
        ({"handle_duplicates": "skip", "skip_existing": False}, "replace"),
        ({"handle_duplicates": "overwrite"}, "replace"),
        ({"handle_duplicates": "rename"}, "rename"),
    ],
)
def test_unknown_file_at_the_destination_follows_handle_duplicates(
    lib: Library, download: dict[str, Any], expected: str
) -> None:
    """A file nobody owns: skip (recorded done), replace it, or save as ``name (1).ext``."""
    item = picture()
    dest = write(lib.dest(item), b"s" * 77)
    outcome = lib.planner(**download).plan([item])
    record = lib.tracker.get(item.key)
    assert record is not None
    if expected == "skip":
        assert only_skip(outcome).path == dest
        assert (record.status, record.path, record.size) == ("done", dest, 77)
        return
    job = only_job(outcome)
    assert record.status == "pending" and record.path == job.dest
    if expected == "replace":
        assert (job.dest, job.overwrite) == (dest, True)
    else:
        assert (job.dest, job.overwrite) == (numbered(dest, 1), False)
    assert dest.read_bytes() == b"s" * 77  # planning never touches a file


def test_unknown_file_skipped_later_in_the_run_is_claimed(lib: Library) -> None:
    """A stranger's file adopted for one picture is not given to another in the same run."""
    first, second = picture(1), picture(2)
    write(lib.dest(first))
    outcome = lib.planner().plan([first, second])
    assert [s.picture.key for s in outcome.skips] == ["1"]
    assert [j.dest for j in outcome.jobs] == [numbered(lib.dest(first), 1)]


def looks_at(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[str]:
    """The ``os.stat``/``os.lstat`` calls on ``path`` from here on, by name."""
    calls: list[str] = []
    for name in ("stat", "lstat"):
        real = getattr(os, name)

        def spy(target: Any, *args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            if isinstance(target, str | os.PathLike) and os.fspath(target) == str(path):
                calls.append(_name)
            return _real(target, *args, **kw)

        monkeypatch.setattr(os, name, spy)
    return calls


@pytest.mark.parametrize("owner", ["own", "stranger"])
def test_a_file_found_in_place_is_looked_at_once(
    lib: Library, monkeypatch: pytest.MonkeyPatch, owner: str
) -> None:
    """Adopting a file on disk takes one lstat of it (the link check's): the skip carries the
    size the row records and the size check compares."""
    item = picture()
    dest = write(lib.dest(item), b"y" * 321)
    if owner == "own":
        lib.record(item, "done", dest, size=321)
    planner = lib.planner(check_tracker=False)
    calls = looks_at(monkeypatch, dest)
    skip = only_skip(planner.plan([item]))
    monkeypatch.undo()
    assert calls == ["lstat"]
    assert (skip.reason, skip.path, skip.size) == ("exists", dest, 321)
    record = lib.tracker.get(item.key)
    assert record is not None and (record.status, record.size) == ("done", 321)


def test_a_link_in_the_library_is_sized_by_what_it_points_to(lib: Library) -> None:
    """A destination that is a link to a file inside the library: that file's size counts."""
    item = picture()
    target = write(lib.base / "elsewhere" / "real.png", b"z" * 55)
    dest = lib.dest(item)
    dest.parent.mkdir(parents=True)
    dest.symlink_to(target)
    skip = only_skip(lib.planner().plan([item]))
    assert (skip.path, skip.size) == (dest, 55)
    record = lib.tracker.get(item.key)
    assert record is not None and record.size == 55 and target.read_bytes() == b"z" * 55


# ---------------------------------------------------------------------- failures


def test_unplaceable_picture_fails_alone_and_is_recorded(lib: Library, tmp_path: Path) -> None:
    """A picture without a safe path (a link out of the library) fails; the page goes on."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    lib.base.mkdir()
    (lib.base / "M42").symlink_to(elsewhere)
    trapped = picture(1)
    fine = picture(2, "m1_20260121_011658_0_abcdef_l.png", title="Crab Nebula (M1)")
    outcome = lib.planner().plan([trapped, fine])
    assert [j.picture.key for j in outcome.jobs] == ["2"]
    ((failed, error),) = outcome.failures
    assert failed.key == "1" and "outside" in error
    record = lib.tracker.get("1")
    assert record is not None and record.status == "failed" and record.attempts == 1
    assert record.last_error == error


# ---------------------------------------------------------------------- final path


def test_final_path_moves_aside_for_a_stranger_that_appeared(lib: Library) -> None:
    """A file that appears at the destination while downloading is kept: ``name (1).ext``."""
    item = picture()
    planner = lib.planner()
    job = only_job(planner.plan([item]))
    assert planner.final_path(job) == job.dest
    write(job.dest, b"stranger")
    assert planner.final_path(job) == numbered(job.dest, 1)
    assert job.dest.read_bytes() == b"stranger"


def test_final_path_keeps_the_destination_of_a_replacement(lib: Library) -> None:
    """An overwrite job (--all over its own file) keeps its destination."""
    item = picture()
    dest = write(lib.dest(item))
    lib.record(item, "done", dest, size=100)
    planner = lib.planner(DownloadRequest(redownload_all=True))
    job = only_job(planner.plan([item]))
    assert planner.final_path(job) == dest


# ---------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("request_", "matches"),
    [
        (DownloadRequest(telescope="chile"), True),
        (DownloadRequest(telescope="ONE"), True),
        (DownloadRequest(telescope="Canary"), False),
        (DownloadRequest(object="orion"), True),
        (DownloadRequest(object="m 42"), True),
        (DownloadRequest(object="Messier 42"), True),
        (DownloadRequest(object="M42"), True),
        (DownloadRequest(object="Messier 43"), False),
        (DownloadRequest(object="Crab"), False),
        (DownloadRequest(format="png"), True),
        (DownloadRequest(format="PNG"), True),
        (DownloadRequest(format="fits"), False),
        (DownloadRequest(format="jpeg"), False),
        (DownloadRequest(since=date(2026, 1, 21)), True),
        (DownloadRequest(since=date(2026, 1, 22)), False),
        (DownloadRequest(until=date(2026, 1, 21)), True),
        (DownloadRequest(until=date(2026, 1, 20)), False),
        (DownloadRequest(since=date(2026, 1, 1), until=date(2026, 1, 31)), True),
        (DownloadRequest(only_keys=frozenset({"1"})), True),
        (DownloadRequest(only_keys=frozenset({"2"})), False),
        (DownloadRequest(only_keys=frozenset()), False),
        (DownloadRequest(fits="with"), True),
        (DownloadRequest(fits="without"), True),
        (DownloadRequest(fits="only"), False),
    ],
)
def test_request_matches_a_picture(request_: DownloadRequest, matches: bool) -> None:
    """Telescope and title are substrings, designations match however written, dates inclusive."""
    assert request_.matches(picture(1)) is matches


@pytest.mark.parametrize(
    ("query", "title", "matches"),
    [
        ("M1", "Crab Nebula (M1)", True),
        ("M1", "Great Hercules Cluster (M13)", False),
        ("M1", "Pinwheel Galaxy (M101)", False),
        ("NGC 1976", "Orion Nebula (M42)", True),
        ("Caldwell 109", "Caldwell 109 (NGC 3195)", True),
        ("hercules", "Great Hercules Cluster (M13)", True),
    ],
)
def test_object_designations_match_exactly(query: str, title: str, matches: bool) -> None:
    """--object M1 means M1, not M13 or M101; cross-catalog names of one object match."""
    assert DownloadRequest(object=query).matches(picture(1, title=title)) is matches


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("x.jpg", "jpeg"), ("x.jpeg", "jpg"), ("x.fit", "fits"), ("x.fits", "fits"), ("x.png", "png"),
     ("x.fts", "fts"), ("x.fit", "fts")],
)  # fmt: skip
def test_format_filter_knows_every_spelling(name: str, fmt: str) -> None:
    """--format jpg and jpeg are one format; .fit, .fits and .fts are FITS (the filter spells
    formats as file names do: api.format_of)."""
    assert DownloadRequest(format=fmt).matches(picture(1, name))
    assert DownloadRequest(format=fmt).wants_fits_of(picture(1, name)) is (fmt in ("fits", "fts"))


def test_fits_modes_choose_frames_or_pictures() -> None:
    """--fits-only keeps only FITS frames, --no-fits only pictures; the default both."""
    frame = picture(None, "m42_20260121_011658_0_iycarr_l_cal.fit", kind="fits")
    plain = picture(1)
    modes: list[tuple[Literal["with", "without", "only"], set[bool]]] = [
        ("with", {True, False}),
        ("without", {False}),
        ("only", {True}),
    ]
    for mode, wanted in modes:
        request = DownloadRequest(fits=mode)
        assert {p.kind == "fits" for p in (frame, plain) if request.matches(p)} == wanted


def test_undated_pictures_never_pass_a_date_filter() -> None:
    """A picture without any date passes no --since/--until, but passes when none is given."""
    undated = picture(1, "untitled.png", day=None, clock=None)
    assert undated.observed_at is None
    assert DownloadRequest().matches(undated)
    assert not DownloadRequest(since=date(2000, 1, 1)).matches(undated)
    assert not DownloadRequest(until=date(2100, 1, 1)).matches(undated)
    assert not DownloadRequest(since=date(2000, 1, 1)).older_than_since(undated)


@pytest.mark.parametrize(
    ("request_", "wanted"),
    [
        (DownloadRequest(), True),
        (DownloadRequest(fits="only"), True),
        (DownloadRequest(fits="without"), False),
        (DownloadRequest(format="fits"), True),
        (DownloadRequest(format="png"), False),
        (DownloadRequest(telescope="chile"), True),
        (DownloadRequest(telescope="canary"), False),
        (DownloadRequest(object="m 42"), True),
        (DownloadRequest(object="M1"), False),
        (DownloadRequest(since=date(2026, 2, 1)), False),
        (DownloadRequest(until=date(2026, 2, 1)), True),
    ],
)
def test_wants_fits_of_a_mission(request_: DownloadRequest, wanted: bool) -> None:
    """A mission's FITS are listed only when its frames could pass the filters (PNG parent)."""
    assert request_.wants_fits_of(picture(1)) is wanted


def test_filtered_runs_are_told_apart() -> None:
    """Any filter or limit makes a run partial (no incremental stop, no sync mark)."""
    assert not DownloadRequest().filtered
    assert not DownloadRequest(redownload_all=True, dry_run=True).filtered
    assert not DownloadRequest(fits="without").filtered  # every picture, FITS apart
    for request in (
        DownloadRequest(object="M42"),
        DownloadRequest(limit=3),
        DownloadRequest(start=2),
        DownloadRequest(fits="only"),
        DownloadRequest(mission_id=7),
        DownloadRequest(only_keys=frozenset()),
    ):
        assert request.filtered


# ---------------------------------------------------------------------- records back to pictures


@pytest.mark.parametrize(
    "item",
    [
        picture(17375714, mission=3996220, position=12),
        picture(None, "m42_20260121_011658_0_iycarr_b_cal.fit", kind="fits", mission=3996220),
        picture(5, "untitled.png", day=None, clock=None),
    ],
    ids=["picture", "fits", "undated"],
)
def test_picture_from_record_round_trip(lib: Library, item: Picture) -> None:
    """A tracker record gives back the picture's key, metadata and destination."""
    lib.record(item, "done", lib.dest(item), size=1)
    record = lib.tracker.get(item.key)
    assert record is not None
    again = picture_from_record(record)
    assert again.key == item.key
    for name in ("mission_id", "title", "telescope", "instrument", "filename", "kind"):
        assert getattr(again, name) == getattr(item, name), name
    assert (again.observed_at, again.position) == (item.observed_at, item.position)
    assert lib.dest(again) == lib.dest(item)


def test_picture_from_record_keeps_the_time_to_the_second() -> None:
    """The observation time survives the record's ISO text, to the second, in UTC."""
    item = picture(1, day="Sept. 7, 2026", clock="23:59:59 UTC")
    assert item.observed_at == datetime(2026, 9, 7, 23, 59, 59, tzinfo=UTC)
    row = ImageRow.from_picture(item, status="done")
    again = picture_from_record(row)
    assert again.observed_at == item.observed_at


# ---------------------------------------------------------------------- regressions


def test_renamed_file_in_place_after_a_crash_is_adopted_not_fetched_again(lib: Library) -> None:
    """A clash-renamed ``name (1).ext`` moved into place before a crash is adopted next run."""
    first, second = picture(1), picture(2)
    planner = lib.planner()
    a, b = planner.plan([first, second]).jobs
    assert b.dest == numbered(a.dest, 1)
    lib.record(first, "done", write(a.dest), size=100)
    write(b.dest)  # moved into place; the crash lost its tracker row: still pending
    outcome = lib.planner().plan([first, second])
    assert not outcome.jobs
    assert [(s.reason, s.path) for s in outcome.skips] == [
        ("tracked", a.dest),
        ("exists", b.dest),
    ]
    assert not numbered(a.dest, 2).exists()


def test_renamed_file_is_checked_where_it_is_without_tracker_check(lib: Library) -> None:
    """check_tracker=false: a done ``name (1).ext`` is kept, and a stranger's file at
    ``name.ext`` is never adopted in its place."""
    item = picture(2)
    stranger = write(lib.dest(item), b"stranger")  # how final_path came to rename it
    own = write(numbered(lib.dest(item), 1))
    lib.record(item, "done", own, size=100)
    skip = only_skip(lib.planner(check_tracker=False).plan([item]))
    assert (skip.reason, skip.path) == ("exists", own)
    record = lib.tracker.get(item.key)
    assert record is not None and record.path == own
    assert stranger.read_bytes() == b"stranger"


def test_failed_repair_of_a_bad_file_is_tried_again_not_adopted(lib: Library) -> None:
    """A verify-marked file whose re-download failed is still replaced by the next run."""
    item = picture()
    dest = write(lib.dest(item), b"bad" + b"x" * 97)  # right size, wrong bytes
    lib.record(item, "done", dest, size=100)
    lib.tracker.mark_for_redownload([item.key], reason=f"{VERIFY_MARK} sha256 mismatch")
    job = only_job(lib.planner().plan([item]))
    lib.record(item, "failed", job.dest, error="HTTP 503 (gave up after 4 tries)", attempts=4)
    again = only_job(lib.planner().plan([item]))
    assert (again.dest, again.overwrite) == (dest, True)


def test_stranger_file_whose_overwrite_failed_is_not_adopted(lib: Library) -> None:
    """handle_duplicates=overwrite that failed: the stranger's file is not taken as ours."""
    item = picture()
    dest = write(lib.dest(item), b"stranger")
    job = only_job(lib.planner(handle_duplicates="overwrite").plan([item]))
    lib.record(item, "failed", job.dest, error="HTTP 500", attempts=1)
    again = only_job(lib.planner(handle_duplicates="overwrite").plan([item]))
    assert (again.dest, again.overwrite) == (dest, True)


def test_destination_that_cannot_be_checked_fails_the_picture_alone(lib: Library) -> None:
    """An OSError probing the disk (here: a name too long) fails that picture, not the run."""
    item, fine = picture(1), picture(2, "m1_20260121_011658_0_abcdef_l.png", title="M1")
    lib.base.mkdir()
    lib.pending(item, lib.base / ("é" * 200) / item.filename)
    with pytest.raises(OSError) as probe:
        (lib.base / ("é" * 200)).exists()
    assert probe.value.errno == errno.ENAMETOOLONG
    outcome = lib.planner().plan([item, fine])
    assert [j.picture.key for j in outcome.jobs] == ["2"]
    assert [p.key for p, _ in outcome.failures] == ["1"]
    record = lib.tracker.get("1")
    assert record is not None and record.status == "failed"
