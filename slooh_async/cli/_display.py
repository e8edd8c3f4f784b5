"""What the user sees while a run goes: a Rich live display, plain log lines, or nothing.

Each display is an event sink of the engine (:mod:`slooh_async.engine`'s events); the command
chooses one: Rich on a terminal, :class:`LogProgress` without one (CI, cron, pipes),
:class:`NullProgress` for ``--quiet`` and ``--json``. Updates only touch counters; Rich
redraws at most 10 times a second from its own thread, so the display never slows downloads.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from ..engine import (
    Event,
    FileDone,
    FileFailed,
    FilePlanned,
    FileProgress,
    FileStarted,
    ListingPage,
    Notice,
)
from ._common import human_bytes

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live
    from rich.progress import Progress, TaskID

__all__ = ["LogProgress", "NullProgress", "RichProgress", "human_bytes"]

log = logging.getLogger("slooh_async.progress")


class NullProgress:
    """Shows nothing (``--quiet``, ``--json``); failures still reach the log.

    :meth:`emit` turns each event into a call of the method named after it, so a display
    only writes the methods it cares about.
    """

    def emit(self, event: Event) -> None:
        """Take one event of the run."""
        match event:
            case ListingPage(what=what, page=page, pages=pages):
                self.listing(what, page, pages)
            case FilePlanned(action=action, file=name, error=error):
                if action == "download":
                    self.planned(1, 0)
                elif action in ("tracked", "exists"):
                    self.planned(0, 1)
                else:
                    self.file_failed(-1, name, error or "")
            case FileStarted(worker=worker, file=name):
                self.file_started(worker, name)
            case FileProgress(worker=worker, done=done, total=total):
                self.file_progress(worker, done, total)
            case FileDone(worker=worker, file=name, size=size):
                self.file_done(worker, name, size)
            case FileFailed(worker=worker, file=name, error=error):
                self.file_failed(-1 if worker is None else worker, name, error)
            case Notice(message=message):
                self.note(message)
            case _:
                pass

    def start(self) -> None:
        return None

    def listing(self, what: str, page: int, pages: int | None) -> None:
        return None

    def planned(self, queued: int, skipped: int) -> None:
        return None

    def file_started(self, worker: int, name: str) -> None:
        return None

    def file_progress(self, worker: int, done: int, total: int | None) -> None:
        return None

    def file_done(self, worker: int, name: str, size: int) -> None:
        return None

    def file_failed(self, worker: int, name: str, error: str) -> None:
        log.error("failed: %s: %s", name, error)

    def note(self, message: str) -> None:
        return None

    def stop(self) -> None:
        return None


class LogProgress(NullProgress):
    """Plain lines for logs and pipes: one per file, a status line every few seconds."""

    def __init__(self, stream: TextIO | None = None, *, every: float = 5.0) -> None:
        self._stream = stream or sys.stderr
        self._every = every
        self._last = -math.inf  # the first status line comes at once, whatever the clock
        self.queued = self.skipped = self.done = self.failed = 0
        self.bytes = 0

    def _say(self, text: str) -> None:
        print(text, file=self._stream, flush=True)

    def listing(self, what: str, page: int, pages: int | None) -> None:
        of = f"/{pages}" if pages else ""
        self._say(f"listing {what}: page {page}{of}")

    def planned(self, queued: int, skipped: int) -> None:
        self.queued += queued
        self.skipped += skipped

    def file_done(self, worker: int, name: str, size: int) -> None:
        self.done += 1
        self.bytes += size
        self._say(f"downloaded {name} ({human_bytes(size)})")
        self._status()

    def file_failed(self, worker: int, name: str, error: str) -> None:
        self.failed += 1
        self._say(f"FAILED {name}: {error}")

    def note(self, message: str) -> None:
        self._say(message)

    def _status(self) -> None:
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._say(
                f"progress: {self.done}/{self.queued} files, {human_bytes(self.bytes)}, "
                f"{self.skipped} skipped, {self.failed} failed"
            )


class RichProgress(NullProgress):
    """The live terminal display: overall bar, one line per worker, API status."""

    def __init__(
        self, console: Console, workers: int, *, api_waiting: Callable[[], bool] | None = None
    ) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.console = console
        self._api_waiting = api_waiting or (lambda: False)
        self._listing = "starting"
        self.skipped = self.failed = self.done = 0
        self.overall: Progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[size]}"),
            TextColumn("{task.fields[speed]}"),
            TimeRemainingColumn(),
            console=console,
        )
        self.files: Progress = Progress(
            TextColumn("  [cyan]{task.description}", justify="left"),
            BarColumn(bar_width=20),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
        )
        self._total: TaskID = self.overall.add_task("Files", total=0, size="", speed="")
        self._workers: dict[int, TaskID] = {
            n: self.files.add_task("idle", total=None, visible=False) for n in range(workers)
        }
        self._bytes = 0
        self._seen: dict[int, int] = {}
        self._started = time.monotonic()
        self._live: Live | None = None

    def __rich__(self) -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        status = f"API: {self._listing}"
        if self._api_waiting():
            status += " · waiting on rate limit"
        counters = f"skipped {self.skipped} · failed {self.failed}"
        line = Text.assemble((status, "dim"), "   ", (counters, "yellow" if self.failed else "dim"))
        return Group(line, self.overall, self.files)

    def start(self) -> None:
        from rich.live import Live

        self._live = Live(self, console=self.console, refresh_per_second=10, transient=False)
        self._live.start()

    def stop(self) -> None:
        if self._live is not None:
            self._listing = "done"  # the last frame stays on screen: say the run is over
            self._live.stop()
            self._live = None

    def listing(self, what: str, page: int, pages: int | None) -> None:
        self._listing = f"listing {what} page {page}" + (f" of {pages}" if pages else "")

    def planned(self, queued: int, skipped: int) -> None:
        self.skipped += skipped
        task = self.overall.tasks[0]
        self.overall.update(self._total, total=(task.total or 0) + queued)

    def file_started(self, worker: int, name: str) -> None:
        from rich.markup import escape

        self._seen[worker] = 0
        # the description column renders markup: a name's brackets must stay text
        self.files.reset(self._workers[worker], description=escape(name), total=None, visible=True)

    def file_progress(self, worker: int, done: int, total: int | None) -> None:
        self._bytes += max(0, done - self._seen.get(worker, 0))
        self._seen[worker] = done
        self.files.update(self._workers[worker], completed=done, total=total)
        self._refresh_totals()

    def file_done(self, worker: int, name: str, size: int) -> None:
        self.done += 1
        self.overall.advance(self._total, 1)
        self.files.update(self._workers[worker], visible=False)

    def file_failed(self, worker: int, name: str, error: str) -> None:
        """A file failed; ``worker`` is -1 when it failed before reaching a worker."""
        from rich.markup import escape

        self.failed += 1
        if worker in self._workers:
            self.overall.advance(self._total, 1)
            self.files.update(self._workers[worker], visible=False)
        self.console.print(f"[red]failed[/] {escape(name)}: {escape(error)}")

    def note(self, message: str) -> None:
        from rich.markup import escape

        self.console.print(escape(message))

    def _refresh_totals(self) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        self.overall.update(
            self._total,
            size=human_bytes(self._bytes),
            speed=f"{human_bytes(self._bytes / elapsed)}/s",
        )
