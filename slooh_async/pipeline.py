"""The engine: listing feeds a bounded stream, N workers download, the tracker remembers.

One task group owns every task: the producer (listing + planning), ``threads`` workers, and the
signal watcher. The first Ctrl-C/SIGTERM stops the listing, lets downloads in flight finish
for up to ``grace`` seconds (then cancels them, keeping their ``.part``), flushes the tracker
and ends the run as interrupted; a second signal exits at once.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream

from ._exceptions import DownloadError, SloohError, StorageError
from .api import Picture, SloohClient
from .planning import DownloadJob, DownloadRequest, PagePlan, Planner, picture_from_record
from .progress import NullProgress, ProgressSink
from .storage import Fetcher
from .tracker import ImageRecord, ImageRow, ImageStatus, Tracker

__all__ = ["Pipeline", "RunSummary"]

log = logging.getLogger("slooh_async.pipeline")

_FLUSH_ROWS = 32
_FLUSH_SECONDS = 0.5


@dataclass
class RunSummary:
    """What a run did; ``to_json`` is the ``--json`` output."""

    total_available: int = 0
    already_downloaded: int = 0
    skipped_existing: int = 0
    queued: int = 0
    downloaded: int = 0
    failed: int = 0
    total_bytes: int = 0
    elapsed_seconds: float = 0.0
    interrupted: bool = False
    dry_run: bool = False
    complete_scan: bool = False
    session_id: int | None = None
    failures: list[dict[str, str]] = field(default_factory=list)
    planned: list[DownloadJob] = field(default_factory=list)
    error: str | None = None
    fatal: BaseException | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The public summary keys, plus failures (key, file, error) and run flags."""
        return {
            "total_available": self.total_available,
            "already_downloaded": self.already_downloaded,
            "skipped_existing": self.skipped_existing,
            "queued": self.queued,
            "downloaded": self.downloaded,
            "failed": self.failed,
            "total_bytes": self.total_bytes,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "interrupted": self.interrupted,
            "dry_run": self.dry_run,
            "session_id": self.session_id,
            "failures": self.failures,
            "error": self.error,
        }


class _ResultWriter:
    """Batches tracker rows: one transaction per ~32 files or half a second."""

    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker
        self._rows: list[ImageRow] = []
        self._since = time.monotonic()
        self._lock = anyio.Lock()

    async def add(self, row: ImageRow) -> None:
        self._rows.append(row)
        if len(self._rows) >= _FLUSH_ROWS or time.monotonic() - self._since >= _FLUSH_SECONDS:
            await self.flush()

    async def flush(self) -> None:
        with anyio.CancelScope(shield=True):
            async with self._lock:
                rows, self._rows = self._rows, []
                self._since = time.monotonic()
                if rows:
                    await anyio.to_thread.run_sync(self._tracker.record_batch, rows)


