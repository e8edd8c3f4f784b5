"""From listed pictures to download jobs: filters, tracker checks, destinations, clashes.

``Planner.plan`` is synchronous (tracker queries, ``stat`` calls, pure path rules) and the
pipeline runs it in a worker thread once per page, so the event loop never waits on the disk.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..api import Picture
from ..config import DownloadSettings
from ..organizer import FileOrganizer, PathError, part_path, path_identity, unique_path
from ..tracker import ImageRecord, ImageRow, ImageStatus, Tracker
from ._placement import Placement, look
from ._request import DownloadRequest


def picture_from_record(record: ImageRecord | ImageRow) -> Picture:
    """The picture a tracker record describes (to place it, or to parent a mission's FITS)."""
    when = record.observed_at
    image_id = record.image_id
    if image_id is None and record.kind == "picture" and record.key.isdigit():
        image_id = int(record.key)  # an id too large for SQLite lives on in the key
    return Picture.model_validate(
        {
            "imageId": image_id,
            "scheduledMissionId": record.mission_id,
            "imageTitle": record.title,
            "imageDownloadURL": record.url,
            "imageDownloadFilename": record.filename,
            "telescopeName": record.telescope,
            "instrumentName": record.instrument,
            "displayDate": when.strftime("%Y-%m-%d") if when else None,
            "displayTime": when.strftime("%H:%M:%S UTC") if when else None,
            "kind": record.kind,
            "position": record.position,
        }
    )


__all__ = ["DownloadJob", "DownloadRequest", "PagePlan", "Planner", "Skip", "picture_from_record"]

log = logging.getLogger("slooh_async.planning")

#: last_error prefix `slooh verify --fix` leaves: the file on disk is bad, replace it
VERIFY_MARK = "verify:"


@dataclass(frozen=True)
class DownloadJob:
    """One file to fetch: the picture, where it goes, and how to treat what is there."""

    picture: Picture
    dest: Path
    resume: bool = True
    overwrite: bool = False


@dataclass(frozen=True)
class Skip:
    """A listed file that is not downloaded, and why (``size``: of the file found there)."""

    picture: Picture
    reason: Literal["tracked", "exists"]
    path: Path | None = None
    size: int | None = None


@dataclass
class PagePlan:
    """The outcome of planning one page."""

    jobs: list[DownloadJob] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    failures: list[tuple[Picture, str]] = field(default_factory=list)
    matched: int = 0
    all_done: bool = True
    records: list[ImageRow] = field(default_factory=list)
    pending: list[ImageRow] = field(default_factory=list)


@dataclass
class Planner:
    """Decides, for each listed picture, whether and where to download it."""

    tracker: Tracker
    organizer: FileOrganizer
    settings: DownloadSettings
    request: DownloadRequest
    session_id: int | None = None
    #: paths given out in this run, compared as Windows and macOS do (case, Unicode form)
    claimed: dict[str, str] = field(default_factory=dict)
    planned_keys: set[str] = field(default_factory=set)
    #: what the listing showed, filters aside: how many files, on which telescopes (so the
    #: CLI can say "no mission 123 in your account" or name the telescopes a filter missed)
    listed: int = 0
    telescopes: set[str] = field(default_factory=set)
    _owners: dict[Path, str | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._placement = Placement(self.organizer)

    def plan(self, pictures: Sequence[Picture]) -> PagePlan:
        """Plan one page: skip what is tracked or on disk, place the rest.

        Nothing is written: the plan carries the rows to record (``records``: files adopted
        or failed; ``pending``: files queued, so a crash leaves their paths known).
        """
        self.listed += len(pictures)
        self.telescopes.update(p.telescope for p in pictures if p.telescope)
        records = self.tracker.records([p.key for p in pictures])
        plan = PagePlan()
        plan.all_done = all(
            (rec := records.get(p.key)) is not None and rec.status == "done" for p in pictures
        )
        exists_rows: list[ImageRow] = []
        todo: list[tuple[Picture, ImageRecord | None]] = []
        for picture in pictures:
            if not self._wanted(picture, plan):
                continue
            record = records.get(picture.key)
            if self._tracked(record):
                plan.skips.append(Skip(picture, "tracked", record.path if record else None))
            elif problem := picture.download_problem:  # a malformed item fails alone
                plan.failures.append((picture, problem))
            else:
                todo.append((picture, record))
        wanted = self._destinations(todo, plan)
        for picture, record in todo:
            if picture.key not in wanted:
                continue
            try:
                outcome = self._place(picture, record, wanted[picture.key])
            except _UNPLACEABLE as exc:
                plan.failures.append((picture, _one_line(exc)))
                continue
            if isinstance(outcome, Skip):
                plan.skips.append(outcome)
                exists_rows.append(self._row(picture, "done", outcome.path, size=outcome.size))
            else:
                plan.jobs.append(outcome)
        plan.records = exists_rows + [
            self._row(p, "failed", None, error=error) for p, error in plan.failures
        ]
        plan.pending = [self._row(j.picture, "pending", j.dest) for j in plan.jobs]
        return plan

    def _wanted(self, picture: Picture, plan: PagePlan) -> bool:
        """Whether a listed picture is planned in this run: it passes the filters and was not
        planned before. A picture whose fields cannot even be matched fails alone."""
        try:
            if not self.request.matches(picture) or picture.key in self.planned_keys:
                return False
        except _UNPLACEABLE as exc:
            plan.failures.append((picture, _one_line(exc)))
            return False
        plan.matched += 1
        self.planned_keys.add(picture.key)
        return True

    def final_path(self, job: DownloadJob) -> Path:
        """Where the finished file goes: its destination, unless a stranger took it meanwhile.

        A job that does not overwrite was planned where no file was, so any file there now
        is a stranger's (the tracker names this job's key as the owner: it was marked pending).
        """
        if job.overwrite or not job.dest.exists():
            return job.dest
        return unique_path(
            job.dest, lambda p: p.exists() or (p != job.dest and self._is_claimed(p))
        )

    def _tracked(self, record: ImageRecord | None) -> bool:
        return (
            record is not None
            and record.status == "done"
            and self.settings.check_tracker
            and not self.request.redownload_all
        )

    def _destinations(
        self, todo: list[tuple[Picture, ImageRecord | None]], plan: PagePlan
    ) -> dict[str, tuple[Path, os.stat_result | None]]:
        """Each picture's destination with its ``lstat`` (the placement's link check took it),
        and the owners of those paths in one tracker query."""
        wanted: dict[str, tuple[Path, os.stat_result | None]] = {}
        for picture, _ in todo:
            try:
                wanted[picture.key] = self._placement.locate(picture)
            except _UNPLACEABLE as exc:
                plan.failures.append((picture, _one_line(exc)))
        known = [record.path for _, record in todo if record and record.path]
        paths = [*(path for path, _ in wanted.values()), *known]
        paths += [part_path(path) for path in paths]  # a finished file may bear a part's name
        self._owners = dict.fromkeys(paths, None) | self.tracker.path_owners(paths)
        return wanted

    def _place(
        self,
        picture: Picture,
        record: ImageRecord | None,
        wanted: tuple[Path, os.stat_result | None],
    ) -> DownloadJob | Skip:
        """Where ``picture`` goes; each path is looked at once (``found``: what is there)."""
        dest, found = wanted
        if record and record.path and record.path != dest:
            # our .part (resume) or our file (a clash's `name (1).ext`, a crash before the row
            # was written, --all, an older layout) is there: deal with it where it is
            there = look(record.path)
            if there is not None or part_path(record.path).exists():
                dest, found = record.path, there
        owner = self._owner(dest)
        if self._is_claimed(dest) or not self._free_for(dest, picture.key, owner):
            return self._claim(picture, self._free(dest, picture.key), resume=False)
        if found is not None and stat.S_ISLNK(found.st_mode):
            found = look(dest)  # a link inside the library: what it points to counts
        if found is None:
            return self._claim(picture, dest, resume=owner == picture.key)
        if owner == picture.key:
            return self._own_file(picture, record, dest, found.st_size)
        return self._foreign_file(picture, dest, found.st_size)

    def _own_file(
        self, picture: Picture, record: ImageRecord | None, dest: Path, size: int
    ) -> DownloadJob | Skip:
        """Our own file (of ``size`` bytes) is at ``dest``: replace it when asked to, else
        adopt it.

        A failed attempt never moves a file into place, so the file of a failed record is not
        one we finished: a bad file whose repair failed, or a stranger's we meant to replace.
        """
        replace = self.request.redownload_all or (
            record is not None
            and (
                record.status == "failed"
                or (record.last_error or "").startswith(VERIFY_MARK)
                or (record.size is not None and record.size != size)
            )
        )
        if replace:
            return self._claim(picture, dest, resume=False, overwrite=True)
        # a file is only ever moved into place complete: a crash lost the tracker row, not bytes
        self._claim_path(dest, picture.key)
        return Skip(picture, "exists", dest, size)

    def _foreign_file(self, picture: Picture, dest: Path, size: int) -> DownloadJob | Skip:
        """A file the tracker does not know is at ``dest``: ``handle_duplicates`` decides."""
        policy = self.settings.handle_duplicates
        if policy == "skip" and self.settings.skip_existing:
            self._claim_path(dest, picture.key)
            return Skip(picture, "exists", dest, size)
        if policy == "rename":
            return self._claim(picture, self._free(dest, picture.key), resume=False)
        return self._claim(picture, dest, resume=False, overwrite=True)

    def _claim(
        self, picture: Picture, dest: Path, *, resume: bool, overwrite: bool = False
    ) -> DownloadJob:
        self._claim_path(dest, picture.key)
        return DownloadJob(picture, dest, resume=resume, overwrite=overwrite)

    def _is_claimed(self, path: Path) -> bool:
        return path_identity(path) in self.claimed

    def _claim_path(self, path: Path, key: str) -> None:
        self.claimed[path_identity(path)] = key

    def _owner(self, path: Path) -> str | None:
        if path in self._owners:  # asked for the whole page at once
            return self._owners[path]
        return self.tracker.path_owners([path]).get(path)

    def _free_for(self, dest: Path, key: str, owner: str | None) -> bool:
        """Whether ``dest`` may be ``key``'s: no other key owns it, nor its ``.part`` name (a
        finished file recorded under a part's name, which a download would take for its own
        partial and overwrite)."""
        return owner in (None, key) and self._owner(part_path(dest)) in (None, key)

    def _free(self, dest: Path, key: str) -> Path:
        def taken(candidate: Path) -> bool:
            return (
                self._is_claimed(candidate)
                or candidate.exists()
                or part_path(candidate).exists()
                or not self._free_for(candidate, key, self._owner(candidate))
            )

        return unique_path(dest, taken)

    def _row(
        self,
        picture: Picture,
        status: ImageStatus,
        path: Path | None,
        *,
        size: int | None = None,
        error: str | None = None,
    ) -> ImageRow:
        return ImageRow.from_picture(
            picture,
            status=status,
            path=path,
            size=size,
            error=error,
            attempts=1 if error else 0,
            session_id=self.session_id,
        )


#: what makes one picture unplaceable without stopping the run: a path the organizer cannot
#: fit, a disk check that fails, a symlink loop (RuntimeError), a value that does not parse
_UNPLACEABLE = (PathError, OSError, RuntimeError, ValueError, OverflowError)


def _one_line(exc: BaseException) -> str:
    """An error as one line (a recorded reason is shown in tables and exports)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
