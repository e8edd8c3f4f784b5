"""What a download run says at its end: the summary (table, plain lines, one line with
``--quiet``, or the ``--json`` document) and a dry run's plan.

On a terminal: tables. Through a pipe or into a file: plain lines, one item a line, fields
separated by tabs, whole paths (``slooh download --dry-run | cut -f1`` lists the paths).
``--quiet`` says nothing when all went well, one line when something did not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .._units import human_bytes, plural
from ._common import fail, plain_output, print_json, print_lines, stderr_console, stdout_console

if TYPE_CHECKING:
    from ..engine import FileList, Forecast, RunSummary
    from ._words import Budget

__all__ = [
    "RETRY_KEYS",
    "RUN_KEYS",
    "Output",
    "RunOutcome",
    "finish_run",
    "print_plan",
    "print_summary",
]

#: the keys of ``download|mission|demo --json`` (``error`` and ``exit_code`` come on top):
#: the summary's own keys (RunSummary.to_json), the library, the files, the estimate, the
#: gallery refreshed after the run (``gallery.auto``)
RUN_KEYS: tuple[str, ...] = (
    "library",
    "total_available",
    "already_downloaded",
    "skipped_existing",
    "queued",
    "downloaded",
    "failed",
    "total_bytes",
    "elapsed_seconds",
    "interrupted",
    "dry_run",
    "session_id",
    "failures",
    "warnings",
    "files",
    "estimate",
    "gallery",
)
#: ``retry --json``: the run's keys, what failed before and what still fails
RETRY_KEYS: tuple[str, ...] = (*RUN_KEYS, "failed_before", "still_failing")
#: at most this many rows of a dry run's plan in the terminal's table (plain lines: all)
PLAN_ROWS = 500


@dataclass(frozen=True)
class Output:
    """How the user asked a run to report: ``--json``, ``--json-lines``, ``--quiet``."""

    json: bool = False
    json_lines: bool = False
    quiet: bool = False

    @property
    def machine(self) -> bool:
        """stdout is for a program: one JSON document (or JSON lines ending in one)."""
        return self.json or self.json_lines


@dataclass
class RunOutcome:
    """A run as the command reports it: its summary, where its library is, its forecast
    (for the estimate), with ``--json`` the list of its files, and the ``file://`` URL of
    the gallery refreshed after it."""

    summary: RunSummary
    library: Path | None = None
    forecast: Forecast | None = None
    budget: Budget | None = None
    files: FileList | None = None
    gallery: str | None = None

    def document(self) -> dict[str, Any]:
        """The ``--json`` keys of the run (``RUN_KEYS``)."""
        data = self.summary.to_json()
        estimate = None
        if self.summary.dry_run and self.forecast is not None and self.budget is not None:
            whole = self.budget.whole(self.forecast)
            estimate = {
                "files": whole.files,
                "requests": whole.requests,
                "seconds": whole.seconds,
                "rate_limit": whole.per_minute,
            }
        return {
            "library": None if self.library is None else str(self.library),
            **data,
            "files": [] if self.files is None else self.files.to_json(self.library),
            "estimate": estimate,
            "gallery": self.gallery,
            "error": self.summary.error,
        }


def finish_run(
    outcome: RunOutcome,
    output: Output,
    *,
    extra: dict[str, Any] | None = None,
    after: Callable[[], None] | None = None,
) -> None:
    """Report the run; exit 130 interrupted, the error's code, 1 if files failed, else 0.

    With ``--json`` the document carries the same code as ``exit_code``.
    """
    from .._exceptions import SloohError

    summary = outcome.summary
    code = _exit_code(summary)
    if output.machine:
        print_json({**outcome.document(), **(extra or {})}, exit_code=code)
    else:
        print_summary(outcome, quiet=output.quiet)
    if after is not None:
        after()
    fatal = summary.fatal
    if summary.interrupted:
        raise typer.Exit(130)
    if isinstance(fatal, SloohError):
        fail(str(fatal), fatal.exit_code)
    if fatal is not None:
        raise fatal
    if code:
        raise typer.Exit(code)


def _exit_code(summary: RunSummary) -> int:
    """The code a run ends with (README, "Exit codes")."""
    from .._exceptions import SloohError

    fatal = summary.fatal
    if summary.interrupted:
        return 130
    if isinstance(fatal, SloohError):
        return fatal.exit_code
    if isinstance(fatal, OSError):
        return 5
    return 1 if fatal is not None or summary.failed else 0


def print_summary(outcome: RunOutcome, *, quiet: bool) -> None:
    """The run's summary: a table on a terminal, plain lines otherwise; with ``--quiet``
    nothing unless files failed or the run was cut short."""
    summary = outcome.summary
    if quiet:
        _quiet_summary(summary)
        return
    if summary.fatal is not None and not _anything_happened(summary):
        return  # the error line says it all: no table of zeros
    rows = _summary_rows(summary)
    if plain_output():
        if summary.dry_run:
            stderr_console().print(_one_line(rows), markup=False, soft_wrap=True)
        else:
            print_lines(rows)
        return
    _summary_table(summary, rows)


def _anything_happened(summary: RunSummary) -> bool:
    return bool(summary.total_available or summary.downloaded or summary.failed)


def _summary_rows(summary: RunSummary) -> list[tuple[str, str]]:
    rows = [
        ("Listed (matching)", f"{summary.total_available:,}"),
        ("Already downloaded", f"{summary.already_downloaded:,}"),
        ("Already on disk", f"{summary.skipped_existing:,}"),
        ("Queued", f"{summary.queued:,}"),
        ("Downloaded", f"{summary.downloaded:,}"),
        ("Failed", f"{summary.failed:,}"),
        ("Bytes", human_bytes(summary.total_bytes)),
        ("Time", f"{summary.elapsed_seconds:.1f} s"),
    ]
    if summary.interrupted:
        rows.append(("Interrupted", "yes: run `slooh download` again to finish"))
    return rows


def _one_line(rows: list[tuple[str, str]]) -> str:
    return "Summary: " + ", ".join(f"{label.lower()} {value}" for label, value in rows)


def _summary_table(summary: RunSummary, rows: list[tuple[str, str]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title="Dry run: nothing was downloaded" if summary.dry_run else "Summary",
        show_header=False,
        title_justify="left",
    )
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in rows:
        shown = escape(value)
        if (label == "Failed" and summary.failed) or label == "Interrupted":
            shown = f"[{'red' if label == 'Failed' else 'yellow'}]{shown}[/]"
        table.add_row(label, shown)
    stdout_console().print(table)


def _quiet_summary(summary: RunSummary) -> None:
    """``--quiet``: silence when all went well (a cron job mails nothing); one line on
    stderr when files failed or the run was interrupted (the failures were said already)."""
    console = stderr_console()
    if summary.interrupted:
        console.print(
            f"interrupted after {plural(summary.downloaded, 'file')} downloaded: "
            "run the command again to finish",
            markup=False,
        )
    elif summary.failed:
        console.print(
            f"{plural(summary.failed, 'file')} failed ({summary.downloaded:,} downloaded): "
            "`slooh retry` tries them again",
            markup=False,
        )


def print_plan(outcome: RunOutcome) -> None:
    """A dry run's plan: the files it would download and where, and the budget's estimate.

    Plain lines (not a terminal): ``path<TAB>server name<TAB>note`` on stdout, one file a
    line, paths relative to the library; the heading and the estimate on stderr.
    """
    summary, base = outcome.summary, outcome.library or Path()
    heading = f"Would download {plural(len(summary.planned), 'file')} into {base}"
    estimate = _estimate_line(outcome)
    if plain_output():
        console = stderr_console()
        console.print(heading, markup=False, soft_wrap=True)
        if estimate:
            console.print(estimate, markup=False, soft_wrap=True)
        print_lines((_relative(p.path, base), p.file, p.note or "") for p in summary.planned)
        return
    _plan_table(summary, base, heading)
    if estimate:
        stdout_console().print(estimate, markup=False)


def _estimate_line(outcome: RunOutcome) -> str:
    from ._words import budget_text

    if outcome.forecast is None or outcome.budget is None or not outcome.summary.queued:
        return ""
    whole = outcome.budget.whole(outcome.forecast)
    text = budget_text(whole)
    return f"{text} ({plural(whole.requests, 'request')})" if whole.per_minute > 0 else text


def _plan_table(summary: RunSummary, base: Path, heading: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(heading), title_justify="left")
    table.add_column("File", overflow="fold")
    table.add_column("Destination (relative)", overflow="fold")
    table.add_column("Note")
    for planned in summary.planned[:PLAN_ROWS]:
        table.add_row(escape(planned.file), escape(_relative(planned.path, base)), planned.note)
    more = len(summary.planned) - PLAN_ROWS
    if more > 0:
        table.caption = f"... and {plural(more, 'more file')} (a pipe gets every one)"
    stdout_console().print(table)


def _relative(path: Path | None, base: Path) -> str:
    from ..engine import relative_text

    return relative_text(path, base) if path is not None else ""
