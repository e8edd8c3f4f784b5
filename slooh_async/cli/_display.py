"""What the user sees while a run goes: a live display, plain lines, JSON lines, or nothing.

Each display is an event sink of the engine (:mod:`slooh_async.engine`'s events); the command
chooses one (:func:`choose_display`): the live display (:mod:`._live`) on a terminal,
:class:`LogProgress` without one (CI, cron, pipes), :class:`JsonLinesProgress` for
``--json-lines``, :class:`NullProgress` for ``--quiet`` and ``--json``. A display only reads
events and the run's :class:`~slooh_async.engine.Forecast`; it never slows the run down.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from .._units import human_bytes
from ..engine import (
    Event,
    FileDone,
    FileFailed,
    FilePlanned,
    FileProgress,
    Forecast,
    ListingEnded,
    ListingPage,
    Notice,
    Retrying,
    Waiting,
    relative_text,
)
from ._common import write_text
from ._report import Output
from ._words import Budget, budget_text, count_text, left_text, short_error, wait_text

__all__ = [
    "Display",
    "DisplayChoice",
    "JsonLinesProgress",
    "LogProgress",
    "NullProgress",
    "choose_display",
]

log = logging.getLogger("slooh_async.progress")

#: rate-limit waits shorter than this are not worth a plain line (the budget paces every
#: request a little; a long wait is what a reader of the log wonders about)
LOG_WAIT_SECONDS = 10.0


class Display(Protocol):
    """An event sink that draws: started before the run, stopped after it."""

    def emit(self, event: Event) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class NullProgress:
    """Shows nothing (``--quiet``, ``--json``); failed files still reach the log as errors."""

    def emit(self, event: Event) -> None:
        """Log the files that failed."""
        match event:
            case FilePlanned(action="failed", file=name, error=error):
                log.error("failed: %s: %s", name, short_error(error or ""))
            case FileFailed(file=name, error=error):
                log.error("failed: %s: %s", name, short_error(error))
            case _:
                pass

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None


class LogProgress:
    """Plain lines for logs and pipes: one per page and per file (where it was saved,
    relative to the library), long waits, and a status line every ``every`` seconds."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        base: Path | None = None,
        forecast: Forecast | None = None,
        budget: Budget | None = None,
        every: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._base = base
        self._forecast = forecast or Forecast()
        self._budget = budget
        self._every = every
        self._clock = clock
        self._last = -math.inf  # the first status line comes at once, whatever the clock
        self._told = ""  # the budget line: not yet, "estimate", "final"
        self.skipped = self.done = self.failed = 0
        self.bytes = 0

    def _say(self, text: str) -> None:
        print(text, file=self._stream or sys.stderr, flush=True)

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def emit(self, event: Event) -> None:
        """Print the lines an event deserves."""
        match event:
            case ListingPage(what=what, page=page, pages=pages):
                of = f"/{pages}" if pages else ""
                self._say(f"listing {what}: page {page}{of}")
            case ListingEnded():
                self._tell_budget(final=True)
            case FilePlanned(action="tracked" | "exists"):
                self.skipped += 1
            case FilePlanned(action="failed", file=name, error=error):
                self._failed(name, None, error or "")
            case FileDone(path=path, size=size):
                self._tell_budget()
                self.done += 1
                self.bytes += size
                self._say(f"downloaded {relative_text(path, self._base)} ({human_bytes(size)})")
                self._status()
            case FileFailed(file=name, path=path, error=error):
                self._failed(name, path, error)
            case Waiting(reason="rate-limit", seconds=seconds) if seconds < LOG_WAIT_SECONDS:
                pass
            case Waiting():
                self._say(wait_text(event))
            case Retrying(what=what, error=error, wait=wait, key=key):
                whom = what if key is None else f"{what} (download)"
                self._say(f"retrying {whom} in {wait:.0f} s: {short_error(error)}")
            case Notice(message=message):
                self._say(message)
            case _:
                pass

    def _failed(self, name: str, path: Path | None, error: str) -> None:
        self.failed += 1
        where = relative_text(path, self._base) if path is not None else name
        self._say(f"FAILED {where}: {short_error(error)}")

    def _tell_budget(self, *, final: bool = False) -> None:
        """The run's estimate with the first file (the first page is planned by then), and
        the count (not an estimate any more) when listing ends; only when the budget makes
        the run last a minute or more (a dry run's plan says it at its end)."""
        if self._budget is None or self._told == "final":
            return
        if not final and (self._told or self._forecast.pictures_total is None):
            return
        self._told = "final" if final else "estimate"
        estimate = self._budget.whole(self._forecast)
        if estimate.seconds >= 60:  # the budget sets the pace: say how long it will take
            self._say(budget_text(estimate))

    def _status(self) -> None:
        now = self._clock()
        if now - self._last < self._every:
            return
        self._last = now
        forecast = self._forecast
        total = count_text(forecast.files, forecast.final)
        left = ""
        if self._budget is not None and self._budget.per_minute > 0:
            seconds = self._budget.rest(forecast).seconds
            left = f", {left_text(seconds)}" if seconds >= 60 else ""
        self._say(
            f"progress: {self.done:,}/{total} files, {human_bytes(self.bytes)}, "
            f"{self.skipped:,} skipped, {self.failed:,} failed{left}"
        )


class JsonLinesProgress:
    """``--json-lines``: every event (but byte counts) as one JSON object a line on stdout,
    as the run goes; a ``run`` line first, and the command prints the ``summary`` last."""

    def __init__(self, stream: TextIO | None = None, *, base: Path, head: dict[str, Any]) -> None:
        self._stream = stream
        self._base = base
        self._head = head

    def _write(self, record: dict[str, Any]) -> None:
        out = self._stream or sys.stdout
        write_text(out, json.dumps(record, default=str, ensure_ascii=False) + "\n")
        out.flush()

    def start(self) -> None:
        self._write({"event": "run", **self._head})

    def stop(self) -> None:
        return None

    def emit(self, event: Event) -> None:
        """One line per event; byte progress is left out (many a second, nothing to act on).
        Errors are kept whole, URLs with their query: this is data, not a screen."""
        if isinstance(event, FileProgress):
            return
        self._write(event.to_json(self._base))


@dataclass(frozen=True)
class DisplayChoice:
    """What a run's display needs to know: how to show, and about the run."""

    output: Output
    base: Path
    threads: int
    budget: Budget
    dry_run: bool
    command: str


def choose_display(choice: DisplayChoice, forecast: Forecast) -> Display:
    """JSON lines, nothing, the live display (stderr is a terminal) or plain lines."""
    import sys

    from ._common import is_terminal, stderr_console

    if choice.output.json_lines:
        head = {
            "command": choice.command,
            "library": str(choice.base),
            "dry_run": choice.dry_run,
            "rate_limit": choice.budget.per_minute,
            "download_rate_limit": choice.budget.download_per_minute,
        }
        return JsonLinesProgress(base=choice.base, head=head)
    if choice.output.json or choice.output.quiet:
        return NullProgress()
    if is_terminal(sys.stderr):
        from ._live import LiveDisplay

        return LiveDisplay(
            stderr_console(),
            choice.threads,
            forecast=forecast,
            budget=choice.budget,
            base=choice.base,
            dry_run=choice.dry_run,
        )
    budget = None if choice.dry_run else choice.budget  # the plan says it once, at its end
    return LogProgress(base=choice.base, forecast=forecast, budget=budget)
