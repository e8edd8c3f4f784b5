"""The run's displays, fed events: the live display, plain lines, JSON lines, silence."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

from slooh_async._units import human_bytes, plural
from slooh_async.cli._common import human_duration, local_time, write_text
from slooh_async.cli._display import JsonLinesProgress, LogProgress, NullProgress
from slooh_async.cli._live import LiveDisplay
from slooh_async.cli._words import Budget, budget_text, short_error
from slooh_async.engine import (
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
    estimate_run,
)

HOSTILE = "[red]x[/red].png"
UNBALANCED = "m42[/b]_l.fit"
BASE = Path("/lib")
LONG = "Canary Two_ngc6204andhogg22_20260124_020632_0_t5lua9_lrgb_a_very_long_name.png"
URL = "http://polaris.slooh.com/chile/2/m42_l.png?rand=1770719423.4824&sig=abc"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def live(
    width: int = 120, *, dry_run: bool = False, per_minute: int = 30
) -> tuple[LiveDisplay, Clock, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=width, color_system=None)
    clock = Clock()
    forecast = Forecast()
    display = LiveDisplay(
        console,
        2,
        forecast=forecast,
        budget=Budget(per_minute),
        base=BASE,
        dry_run=dry_run,
        clock=clock,
    )
    return display, clock, out


def feed(display: LiveDisplay, *events: Event) -> None:
    """Events reach the forecast first, then the display (as the CLI's fan-out does)."""
    for event in events:
        display.forecast.emit(event)
        display.emit(event)


def screen(display: LiveDisplay, width: int) -> list[str]:
    return [line.plain for line in display.lines(width)]


def planned(n: int, *, fits_of: int | None = None) -> FilePlanned:
    key = f"fits:{fits_of}:f{n}.fit" if fits_of else str(n)
    return FilePlanned(key, f"f{n}.png", "download", BASE / f"M42/f{n}.png")


def test_live_display_shows_the_budget_estimate_until_listing_ends() -> None:
    """The first page with totalCount gives "~" figures from the rate budget; listing's end
    turns them into counts."""
    display, _, _ = live()
    feed(display, ListingPage("pictures", 1, 51, 50, 2548))
    feed(display, *(planned(n) for n in range(50)))
    first = screen(display, 120)
    assert first[0].startswith("rate limit 30/min: about 1 h 26 min for ~2,548 files")
    assert "0/~2,548" in first[1]
    assert first[-1] == "listing pictures page 1 of 51"
    feed(display, ListingEnded(True))
    last = screen(display, 120)
    assert last[0].startswith("rate limit 30/min: about 1 min for 50 files")
    assert "0/50" in last[1] and "~" not in last[1]


def test_status_line_counts_down_the_rate_limit_and_the_servers_wait() -> None:
    """The status line says what the run waits for and for how long, on a virtual clock."""
    display, clock, _ = live()
    feed(display, ListingPage("pictures", 3, 8, 50, 400))
    feed(display, Waiting("rate-limit", 1.8))
    assert screen(display, 120)[-1] == (
        "rate limit: next request in 1.8 s · listing pictures page 3 of 8"
    )
    clock.now += 1.0
    assert screen(display, 120)[-1].startswith("rate limit: next request in 0.8 s")
    clock.now += 1.0
    assert screen(display, 120)[-1] == "listing pictures page 3 of 8"
    feed(display, Waiting("server", 60.0))
    clock.now += 19.0
    assert screen(display, 120)[-1].startswith("the server asked to wait 60 s (41 s left)")
    feed(display, Waiting("login", 0.0))
    assert "re-logging in" in screen(display, 120)[-1]
    feed(display, ListingPage("pictures", 4, 8, 50, 400))
    assert "re-logging in" not in screen(display, 120)[-1]


def test_time_left_comes_from_the_budget_once_it_holds_the_run_back() -> None:
    """Before the budget holds anything back, a slow start (the pace so far) may say more time
    is left than the budget would; once a request waited for the budget, the time left is
    the budget's, not the pace of the last seconds (which the waits themselves slowed)."""
    display, clock, _ = live(per_minute=12)
    feed(display, ListingPage("pictures", 1, 1, 40, 40), *(planned(n) for n in range(40)))
    feed(display, ListingEnded(True), FileStarted(0, "0", "f0.png", BASE / "M42/f0.png", 0))
    feed(display, FileProgress(0, 1000, 1000))
    clock.now += 60.0  # one file in a minute: at that pace, 39 more take 39 minutes
    feed(display, FileDone(0, "0", "f0.png", BASE / "M42/f0.png", 1000, 1))
    assert "about 39 min left" in screen(display, 120)[1]
    feed(display, Waiting("rate-limit", 30.0))
    assert "about 3 min left" in screen(display, 120)[1]  # 39 requests at 12 a minute


def test_worker_lines_say_stalled_connecting_retry_and_speed() -> None:
    """A download without bytes for 5 s reads "stalled", never "?"; a retry counts down."""
    display, clock, _ = live()
    feed(display, planned(1), planned(2))
    feed(display, FileStarted(0, "1", "f1.png", BASE / "f1.png"))
    feed(display, FileStarted(1, "2", "f2.png", BASE / "f2.png"))
    assert "connecting" in screen(display, 120)[2]
    feed(display, FileProgress(0, 0, 64_000))
    for _ in range(4):
        clock.now += 0.5
        feed(display, FileProgress(0, display._workers[0].done + 16_000, 64_000))
    feed(display, Retrying("f2.png", "HTTP 503", 4.0, 1, "2"))
    rows = screen(display, 120)
    assert "64.0 kB/64.0 kB" in rows[2] and "32.0 kB/s" in rows[2]
    assert "retry in 4 s" in rows[3]
    clock.now += 9.0
    rows = screen(display, 120)
    assert "stalled 9 s" in rows[2] and "?" not in "".join(rows)
    assert "stalled 5 s" in rows[3]


@pytest.mark.parametrize("width", [120, 80, 60])
def test_every_live_line_fits_the_width(width: int) -> None:
    """Long names end in an ellipsis; no line is wider than the terminal."""
    display, clock, _ = live(width)
    feed(display, ListingPage("pictures", 12, 51, 50, 2548))
    feed(display, FileStarted(0, "1", LONG, BASE / LONG), FileProgress(0, 1000, 5_000_000))
    feed(display, FileStarted(1, "2", "short.png", BASE / "short.png"))
    feed(display, Waiting("server", 60.0, "one"), Waiting("rate-limit", 41.5))
    clock.now += 1.0
    lines = display.lines(width)
    assert all(line.cell_len <= width for line in lines)
    assert lines[2].plain.startswith("  Canary Two_") and "…" in lines[2].plain
    assert "short.png" in lines[3].plain


def test_a_dry_run_draws_no_bar() -> None:
    """Nothing is downloaded in a dry run: no Files bar, no worker lines."""
    display, _, _ = live(80, dry_run=True)
    feed(display, ListingPage("pictures", 1, 1, 5, 5), *(planned(n) for n in range(5)))
    feed(display, ListingEnded(True))
    rows = screen(display, 80)
    assert rows[1] == "Would download 5 files (nothing is downloaded in a dry run)"
    assert not any("━" in row or "Files" in row for row in rows)


def test_live_display_prints_names_and_errors_literally_and_without_queries() -> None:
    """Names, errors and notes are text, never Rich markup; URLs lose their query."""
    display, _, out = live()
    display.start()
    feed(display, FileStarted(0, "1", HOSTILE, BASE / HOSTILE), FileProgress(0, 10, 100))
    feed(display, FileStarted(1, "2", UNBALANCED, BASE / UNBALANCED), FileProgress(1, 10, 100))
    display.console.print(display)  # a frame with both worker lines, whatever the refresh
    feed(display, FileFailed(0, "1", HOSTILE, f"bad [bold]answer[/] from {URL}", BASE / HOSTILE))
    feed(display, Notice("[/] is not markup"))
    display.stop()
    text = Text.from_ansi(out.getvalue()).plain
    assert HOSTILE in text and UNBALANCED in text
    assert "bad [bold]answer[/] from http://polaris.slooh.com/chile/2/m42_l.png" in text
    assert "rand=" not in text and "[/] is not markup" in text


def test_the_last_frame_says_done_or_stopped() -> None:
    """A run cut short does not end on "done"."""
    display, _, out = live()
    display.start()
    feed(display, ListingPage("pictures", 1, 2, 50, 100), planned(1))
    display.stop()
    assert Text.from_ansi(out.getvalue()).plain.rstrip().endswith("stopped")


def test_log_progress_lines_say_where_each_file_went() -> None:
    """Plain lines: pages, the estimate, each file relative to the library (a "(1)" twin
    told apart), failures without URL queries, long waits, notes, a status line."""
    out = io.StringIO()
    forecast = Forecast()
    progress = LogProgress(out, base=BASE, forecast=forecast, budget=Budget(30), every=0.0)
    events: list[Event] = [
        ListingPage("pictures", 1, 30, 50, 1500),
        FilePlanned("1", "m42.png", "download", BASE / "M42/m42.png"),
        FilePlanned("2", "m42.png", "download", BASE / "M42/m42 (1).png"),
        FilePlanned("3", "m1.png", "tracked", BASE / "M1/m1.png"),
        FileDone(0, "1", "m42.png", BASE / "M42/m42.png", 1_500_000, 1),
        FileDone(1, "2", "m42.png", BASE / "M42/m42 (1).png", 2_000, 1),
        FileFailed(0, "4", HOSTILE, f"HTTP 500 for {URL}", BASE / "X" / HOSTILE, 5),
        Waiting("rate-limit", 2.0),
        Waiting("rate-limit", 41.0),
        Waiting("server", 60.0, "one"),
        Waiting("login", 0.0),
        Notice("SIGTERM: stopping"),
    ]
    for event in events:
        forecast.emit(event)
        progress.emit(event)
    assert out.getvalue().splitlines() == [
        "listing pictures: page 1/30",
        "rate limit 30/min: about 3 min for ~60 files",
        "downloaded M42/m42.png (1.5 MB)",
        "progress: 1/~60 files, 1.5 MB, 1 skipped, 0 failed, about 2 min left",
        "downloaded M42/m42 (1).png (2.0 kB)",
        "progress: 2/~60 files, 1.5 MB, 1 skipped, 0 failed, about 2 min left",
        f"FAILED X/{HOSTILE}: HTTP 500 for http://polaris.slooh.com/chile/2/m42_l.png",
        "waiting 41 s for the rate limit",
        "one download waits 60 s (the server asked)",
        "the session ended: logging in again",
        "SIGTERM: stopping",
    ]


def test_log_progress_status_line_is_rate_limited() -> None:
    """The status line comes at most every ``every`` seconds, not after each file."""
    out = io.StringIO()
    progress = LogProgress(out, every=3600.0)
    for name in ("a.png", "b.png", "c.png"):
        progress.emit(FileDone(0, name, name, BASE / name, 10, 1))
    assert sum(line.startswith("progress:") for line in out.getvalue().splitlines()) == 1


def test_json_lines_are_events_with_paths_relative_to_the_library() -> None:
    """--json-lines: a run line, then one object per event (no byte progress)."""
    out = io.StringIO()
    progress = JsonLinesProgress(out, base=BASE, head={"command": "download"})
    progress.start()
    for event in (
        ListingPage("pictures", 1, 1, 2, 2),
        FilePlanned("1", "m42.png", "download", BASE / "M42/m42.png"),
        FileStarted(0, "1", "m42.png", BASE / "M42/m42.png"),
        FileProgress(0, 10, 20),
        FileDone(0, "1", "m42.png", BASE / "M42/m42.png", 20, 1),
        FileFailed(None, "2", "m1.png", f"HTTP 404 for {URL}"),
        Waiting("rate-limit", 2.5),
    ):
        progress.emit(event)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["event"] for r in records] == [
        "run", "listed", "planned", "started", "done", "failed", "wait",
    ]  # fmt: skip
    assert records[4] == {
        "event": "done", "worker": 0, "key": "1", "file": "m42.png", "path": "M42/m42.png",
        "size": 20, "attempts": 1,
    }  # fmt: skip
    assert records[5]["error"] == f"HTTP 404 for {URL}"  # data: kept whole
    assert records[6] == {"event": "wait", "reason": "rate-limit", "seconds": 2.5, "scope": "all"}


