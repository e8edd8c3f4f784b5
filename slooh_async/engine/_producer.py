"""The producer side of a run: what the lister finds is planned, recorded, reported, queued.

:class:`Producer` is the lister's :class:`~._listing.ListingSink`. For each batch it runs the
planner and writes the plan's rows in one worker-thread trip (pending rows before any
download starts, so a crash leaves the tracker knowing what was in flight), emits one
``planned`` event per file, and hands the jobs to the workers' stream. A dry run records
nothing and queues nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import anyio
from anyio.abc import ObjectSendStream

from ..api import PageInfo, Picture
from ..organizer import part_path
from ..tracker import ImageRow, Tracker
from ._events import EventSink, FilePlanned, ListingPage, Notice
from ._headers import with_fits_header
from ._listing import GONE, Outcome
from ._planning import DownloadJob, PagePlan, Planner

__all__ = ["Producer"]

#: missions whose FITS listing is handled, written to the tracker this many at a time
_CHECKED_BATCH = 25


@dataclass
class Producer:
    """Plans, records and reports each batch the lister finds; queues its jobs."""

    planner: Planner
    tracker: Tracker
    events: EventSink
    jobs: ObjectSendStream[list[DownloadJob]] | None
    limit: int | None = None
    queued: int = 0
    _checked: list[tuple[int, int]] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        return self.planner.request.dry_run

    async def found(self, pictures: list[Picture]) -> Outcome:
        """Plan a batch (and record it) in one thread trip, report it, queue its jobs."""
        plan, resumable = await anyio.to_thread.run_sync(self.plan_and_record, pictures)
        jobs = plan.jobs[: self._room()]
        self._report(plan, jobs, resumable)
        self.queued += len(jobs)
        if jobs and self.jobs is not None and not self.dry_run:
            await self.jobs.send(jobs)
        stop = self.limit is not None and self.queued >= self.limit
        return Outcome(all_done=plan.all_done, queued=len(jobs), stop=stop)

    def _room(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.queued)

    def plan_and_record(self, pictures: list[Picture]) -> tuple[PagePlan, set[str]]:
        """Decide, then write what was decided (not in a dry run); in a worker thread. Also
        returns, for a dry run, the keys whose download would resume a part."""
        plan = self.planner.plan(pictures)
        if self.dry_run:  # say which queued files would resume a part already there
            parts = {j.picture.key for j in plan.jobs if j.resume and part_path(j.dest).exists()}
            return plan, parts
        if plan.records:
            # files adopted from disk bring their FITS headers, as downloaded ones do
            self.tracker.record_batch([with_fits_header(row) for row in plan.records])
        if plan.pending:
            self.tracker.mark_pending(plan.pending)
        return plan, set()

    def _report(self, plan: PagePlan, jobs: list[DownloadJob], resumable: set[str]) -> None:
        emit = self.events.emit
        for skip in plan.skips:
            shown = skip.picture
            emit(FilePlanned(shown.key, shown.filename, skip.reason, skip.path, picture=shown))
        for picture, error in plan.failures:
            emit(FilePlanned(picture.key, picture.filename, "failed", error=error, picture=picture))
        for job in jobs:
            picture = job.picture
            note = "replace" if job.overwrite else "resume" if picture.key in resumable else None
            emit(
                FilePlanned(
                    picture.key, picture.filename, "download", job.dest, note=note, picture=picture
                )
            )

    async def mission_listed(self, mission_id: int, count: int) -> None:
        """Remember, in batches, that a mission's FITS were listed and planned."""
        if self.dry_run:
            return
        self._checked.append((mission_id, count))
        if len(self._checked) >= _CHECKED_BATCH:
            await self.flush()

    async def gone(self, keys: Sequence[str]) -> None:
        """Failed pictures Slooh no longer lists stay failed, marked so that they no longer
        make every sync list the whole photo roll."""
        if self.dry_run:
            return
        rows = [
            ImageRow(key=key, status="failed", error=f"{GONE} not listed by Slooh any more")
            for key in keys
        ]
        await anyio.to_thread.run_sync(self.tracker.record_batch, rows)

    def page(self, info: PageInfo) -> None:
        self.events.emit(ListingPage(info.what, info.page, info.pages, info.items, info.total))

    def warn(self, message: str) -> None:
        self.events.emit(Notice(message, "warning"))

    async def flush(self) -> None:
        """Write the missions handled since the last batch."""
        checked, self._checked = self._checked, []
        if checked:
            await anyio.to_thread.run_sync(self.tracker.set_fits_checked_many, checked)
