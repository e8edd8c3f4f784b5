"""Progress sinks: the Rich live display, plain log lines, and the silent sink."""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console

from slooh_async.cli._common import human_bytes
from slooh_async.cli._display import LogProgress, NullProgress, RichProgress

HOSTILE = "[red]x[/red].png"
UNBALANCED = "m42[/b]_l.fit"


def rich_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=120, color_system=None), out


def plain(out: io.StringIO) -> str:
    """What the terminal shows, without cursor movements."""
    from rich.text import Text

    return Text.from_ansi(out.getvalue()).plain


def test_rich_display_through_a_whole_run() -> None:
    """Every event of a run draws: listing, totals, files, failures, notes, final bars."""
    console, out = rich_console()
    progress = RichProgress(console, workers=2, api_waiting=lambda: True)
    progress.start()
    progress.listing("pictures", 2, 5)
    progress.planned(3, 4)
    progress.file_started(0, "m42_20260121_011658_0_iycarr_l.png")
    progress.file_progress(0, 1500, 3000)
    progress.file_progress(0, 3000, 3000)
    progress.file_done(0, "m42_20260121_011658_0_iycarr_l.png", 3000)
    progress.file_started(1, "m1_20260209_032548_0_y7g9el_m.png")
    progress.file_progress(1, 500, None)
    progress.file_failed(1, "m1_20260209_032548_0_y7g9el_m.png", "HTTP 404")
    progress.file_failed(-1, "ngc7000.png", "cannot fit into max_path_length")
    progress.note("SIGINT: stopping")
    progress.stop()
    text = plain(out)
    assert "API: listing pictures page 2 of 5" in text
    assert "waiting on rate limit" in text
    assert "skipped 4 · failed 2" in text
    assert "failed m1_20260209_032548_0_y7g9el_m.png: HTTP 404" in text
    assert "failed ngc7000.png: cannot fit into max_path_length" in text
    assert "SIGINT: stopping" in text
    assert "2/3" in text  # done + failed at a worker; the planner's failure is not a queued file
    assert "3.5 kB" in text  # bytes seen across workers
    assert (progress.done, progress.failed, progress.skipped) == (1, 2, 4)


def test_planner_failure_leaves_worker_lines_alone() -> None:
    """file_failed with worker -1 (failed before a worker) counts it without a KeyError."""
    console, _ = rich_console()
    progress = RichProgress(console, workers=1)
    progress.planned(1, 0)
    progress.file_failed(-1, "a.png", "no path")
    assert progress.failed == 1 and progress.overall.tasks[0].completed == 0


def test_rich_display_prints_names_and_errors_literally() -> None:
    """File names, errors and notes are text, never Rich markup (brackets appear as typed)."""
    console, out = rich_console()
    progress = RichProgress(console, workers=2)
    progress.start()
    progress.file_started(0, HOSTILE)
    progress.file_progress(0, 10, 100)
    progress.file_started(1, UNBALANCED)
    progress.file_progress(1, 10, 100)
    console.print(progress)  # a frame with both worker lines, whatever the refresh timing
    progress.file_failed(0, HOSTILE, "bad [bold]answer[/]")
    progress.note("[/] is not markup")
    progress.stop()
    text = plain(out)
    assert HOSTILE in text and UNBALANCED in text
    assert "bad [bold]answer[/]" in text and "[/] is not markup" in text


def test_log_progress_lines() -> None:
    """Without a terminal: one line per page, file and failure, a status line, notes."""
    out = io.StringIO()
    progress = LogProgress(out, every=0.0)
    progress.start()
    progress.listing("pictures", 1, 3)
    progress.listing("missions", 4, None)
    progress.planned(2, 5)
    progress.file_started(0, "a.png")
    progress.file_progress(0, 10, 20)
    progress.file_done(0, "a.png", 1_500_000)
    progress.file_failed(1, HOSTILE, "HTTP 500")
    progress.note("SIGTERM: stopping")
    progress.stop()
    assert out.getvalue().splitlines() == [
        "listing pictures: page 1/3",
        "listing missions: page 4",
        "downloaded a.png (1.5 MB)",
        "progress: 1/2 files, 1.5 MB, 5 skipped, 0 failed",
        f"FAILED {HOSTILE}: HTTP 500",
        "SIGTERM: stopping",
    ]


def test_log_progress_status_line_is_rate_limited() -> None:
    """The status line comes at most every ``every`` seconds, not after each file."""
    out = io.StringIO()
    progress = LogProgress(out, every=3600.0)
    for name in ("a.png", "b.png", "c.png"):
        progress.file_done(0, name, 10)
    assert sum(line.startswith("progress:") for line in out.getvalue().splitlines()) == 1


def test_null_progress_logs_failures_at_error(caplog: pytest.LogCaptureFixture) -> None:
    """--quiet and --json show nothing, but a failed file still reaches the log as ERROR."""
    progress = NullProgress()
    progress.start()
    progress.listing("pictures", 1, None)
    progress.planned(1, 0)
    progress.file_started(0, "a.png")
    progress.file_progress(0, 1, 2)
    progress.file_done(0, "a.png", 2)
    progress.note("hello")
    with caplog.at_level(logging.DEBUG, logger="slooh_async.progress"):
        progress.file_failed(0, "b.png", "HTTP 404")
    progress.stop()
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, "failed: b.png: HTTP 404")
    ]


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (1_500_000, "1.5 MB"), (2e15, "2000.0 TB")],
)
def test_human_bytes(size: float, text: str) -> None:
    """Decimal units like file managers: B without decimals, one decimal above."""
    assert human_bytes(size) == text