def test_null_progress_logs_failures_at_error(caplog: pytest.LogCaptureFixture) -> None:
    """--quiet and --json show nothing, but a failed file still reaches the log as ERROR."""
    progress = NullProgress()
    progress.start()
    with caplog.at_level(logging.DEBUG, logger="slooh_async.progress"):
        progress.emit(ListingPage("pictures", 1, None, 1, None))
        progress.emit(FileDone(0, "1", "a.png", BASE / "a.png", 2, 1))
        progress.emit(Notice("hello"))
        progress.emit(FileFailed(0, "2", "b.png", f"HTTP 404 for {URL}"))
        progress.emit(FilePlanned("3", "c.png", "failed", error="no path"))
    progress.stop()
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, "failed: b.png: HTTP 404 for http://polaris.slooh.com/chile/2/m42_l.png"),
        (logging.ERROR, "failed: c.png: no path"),
    ]


def test_budget_text_reads_as_the_docs_say() -> None:
    """The words of the estimate: "about" for long runs, "~" while extrapolated."""
    assert budget_text(estimate_run(2548, pages=51, per_minute=30)) == (
        "rate limit 30/min: about 1 h 26 min for 2,548 files"
    )
    assert budget_text(estimate_run(1, per_minute=30, final=False)) == (
        "rate limit 30/min: under a minute for ~1 file"
    )
    assert budget_text(estimate_run(12, per_minute=0)) == "no rate limit: 12 files"


