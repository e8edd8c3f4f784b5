"""The live terminal display: what the run does, what it waits for, and how long is left.

One line each, cut to the terminal's width (a long name ends in an ellipsis; nothing wraps,
so the display never grows taller than its lines):

    rate limit 30/min: about 1 h 25 min for ~2,548 files · skipped 4 · failed 1
    Files ━━━━━━━━╸━━━━━━━━━━━  121/~2,548   4%  7.5 MB  1.2 MB/s  about 1 h 20 min left
      M42_20260121_011658_0_iycarr_l.png    ━━━━━━━╸━━━━  45.0 kB/64.0 kB   1.1 MB/s
      ngc300_20260206_013634_0_uidn26…      ━━━━━━━━━━━━  12.0 kB/64.0 kB   stalled 12 s
    rate limit: next request in 1.8 s · listing pictures page 3 of 51

The first line is the rate budget's estimate (``~``: extrapolated from the service's count
until listing ends); the last says what the run is doing and what it waits for. A dry run
downloads nothing and shows no bar. Rich redraws 4 times a second from its own thread; events
only touch counters. Typed keys are not echoed while the display runs (POSIX terminals).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .._units import human_bytes
from ..engine import (
    Event,
    FileDone,
    FileFailed,
    FilePlanned,
    FileProgress,
    FileStarted,
    Forecast,
    ListingEnded,
    ListingPage,
    Notice,
    Retrying,
    Waiting,
    relative_text,
)
from ._terminal import NoEcho
from ._words import Budget, budget_text, count_text, left_text, short_error

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions
    from rich.live import Live
    from rich.text import Text

__all__ = ["LiveDisplay"]

#: no byte for this long: the download is shown as stalled
STALL_SECONDS = 5.0
#: a download's speed is measured over this many seconds
SPEED_WINDOW = 3.0
#: "re-logging in" stays up at most this long without news
LOGIN_SHOWN = 30.0
_BAR = 12  # a worker's bar, in cells
_SIZES = 17  # "999.9 MB/999.9 MB"
_STATE = 12  # "stalled 59 s", "999.9 kB/s"


@dataclass
class _Worker:
    """One download slot: the file it is on and how its bytes come."""

    name: str = ""
    key: str = ""
    active: bool = False
    retry_at: float = 0.0
    done: int = 0
    total: int | None = None
    since: float = 0.0
    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=32))

    def begin(self, key: str, name: str, offset: int, now: float) -> None:
        self.key, self.name, self.active, self.since = key, name, True, now
        self.done, self.total, self.retry_at = offset, None, 0.0
        self.samples.clear()
        self.samples.append((now, offset))

    def progress(self, done: int, total: int | None, now: float) -> None:
        if done != self.done:
            self.samples.append((now, done))
        self.done, self.total = done, total

    def state(self, now: float, *, held: str = "") -> str:
        """``1.1 MB/s``; ``connecting`` before the first byte (or why requests are held
        back: ``rate limit``, ``server asked``); ``retry in 4 s``; ``stalled 12 s`` when no
        byte came for a while (never a bare ``?``)."""
        if self.retry_at > now:
            return f"retry in {self.retry_at - now:.0f} s"
        last_time, last_done = self.samples[-1]
        quiet = now - max(last_time, self.retry_at)
        fresh = len(self.samples) < 2
        if fresh and held:
            return held
        if quiet >= STALL_SECONDS:
            return f"stalled {quiet:.0f} s"
        if fresh:
            return "connecting"
        # from the newest sample at least SPEED_WINDOW old (or the oldest kept) to now
        ref_time, ref_done = next(
            ((t, d) for t, d in reversed(self.samples) if now - t >= SPEED_WINDOW),
            self.samples[0],
        )
        span = max(now - ref_time, 0.5)
        return f"{human_bytes((last_done - ref_done) / span)}/s"


class LiveDisplay:
    """The live terminal display of a run (an event sink)."""

    def __init__(
        self,
        console: Console,
        workers: int,
        *,
        forecast: Forecast | None = None,
        budget: Budget | None = None,
        base: Path | None = None,
        dry_run: bool = False,
        clock: Callable[[], float] = time.monotonic,
        echo: NoEcho | None = None,
    ) -> None:
        self.console = console
        self.forecast = forecast or Forecast()
        self.budget = budget or Budget(0)
        self.base = base
        self.dry_run = dry_run
        self._clock = clock
        self._echo = echo or NoEcho()
        self._workers = [_Worker() for _ in range(workers)]
        self._activity = "logging in"
        self._rate_until = 0.0
        self._budget_bound = False  # a request waited for the budget: it bounds the run
        self._server: tuple[float, float, str] | None = None  # (until, seconds, scope)
        self._login_since: float | None = None
        self._api_retry: tuple[float, str, str] | None = None  # (until, call, why)
        self.skipped = self.failed = 0
        self.bytes = 0
        self._first_byte: float | None = None
        self._live: Live | None = None

    # ------------------------------------------------------------------ events

    def emit(self, event: Event) -> None:
        """Take one event of the run (on the event loop: only counters change)."""
        now = self._clock()
        match event:
            case ListingPage(what=what, page=page, pages=pages):
                of = f" of {pages}" if pages else ""
                self._activity = f"listing {what} page {page}{of}"
                self._login_since = None
            case ListingEnded():
                self._activity = "listing done"
            case FilePlanned(action="tracked" | "exists"):
                self.skipped += 1
            case FilePlanned(action="failed", file=name, error=error):
                self._failed(name, None, error or "")
            case FileStarted(worker=worker, key=key, file=name, offset=offset):
                self._slot(worker).begin(key, name, offset, now)
            case FileProgress(worker=worker, done=done, total=total):
                self._progress(worker, done, total, now)
            case FileDone(worker=worker):
                self._slot(worker).active = False
            case FileFailed(worker=worker, file=name, path=path, error=error):
                if worker is not None:
                    self._slot(worker).active = False
                self._failed(name, path, error)
            case Retrying(key=key, wait=wait) if key is not None:
                for slot in self._workers:
                    if slot.active and slot.key == key:
                        slot.retry_at = now + wait
            case Retrying(what=what, error=error, wait=wait):  # an API call
                self._api_retry = (now + wait, what, short_error(error))
            case Waiting():
                self._waiting(event, now)
            case Notice():
                self._notice(event)
            case _:
                pass

    def _waiting(self, event: Waiting, now: float) -> None:
        if event.reason == "rate-limit":
            self._rate_until = max(self._rate_until, now + event.seconds)
            self._budget_bound = True
        elif event.reason == "server":
            self._server = (now + event.seconds, event.seconds, event.scope)
        else:
            self._login_since = now

    def _notice(self, notice: Notice) -> None:
        from rich.markup import escape

        if notice.stopping:
            # the run is stopping, and a second Ctrl-C ends the process at once (os._exit:
            # no clean-up runs): typed keys echo again from now on, so that no exit path
            # leaves the terminal silent
            self._echo.stop()
        self.console.print(escape(notice.message))

    def _slot(self, worker: int) -> _Worker:
        if worker >= len(self._workers):  # more workers than announced: grow, never fail
            self._workers.extend(_Worker() for _ in range(worker + 1 - len(self._workers)))
        return self._workers[worker]

    def _progress(self, worker: int, done: int, total: int | None, now: float) -> None:
        slot = self._slot(worker)
        self.bytes += max(0, done - slot.done)
        if self._first_byte is None and done > 0:
            self._first_byte = now
        slot.progress(done, total, now)

    def _failed(self, name: str, path: Path | None, error: str) -> None:
        from rich.markup import escape

        self.failed += 1
        where = relative_text(path, self.base) if path is not None else name
        self.console.print(f"[red]failed[/] {escape(where)}: {escape(short_error(error))}")

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        from rich.live import Live

        self._echo.start()
        self._live = Live(self, console=self.console, refresh_per_second=4, transient=False)
        self._live.start()

    def stop(self) -> None:
        """The last frame stays on screen, saying the run is over; the terminal is given
        back as it was (idempotent: every exit path may call it)."""
        live, self._live = self._live, None
        try:
            if live is not None:
                forecast = self.forecast
                over = forecast.final and forecast.finished >= forecast.files
                self._activity = "done" if over or self.dry_run and forecast.final else "stopped"
                self._rate_until, self._server, self._login_since = 0.0, None, None
                for slot in self._workers:
                    slot.active = False
                live.stop()
        finally:
            self._echo.stop()

    # ------------------------------------------------------------------ drawing

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        yield from self.lines(options.max_width)

    def lines(self, width: int) -> list[Text]:
        """The display's lines, each at most ``width`` cells."""
        now = self._clock()
        rows = [self._headline()]
        if self.dry_run:
            rows.append(self._planned_line())
        else:
            rows.append(self._files_line(width, now))
            rows.extend(
                self._worker_line(slot, width, now) for slot in list(self._workers) if slot.active
            )
        rows.append(self._status_line(now))
        for row in rows:
            row.no_wrap = True
            row.truncate(width, overflow="ellipsis")
        return rows

    def _headline(self) -> Text:
        from rich.text import Text

        forecast, per_minute = self.forecast, self.budget.per_minute
        if forecast.pictures_total is not None or forecast.final:
            budget = budget_text(self.budget.whole(forecast))
        else:  # nothing to estimate from yet
            budget = f"rate limit {per_minute}/min" if per_minute > 0 else "no rate limit"
        counters = f" · skipped {self.skipped:,} · failed {self.failed:,}"
        return Text.assemble((budget, "bold"), (counters, "red" if self.failed else "dim"))

    def _planned_line(self) -> Text:
        from rich.text import Text

        forecast = self.forecast
        return Text(
            f"Would download {count_text(forecast.files, forecast.final)} files "
            f"(nothing is downloaded in a dry run)"
        )

    def _files_line(self, width: int, now: float) -> Text:
        from rich.text import Text

        forecast = self.forecast
        finished, total = forecast.finished, forecast.files
        share = finished / total if total else 0.0
        right = (
            f" {finished:,}/{count_text(total, forecast.final)} {share:4.0%}"
            f"  {human_bytes(self.bytes)}{self._speed(now)}{self._left(now)}"
        )
        label = "Files "
        bar = width - len(label) - len(right) - 1
        line = Text(label, style="bold")
        if bar >= 8:
            line.append_text(_bar(share if total else None, bar))
        line.append(right)
        return line

    def _speed(self, now: float) -> str:
        if self._first_byte is None or now - self._first_byte < 1.0:
            return ""
        return f"  {human_bytes(self.bytes / (now - self._first_byte))}/s"

    def _left(self, now: float) -> str:
        """Time left: what the rate budget allows for the requests left; while the budget has
        not held the run back yet (or there is none), the pace so far when that is longer
        (the link may be the bound). ``about``: listing may still bring more."""
        forecast = self.forecast
        left_files = forecast.files - forecast.finished
        if left_files <= 0:
            return ""
        seconds = self.budget.rest(forecast).seconds if self.budget.per_minute > 0 else 0.0
        if self._budget_bound:  # the budget sets the pace: the bytes of the last seconds do not
            return f"  {left_text(seconds)}" if seconds > 0 else ""
        if self._first_byte is not None and forecast.finished:
            pace = (now - self._first_byte) / forecast.finished
            seconds = max(seconds, pace * left_files)
        return f"  {left_text(seconds)}" if seconds > 0 else ""

    def _worker_line(self, slot: _Worker, width: int, now: float) -> Text:
        from rich.text import Text

        sizes = human_bytes(slot.done) + (
            f"/{human_bytes(slot.total)}" if slot.total is not None else ""
        )
        state = slot.state(now, held=self._held(now))
        right = f" {sizes:>{_SIZES}} {state:<{_STATE}}"
        room = width - 2 - len(right)
        with_bar = room - _BAR - 1 >= 10
        name_width = room - _BAR - 1 if with_bar else room
        name = Text(slot.name, style="cyan")
        name.truncate(max(1, name_width), overflow="ellipsis", pad=True)
        line = Text("  ")
        line.append_text(name)
        if with_bar:
            line.append(" ")
            share = slot.done / slot.total if slot.total else None
            line.append_text(_bar(share, _BAR))
        line.append(right, style="yellow" if state.startswith("stalled") else "")
        return line

    def _held(self, now: float) -> str:
        """Why every request waits right now, if it does: the server asked (a 429), or the
        rate budget; ``""`` when requests may go."""
        if self._server is not None and self._server[0] > now and self._server[2] == "all":
            return "server asked"
        return "rate limit" if self._rate_until > now else ""

    def _status_line(self, now: float) -> Text:
        from rich.text import Text

        parts = [*self._waits(now), self._doing()]
        return Text(" · ".join(parts), style="dim")

    def _waits(self, now: float) -> list[str]:
        """What the run is waiting for right now, and for how long."""
        waits = []
        if self._server is not None:
            until, seconds, scope = self._server
            if until > now:
                whom = "" if scope == "all" else " one download"
                waits.append(
                    f"the server asked{whom} to wait {seconds:.0f} s ({until - now:.0f} s left)"
                )
        if self._rate_until > now:
            waits.append(f"rate limit: next request in {self._rate_until - now:.1f} s")
        if self._login_since is not None and now - self._login_since < LOGIN_SHOWN:
            waits.append("re-logging in")
        if self._api_retry is not None and self._api_retry[0] > now:
            until, what, why = self._api_retry
            waits.append(f"{what} failed ({why}): trying again in {until - now:.0f} s")
        return waits

    def _doing(self) -> str:
        active = sum(slot.active for slot in list(self._workers))
        if self._activity == "listing done" and not self.dry_run:
            return (
                f"downloading {active} file{'' if active == 1 else 's'}"
                if active
                else ("finishing")
            )
        return self._activity


def _bar(share: float | None, width: int) -> Text:
    """A bar of ``width`` cells; ``None``: unknown (all in the background colour)."""
    from rich.text import Text

    done = 0 if share is None else max(0, min(width, round(share * width)))
    return Text.assemble(("━" * done, "bar.complete"), ("━" * (width - done), "bar.back"))