@dataclass
class Pipeline:
    """One download run over a client, a tracker, an organizer's planner and a fetcher."""

    client: SloohClient
    tracker: Tracker
    planner: Planner
    fetcher: Fetcher
    request: DownloadRequest
    threads: int = 4
    batch_size: int = 50
    queue_size: int = 8
    progress: ProgressSink = field(default_factory=NullProgress)
    handle_signals: bool = False
    incremental: bool = True
    grace: float = 2.0
    summary: RunSummary = field(default_factory=RunSummary)
    _stopping: anyio.Event = field(default_factory=anyio.Event)
    _inflight: dict[int, anyio.CancelScope] = field(default_factory=dict)
    _drained: anyio.Event = field(default_factory=anyio.Event)
    _fatal: BaseException | None = None

    async def run(self) -> RunSummary:
        """Run to the end (or to an interruption); the summary says what happened."""
        started = time.monotonic()
        self.summary.dry_run = self.request.dry_run
        self.summary.session_id = self.planner.session_id
        writer = _ResultWriter(self.tracker)
        send, receive = anyio.create_memory_object_stream[DownloadJob](self.queue_size)
        self.progress.start()
        try:
            async with anyio.create_task_group() as tg:
                if self.handle_signals:
                    tg.start_soon(self._watch_signals, tg)
                workers = anyio.create_task_group()
                async with workers:
                    workers.start_soon(self._produce, send)
                    for number in range(self.threads):
                        workers.start_soon(self._work, number, receive.clone(), writer)
                    receive.close()
                tg.cancel_scope.cancel()  # the signal watcher is all that is left
        finally:
            await writer.flush()
            self.progress.stop()
            self.summary.elapsed_seconds = time.monotonic() - started
        self.summary.fatal = self._fatal
        return self.summary

    # ------------------------------------------------------------------ stopping

    def stop(self) -> None:
        """Stop taking new work; downloads in flight get ``grace`` seconds to finish."""
        if self._stopping.is_set():
            return
        self._stopping.set()

    async def _watch_signals(self, tg: anyio.abc.TaskGroup) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                if self.summary.interrupted:
                    log.warning("second interrupt: exiting now")
                    os._exit(130)
                self.summary.interrupted = True
                self.progress.note(
                    f"{signal.Signals(signum).name}: stopping; finishing downloads in flight "
                    f"(press Ctrl-C again to quit at once)"
                )
                self.stop()
                tg.start_soon(self._cancel_inflight_after_grace)

    async def _cancel_inflight_after_grace(self) -> None:
        if self._inflight:
            with anyio.move_on_after(self.grace):
                await self._drained.wait()
        for scope in list(self._inflight.values()):
            scope.cancel()

    def _fail_run(self, exc: BaseException) -> None:
        if self._fatal is None:
            self._fatal = exc
            self.summary.error = str(exc)
        self.stop()

    # ------------------------------------------------------------------ producer

    async def _produce(self, send: ObjectSendStream[DownloadJob]) -> None:
        async with send:
            with anyio.CancelScope() as scope:
                stopper = _cancel_when(self._stopping, scope)
                async with anyio.create_task_group() as tg:
                    tg.start_soon(stopper)
                    try:
                        await self._list_everything(send)
                    except SloohError as exc:
                        self._fail_run(exc)
                    finally:
                        tg.cancel_scope.cancel()

    async def _list_everything(self, send: ObjectSendStream[DownloadJob]) -> None:
        outstanding = await anyio.to_thread.run_sync(self.tracker.outstanding)
        if self.request.only_keys is not None:
            outstanding = [r for r in outstanding if r.key in self.request.only_keys]
        waiting_pictures = {r.key for r in outstanding if r.kind != "fits"}
        fits_records = {r.mission_id: r for r in outstanding if r.kind == "fits" and r.mission_id}
        missions_done: set[int] = set()
        scan_pictures = self.request.only_keys is None or bool(waiting_pictures)
        if self.request.only_keys is not None and not self.request.mission_id:
            # retry: FITS frames are found through their missions, no scan needed
            for mission_id, record in fits_records.items():
                await self._mission_fits(
                    mission_id, picture_from_record(record), send, missions_done
                )
        if scan_pictures:
            complete = await self._scan(send, waiting_pictures, fits_records, missions_done)
            self.summary.complete_scan = complete
        if self.request.only_keys is None:
            for mission_id, record in fits_records.items():
                if mission_id not in missions_done:
                    await self._mission_fits(
                        mission_id, picture_from_record(record), send, missions_done
                    )

    async def _scan(
        self,
        send: ObjectSendStream[DownloadJob],
        waiting: set[str],
        fits_records: dict[int, ImageRecord],
        missions_done: set[int],
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
                checked = retrying or await self._missions_of(
                    page, send, fits_records, missions_done
                )
                waiting.difference_update(p.key for p in page)
                if retrying and not waiting:
                    return False
                if self.request.since and all(self.request.older_than_since(p) for p in page):
                    return False
                if incremental and plan.all_done and checked and not waiting:
                    log.info("page fully downloaded before: the rest is already in the library")
                    return True
        return True

    async def _missions_of(
        self,
        page: list[Picture],
        send: ObjectSendStream[DownloadJob],
        fits_records: dict[int, ImageRecord],
        missions_done: set[int],
    ) -> bool:
        """List FITS of the page's missions not handled before; True if all were handled."""
        if self.request.fits == "without":
            return True
        parents: dict[int, Picture] = {}
        for picture in page:
            mission = picture.mission_id
            if mission and mission not in missions_done and self.request.wants_fits_of(picture):
                parents.setdefault(mission, picture)
        if not parents:
            return True
        checked = await anyio.to_thread.run_sync(self.tracker.fits_checked, list(parents))
        all_checked = True
        for mission_id, parent in parents.items():
            relist = self.request.mission_id or self.request.redownload_all
            if mission_id in checked and mission_id not in fits_records and not relist:
                missions_done.add(mission_id)
                continue
            all_checked = False
            await self._mission_fits(mission_id, parent, send, missions_done)
        return all_checked

    async def _mission_fits(
        self,
        mission_id: int,
        parent: Picture,
        send: ObjectSendStream[DownloadJob],
        missions_done: set[int],
    ) -> None:
        missions_done.add(mission_id)
        frames = [f async for f in self.client.iter_mission_fits(mission_id, parent)]
        if frames:
            await self._plan(frames, send)
        if not self.request.dry_run and not self._limit_reached():
            await anyio.to_thread.run_sync(self.tracker.set_fits_checked, mission_id, len(frames))

    async def _plan(self, pictures: list[Picture], send: ObjectSendStream[DownloadJob]) -> PagePlan:
        plan = await anyio.to_thread.run_sync(self.planner.plan, pictures)
        self._count(plan)
        for job in plan.jobs:
            if self._limit_reached():
                break
            self.summary.queued += 1
            if self.request.dry_run:
                self.summary.planned.append(job)
            else:
                await send.send(job)
        return plan

    def _count(self, plan: PagePlan) -> None:
        self.summary.total_available += plan.matched
        for picture, error in plan.failures:
            self.summary.failed += 1
            self.summary.failures.append(
                {"key": picture.key, "file": picture.filename, "error": error}
            )
            self.progress.file_failed(-1, picture.filename, error)
        for skip in plan.skips:
            if skip.reason == "tracked":
                self.summary.already_downloaded += 1
            else:
                self.summary.skipped_existing += 1
        queued = len(plan.jobs)
        if self.request.limit is not None:
            queued = max(0, min(queued, self.request.limit - self.summary.queued))
        self.progress.planned(queued, len(plan.skips))

    def _limit_reached(self) -> bool:
        return self.request.limit is not None and self.summary.queued >= self.request.limit

    # ------------------------------------------------------------------ workers

    async def _work(
        self, number: int, receive: ObjectReceiveStream[DownloadJob], writer: _ResultWriter
    ) -> None:
        async with receive:
            async for job in receive:
                if self._stopping.is_set():
                    return
                with anyio.CancelScope() as scope:
                    self._inflight[number] = scope
                    try:
                        await self._download(number, job, writer)
                    except StorageError as exc:
                        self._fail_run(exc)
                    finally:
                        self._inflight.pop(number, None)
                        if self._stopping.is_set() and not self._inflight:
                            self._drained.set()

    async def _download(self, number: int, job: DownloadJob, writer: _ResultWriter) -> None:
        picture = job.picture
        self.progress.file_started(number, picture.filename)
        try:
            result = await self.fetcher.fetch(
                picture.url,
                job.dest,
                resume=job.resume,
                mtime=picture.observed_at,
                final=lambda: self.planner.final_path(job),
                on_progress=lambda done, total: self.progress.file_progress(number, done, total),
            )
        except DownloadError as exc:
            self.summary.failed += 1
            self.summary.failures.append(
                {"key": picture.key, "file": picture.filename, "error": str(exc)}
            )
            self.progress.file_failed(number, picture.filename, str(exc))
            await writer.add(self._row(picture, "failed", job, error=str(exc), attempts=1))
            return
        self.summary.downloaded += 1
        self.summary.total_bytes += result.size
        self.progress.file_done(number, picture.filename, result.size)
        await writer.add(
            ImageRow.from_picture(
                picture,
                status="done",
                path=result.path,
                size=result.size,
                hash=result.hash,
                hash_algorithm=result.hash_algorithm,
                attempts=result.attempts,
                session_id=self.planner.session_id,
            )
        )

    def _row(
        self, picture: Picture, status: ImageStatus, job: DownloadJob, *, error: str, attempts: int
    ) -> ImageRow:
        return ImageRow.from_picture(
            picture,
            status=status,
            path=job.dest,
            error=error,
            attempts=attempts,
            session_id=self.planner.session_id,
        )


def _cancel_when(event: anyio.Event, scope: anyio.CancelScope) -> Callable[[], Any]:
    async def waiter() -> None:
        await event.wait()
        scope.cancel()

    return waiter