def test_short_error_drops_url_queries_only() -> None:
    """A URL's query and fragment go; the rest of the message stays as it was."""
    assert short_error(f"{URL}: HTTP 500 (gave up after 5 tries)") == (
        "http://polaris.slooh.com/chile/2/m42_l.png: HTTP 500 (gave up after 5 tries)"
    )
    assert short_error("why? nobody knows") == "why? nobody knows"


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (1_500_000, "1.5 MB"), (2e15, "2000.0 TB")],
)
def test_human_bytes(size: float, text: str) -> None:
    """Decimal units like file managers: B without decimals, one decimal above."""
    assert human_bytes(size) == text


def test_words_for_counts_durations_and_times() -> None:
    """1 file / 2 files; 1 h 25 min; local time to the second, no offset or microseconds."""
    assert (plural(1, "file"), plural(2548, "file"), plural(1, "try", "tries")) == (
        "1 file", "2,548 files", "1 try",
    )  # fmt: skip
    assert [human_duration(s) for s in (20, 60, 720, 5100, 7200)] == [
        "under a minute", "1 min", "12 min", "1 h 25 min", "2 h",
    ]  # fmt: skip
    shown = local_time("2026-02-10T05:26:46.123456+00:00")
    assert len(shown) == 19 and shown[:4] == "2026" and "+" not in shown and "." not in shown


def test_text_a_code_page_cannot_hold_is_escaped_not_a_traceback() -> None:
    """A Windows code page redirected to a file: an unencodable name becomes an escape."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="cp1252")
    write_text(out, "Comet ☄ C/2024 E1.png\tÉté\n")
    out.flush()
    assert raw.getvalue().decode("cp1252") == "Comet \\u2604 C/2024 E1.png\tÉté\n"


def test_a_stopping_notice_reads_as_any_notice_in_json_lines() -> None:
    """`stopping` tells the displays in the process (echo comes back); the --json-lines
    record keeps the documented keys (docs/events.md)."""
    notice = Notice("SIGINT: stopping", "warning", stopping=True)
    expected = {"event": "notice", "message": "SIGINT: stopping", "level": "warning"}
    assert notice.to_json() == expected
