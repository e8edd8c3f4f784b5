"""The engine: listing feeds a bounded stream, N workers download, the tracker remembers.

One task group owns every task: the producer (the lister and what it hands over), ``threads``
workers, the tracker writer and the signal watcher. The first Ctrl-C/SIGTERM (Ctrl-Break on
Windows) stops the listing, lets downloads in flight finish for up to ``grace`` seconds (then
cancels them, keeping their ``.part``), flushes the tracker and ends the run as interrupted; a
second signal ends the process at once, after saving what the tracker has not yet written
and calling ``on_quit`` (the session ends interrupted, the terminal is restored).

The pipeline records (through the writer) and reports (through events); the summary counts
the events like any other sink.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream

from .._exceptions import DownloadError, SloohError, StorageError
from ..api import Picture, SloohClient
from ..tracker import ImageRow, Tracker
from ._events import (
    EventSink,
    Fanout,
    FileDone,
    FileFailed,
    FileProgress,
    FileStarted,
    ListingEnded,
    Notice,
    NullSink,
)
from ._headers import with_fits_header
from ._listing import Known, Lister
from ._planning import DownloadJob, DownloadRequest, Planner
from ._producer import Producer
from ._signals import open_stop_signals
from ._storage import Fetcher, FetchResult
from ._summary import RunSummary

__all__ = ["Pipeline"]

log = logging.getLogger("slooh_async.pipeline")

_FLUSH_ROWS = 32
#: planned pages buffered between the lister and the job stream (50 jobs a page by default)
PAGES_AHEAD = 2
_FLUSH_SECONDS = 0.5
#: on a second Ctrl-C, how long saving the tracker and ``on_quit`` may take before the exit
QUIT_SECONDS = 1.5


class _ResultWriter:
    """Batches tracker rows: one transaction per ~32 files or half a second.

    The transaction runs in the writer's own task (:meth:`run`), so the worker whose file
    filled the batch goes on downloading instead of waiting for SQLite.
    """

    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker
        self._rows: list[ImageRow] = []
        self._since = time.monotonic()
        self._lock = anyio.Lock()
        self._due = anyio.Event()

    async def add(self, row: ImageRow) -> None:
        self._rows.append(row)
        if len(self._rows) >= _FLUSH_ROWS or time.monotonic() - self._since >= _FLUSH_SECONDS:
            self._due.set()

    async def run(self, on_error: Callable[[SloohError], None]) -> None:
        """Flush whenever a batch is due, until cancelled (the run's end flushes the rest);
        a tracker that cannot be written stops the run through ``on_error``."""
        while True:
            await self._due.wait()
            self._due = anyio.Event()
            try:
                await self.flush()
            except SloohError as exc:
                on_error(exc)
                return

    def take(self) -> list[ImageRow]:
        """The rows not yet written, now the caller's to record."""
        rows, self._rows = self._rows, []
        return rows

    async def flush(self) -> None:
        with anyio.CancelScope(shield=True):
            async with self._lock:
                rows, self._rows = self._rows, []
                self._since = time.monotonic()
                if rows:
                    await anyio.to_thread.run_sync(self._tracker.record_batch, rows)


@dataclass
class Pipeline:
    """One download run: a client, a tracker, a planner, and a fetcher per worker."""

    client: SloohClient
    tracker: Tracker
    planner: Planner
    fetcher: Fetcher
    request: DownloadRequest
    threads: int = 4
    batch_size: int = 50
    queue_size: int = 8
    events: EventSink = field(default_factory=NullSink)
    handle_signals: bool = False
    incremental: bool = True
    grace: float = 2.0
    summary: RunSummary = field(default_factory=RunSummary)
    #: called in a worker thread, for at most :data:`QUIT_SECONDS`, just before a second
    #: signal ends the process (the runner ends the session, the CLI restores the terminal)
    on_quit: Callable[[], None] | None = None
    _stopping: anyio.Event = field(default_factory=anyio.Event)
    _inflight: dict[int, anyio.CancelScope] = field(default_factory=dict)
    _drained: anyio.Event = field(default_factory=anyio.Event)
    _fatal: BaseException | None = None

    def __post_init__(self) -> None:
        self.summary.dry_run = self.request.dry_run
        self.summary.session_id = self.planner.session_id
        self._sink = Fanout((self.summary, self.events))
        self._emit = self._sink.emit
        self._writer = _ResultWriter(self.tracker)

    async def run(self) -> RunSummary:
        """Run to the end (or to an interruption); the summary says what happened."""
        started = time.monotonic()
        writer = self._writer
        send, receive = anyio.create_memory_object_stream[DownloadJob](self.queue_size)
        try:
            async with anyio.create_task_group() as tg:
                if self.handle_signals:
                    tg.start_soon(self._watch_signals, tg)
                tg.start_soon(writer.run, self._fail_run)
                async with anyio.create_task_group() as workers:
                    workers.start_soon(self._produce, send)
                    for number in range(self.threads):
                        workers.start_soon(self._work, number, receive.clone(), writer)
                    receive.close()
                tg.cancel_scope.cancel()  # the signal watcher and the writer are all that is left
        finally:
            await writer.flush()
            self.summary.elapsed_seconds = time.monotonic() - started
        self.summary.fatal = self._fatal
        self.summary.listed = self.planner.listed
        self.summary.telescopes = sorted(self.planner.telescopes)
        return self.summary

    # ------------------------------------------------------------------ stopping

    def stop(self) -> None:
        """Stop taking new work; downloads in flight get ``grace`` seconds to finish."""
        self._stopping.set()

    async def _watch_signals(self, tg: anyio.abc.TaskGroup) -> None:
        with open_stop_signals() as signals:
            async for signum in signals:
                if self.summary.interrupted:
                    await self._quit_now()
                self.summary.interrupted = True
                self._emit(
                    Notice(
                        f"{signal.Signals(signum).name}: stopping; finishing downloads in "
                        "flight (press Ctrl-C again to quit at once)",
                        "warning",
                        stopping=True,
                    )
                )
                self.stop()
                tg.start_soon(self._cancel_inflight_after_grace)

    async def _quit_now(self) -> NoReturn:
        """End the process at once, saving what can be saved within :data:`QUIT_SECONDS`:
        files already in place reach the tracker, then ``on_quit`` runs."""
        log.info("second interrupt: exiting now")  # the notice below says it on screen
        self._emit(Notice("interrupted again: quitting now", "warning"))
        rows = self._writer.take()

        def save() -> None:
            if rows:
                self.tracker.record_batch(rows)
            if self.on_quit is not None:
                self.on_quit()

        with anyio.move_on_after(QUIT_SECONDS, shield=True):
            try:
                await anyio.to_thread.run_sync(save, abandon_on_cancel=True)
            except Exception as exc:  # the process ends anyway; say why the state may lag
                log.warning("could not save everything before quitting: %s", exc)
        os._exit(130)

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
        """List (and plan, record, report) while a feeder hands the planned pages' jobs to
        the workers: the next page is listed while the workers drain this one."""
        pages, planned = anyio.create_memory_object_stream[list[DownloadJob]](PAGES_AHEAD)
        producer = Producer(
            self.planner,
            self.tracker,
            self._sink,
            pages,
            limit=self.request.limit,
        )
        async with anyio.create_task_group() as feeding:
            feeding.start_soon(_feed, planned, send)
            async with pages:
                with anyio.CancelScope() as scope:
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(_cancel_when, self._stopping, scope)
                        try:
                            await self._list(producer)
                        except SloohError as exc:
                            self._fail_run(exc)
                        finally:
                            tg.cancel_scope.cancel()

    async def _list(self, producer: Producer) -> None:
        known = await anyio.to_thread.run_sync(self._known)
        lister = Lister(
            self.client,
            self.request,
            producer,
            known,
            batch_size=self.batch_size,
            incremental=self.incremental,
        )
        try:
            complete = await lister.run()
        finally:
            with anyio.CancelScope(shield=True):
                await producer.flush()
        self._emit(ListingEnded(complete, lister.reason))

    def _known(self) -> Known:
        return Known(self.tracker.outstanding(), self.tracker.checked_missions())

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
        picture, emit = job.picture, self._emit
        emit(FileStarted(number, picture.key, picture.filename, job.dest))
        try:
            result = await self.fetcher.fetch(
                picture.url,
                job.dest,
                resume=job.resume,
                mtime=picture.observed_at,
                final=lambda: self.planner.final_path(job),
                on_progress=lambda done, total: emit(FileProgress(number, done, total)),
                key=picture.key,
            )
        except DownloadError as exc:
            error = str(exc)
            emit(FileFailed(number, picture.key, picture.filename, error, job.dest, exc.attempts))
            await writer.add(
                ImageRow.from_picture(
                    picture,
                    status="failed",
                    path=job.dest,
                    error=error,
                    attempts=exc.attempts,
                    session_id=self.planner.session_id,
                )
            )
            return
        emit(
            FileDone(
                number, picture.key, picture.filename, result.path, result.size, result.attempts
            )
        )
        await writer.add(await self._done_row(picture, result))

    async def _done_row(self, picture: Picture, result: FetchResult) -> ImageRow:
        """The row of a file now in place; a FITS frame's carries its header, read in a
        worker thread (shielded: the row must reach the writer even when the grace period
        after Ctrl-C ends right now). An unreadable header is a warning, not a failure."""
        row = ImageRow.from_picture(
            picture,
            status="done",
            path=result.path,
            size=result.size,
            hash=result.hash,
            hash_algorithm=result.hash_algorithm,
            attempts=result.attempts,
            session_id=self.planner.session_id,
        )
        if not row.is_fits:
            return row
        with anyio.CancelScope(shield=True):
            row = await anyio.to_thread.run_sync(with_fits_header, row)
        if isinstance(row.fits_header, str):
            kept = f"{picture.filename}: {row.fits_header} (the file is kept)"
            self._emit(Notice(kept, "warning"))
        return row


async def _feed(
    pages: ObjectReceiveStream[list[DownloadJob]], send: ObjectSendStream[DownloadJob]
) -> None:
    """Pass each planned page's jobs, in order, to the workers' bounded stream, until the
    pages end or the workers stop taking jobs (then the lister finds the buffer closed)."""
    async with send, pages:
        try:
            async for jobs in pages:
                for job in jobs:
                    await send.send(job)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return


async def _cancel_when(event: anyio.Event, scope: anyio.CancelScope) -> None:
    await event.wait()
    scope.cancel()
