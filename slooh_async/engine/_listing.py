"""The producer side of a run: list pictures and FITS frames, plan them, queue the jobs.

Incremental sync rests on the photoRoll being newest first: once a whole page is already in
the library (pictures done, their missions' FITS listed) and no earlier failure is waiting to
be seen again, the rest is in the library too, and listing stops. That shortcut is only
taken when the tracker says the last complete sync left no gaps (``needs_full_scan``).

A dead session answers ``getMissionFITS`` with an empty list, like a mission without FITS.
An empty answer is therefore only believed once a later answer of the same login had
content (sessions never come back to life), or after a final one-picture check.
"""

from __future__ import annotations

import logging
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import anyio
from anyio.abc import ObjectSendStream
from pydantic import ValidationError

from .._exceptions import ServiceError
from ..api import Picture, SloohClient
from ..tracker import ImageRecord, ImageRow, Tracker
from ._planning import DownloadJob, DownloadRequest, PagePlan, Planner, picture_from_record
from ._progress import ProgressSink
from ._summary import RunSummary

__all__ = ["Lister"]

log = logging.getLogger("slooh_async.listing")

#: the lister's output: each planned page's jobs, in order
_Pages = ObjectSendStream[list[DownloadJob]]


_CHECKED_BATCH = 25
#: last_error prefix of failed pictures a complete listing did not show any more
GONE = "gone:"
#: a mission this recent may still get its FITS files: an empty list is not final yet
_FITS_SETTLE = timedelta(days=3)


class _MissionIndex:
    """``fitsIsAvailable`` per mission, read lazily from the paged mission list.

    One getMissionImages page answers for 50 missions, where getMissionFITS answers for
    one: missions that say they have no FITS are not asked. Unknown missions (not in the
    list, or no flag) are asked directly.
    """

    def __init__(self, client: SloohClient, batch_size: int) -> None:
        self._pages = client.iter_missions(batch_size)
        self._known: dict[int, bool | None] = {}
        self._exhausted = False

    async def fits_available(self, mission_id: int) -> bool | None:
        while mission_id not in self._known and not self._exhausted:
            try:
                mission = await anext(self._pages)
            except StopAsyncIteration:
                self._exhausted = True
                break
            except (ServiceError, ValidationError) as exc:
                # only an optimisation: without the list, every mission is asked directly
                log.info("mission list unavailable (%s); asking each mission for FITS", exc)
                self._exhausted = True
                break
            if mission.mission_id:
                self._known[mission.mission_id] = mission.fits_available
        return self._known.get(mission_id)

    async def aclose(self) -> None:
        await self._pages.aclose()


@dataclass(frozen=True)
class _Unconfirmed:
    """A mission whose FITS list came back empty, not yet proven genuine."""

    mission_id: int
    parent: Picture
    generation: int
    sequence: int


@dataclass
class Lister:
    """Lists what a run covers and sends planned jobs to the workers."""

    client: SloohClient
    tracker: Tracker
    planner: Planner
    request: DownloadRequest
    summary: RunSummary
    progress: ProgressSink
    batch_size: int = 50
    incremental: bool = True
    _missions_done: set[int] = field(default_factory=set)
    _index: _MissionIndex | None = None
    _unconfirmed: list[_Unconfirmed] = field(default_factory=list)
    _checked: list[tuple[int, int]] = field(default_factory=list)

    async def run(self, send: _Pages) -> None:
        """List everything the request covers, sending each planned page's jobs to ``send``;
        True in ``summary.complete_scan`` if all was listed."""
        self._index = _MissionIndex(self.client, self.batch_size)
        try:
            await self._list(send)
            await self._settle_unconfirmed(send)
        finally:
            with anyio.CancelScope(shield=True):
                await self._index.aclose()
                await self._flush_checked()

    async def _list(self, send: _Pages) -> None:
        outstanding = await anyio.to_thread.run_sync(self.tracker.outstanding)
        retrying = self.request.only_keys is not None
        if retrying:
            outstanding = [r for r in outstanding if r.key in (self.request.only_keys or ())]
        waiting = {
            r.key
            for r in outstanding
            if r.kind != "fits" and (retrying or not (r.last_error or "").startswith(GONE))
        }
        fits_records = {r.mission_id: r for r in outstanding if r.kind == "fits" and r.mission_id}
        if retrying:  # FITS frames are found through their missions, no scan needed
            await self._fits_of_records(fits_records, send)
        if not retrying or waiting:
            self.summary.complete_scan = await self._scan(send, waiting, fits_records)
            if self.summary.complete_scan and waiting and not self.request.filtered:
                await self._mark_gone(waiting)
        if not retrying and not self.request.mission_id:
            await self._fits_of_records(fits_records, send)

    async def _mark_gone(self, keys: set[str]) -> None:
        """Pictures waiting for a retry that a whole listing no longer shows: Slooh removed
        them. They stay failed, but no longer make every sync list the whole photo roll."""
        rows = [
            ImageRow(key=key, status="failed", error=f"{GONE} not listed by Slooh any more")
            for key in sorted(keys)
        ]
        log.info("%d failed picture(s) are no longer listed by Slooh", len(rows))
        if not self.request.dry_run:
            await anyio.to_thread.run_sync(self.tracker.record_batch, rows)

    async def _fits_of_records(self, records: dict[int, ImageRecord], send: _Pages) -> None:
        for mission_id, record in records.items():
            if mission_id not in self._missions_done:
                await self._mission_fits(mission_id, picture_from_record(record), send)

    async def _scan(
        self,
        send: _Pages,
        waiting: set[str],
        fits_records: dict[int, ImageRecord],
    ) -> bool:
        """List pictures page by page; True when the listing ran to its natural end."""
        incremental = self.incremental and not self.request.filtered
        retrying = self.request.only_keys is not None
        pages = self.client.iter_picture_pages(
            self.batch_size,
            self.request.mission_id or 0,
            self.request.start,
            on_page=self.progress.listing,
        )
        async with aclosing(pages):
            async for page in pages:
                plan = await self._plan(page, send)
                if self._limit_reached():
                    return False
                checked = retrying or await self._missions_of(page, send, fits_records)
                waiting.difference_update(p.key for p in page)
                if retrying and not waiting:
                    return False
                if self.request.since and all(self.request.older_than_since(p) for p in page):
                    return False
                if incremental and plan.all_done and checked and not waiting:
                    log.info("a whole page was downloaded before: the rest is in the library")
                    return True
        return True

    async def _missions_of(
        self,
        page: list[Picture],
        send: _Pages,
        fits_records: dict[int, ImageRecord],
    ) -> bool:
        """List FITS of the page's missions not handled before; True if none was new."""
        if self.request.fits == "without":
            return True
        parents: dict[int, Picture] = {}
        for picture in page:
            mission = picture.mission_id
            if not mission or mission in self._missions_done:
                continue
            if self.request.wants_fits_of(picture):
                parents.setdefault(mission, picture)
        if not parents:
            return True
        checked = await anyio.to_thread.run_sync(self.tracker.fits_checked, list(parents))
        relist = bool(self.request.mission_id) or self.request.redownload_all
        queued = self.summary.queued
        for mission_id, parent in parents.items():
            self._missions_done.add(mission_id)
            if mission_id in checked and mission_id not in fits_records and not relist:
                continue
            if self._index and await self._index.fits_available(mission_id) is False:
                await self._fits_listed(mission_id, 0, parent)
                continue
            await self._mission_fits(mission_id, parent, send)
        return self.summary.queued == queued

    async def _mission_fits(
        self,
        mission_id: int,
        parent: Picture,
        send: _Pages,
        *,
        verify_empty: bool = False,
    ) -> None:
        self._missions_done.add(mission_id)
        frames = [
            frame
            async for frame in self.client.iter_mission_fits(
                mission_id, parent, verify_empty=verify_empty
            )
        ]
        if frames or verify_empty:
            if frames:
                await self._plan(frames, send)
            await self._fits_listed(mission_id, len(frames), parent)
        else:
            _, sequence = self.client.liveness()
            self._unconfirmed.append(
                _Unconfirmed(mission_id, parent, self.client.session_generation, sequence)
            )
        await self._confirm_empty()

    async def _confirm_empty(self) -> None:
        """Empty FITS answers followed by content from the same login were genuine."""
        generation, sequence = self.client.liveness()
        for item in list(self._unconfirmed):
            if item.generation == generation and sequence > item.sequence:
                self._unconfirmed.remove(item)
                await self._fits_listed(item.mission_id, 0, item.parent)

    async def _settle_unconfirmed(self, send: _Pages) -> None:
        """Check the session once for the empty answers left; list again what was doubtful."""
        if not self._unconfirmed:
            return
        generation = self.client.session_generation
        alive = await self.client.confirm_session()
        doubtful, self._unconfirmed = self._unconfirmed, []
        for item in doubtful:
            if alive and item.generation == generation:
                await self._fits_listed(item.mission_id, 0, item.parent)
            else:
                await self._mission_fits(item.mission_id, item.parent, send, verify_empty=True)

    async def _fits_listed(self, mission_id: int, count: int, parent: Picture) -> None:
        """Remember (in batches) that a mission's FITS were listed and planned.

        A recent mission without FITS is asked again next time: they may still come.
        """
        if self.request.dry_run or self._limit_reached():
            return
        when = parent.observed_at
        if count == 0 and when is not None and datetime.now(UTC) - when < _FITS_SETTLE:
            return
        self._checked.append((mission_id, count))
        if len(self._checked) >= _CHECKED_BATCH:
            await self._flush_checked()

    async def _flush_checked(self) -> None:
        checked, self._checked = self._checked, []
        if checked:
            await anyio.to_thread.run_sync(self.tracker.set_fits_checked_many, checked)

    # ------------------------------------------------------------------ planning

    async def _plan(self, pictures: list[Picture], send: _Pages) -> PagePlan:
        plan = await anyio.to_thread.run_sync(self.planner.plan, pictures)
        self._count(plan)
        jobs: list[DownloadJob] = []
        for job in plan.jobs:
            if self._limit_reached():
                break
            self.summary.queued += 1
            if self.request.dry_run:
                self.summary.planned.append(job)
            else:
                jobs.append(job)
        if jobs:
            await send.send(jobs)
        return plan

    def _count(self, plan: PagePlan) -> None:
        summary = self.summary
        summary.total_available += plan.matched
        for picture, error in plan.failures:
            summary.failed += 1
            summary.failures.append({"key": picture.key, "file": picture.filename, "error": error})
            self.progress.file_failed(-1, picture.filename, error)
        for skip in plan.skips:
            if skip.reason == "tracked":
                summary.already_downloaded += 1
            else:
                summary.skipped_existing += 1
        queued = len(plan.jobs)
        if self.request.limit is not None:
            queued = max(0, min(queued, self.request.limit - summary.queued))
        self.progress.planned(queued, len(plan.skips))

    def _limit_reached(self) -> bool:
        return self.request.limit is not None and self.summary.queued >= self.request.limit
