"""How the library commands print: tables on a terminal, plain lines through a pipe.

Plain lines (stdout is not a terminal) hold one item each, fields separated by tabs, paths
whole: ``slooh verify | grep NAME`` finds the file, ``cut -f1`` takes the paths. Headings,
counts and hints go to stderr then, so that stdout holds only the items.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .._units import exposure_text, human_bytes, plural
from ._common import local_time, plain_output, print_lines, stderr_console, stdout_console

__all__ = ["exposure_text", "group_problems", "print_moves", "print_problems", "print_stats"]

#: rows of a terminal's table of moves (plain lines: all of them)
MOVE_ROWS = 200


# --------------------------------------------------------------------------- stats


def print_stats(data: dict[str, Any]) -> None:
    """``slooh stats``: totals, groups, integration time and recent sessions."""
    if plain_output():
        print_lines(_stats_lines(data))
    else:
        _stats_tables(data)
    missing = data["fits_headers_missing"]
    if missing:
        frames = plural(missing, "FITS frame")
        stderr_console().print(
            f"{frames} {'has' if missing == 1 else 'have'} no header read yet (their "
            "exposure is not counted): `slooh verify` or `slooh gallery` reads them once.",
            markup=False,
            soft_wrap=True,
        )


def _filters_text(by_filter: dict[str, dict[str, Any]]) -> str:
    """``L 12 min, R 4 min, G 4 min``: exposure per filter, most first."""
    return ", ".join(
        f"{name} {exposure_text(counts['exposure_seconds'])}" for name, counts in by_filter.items()
    )


def _integration_rows(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(object, frames, exposure, per filter) of the top objects that have FITS frames,
    most exposure first, then all objects together."""
    objects = sorted(
        ((name, counts) for name, counts in data["by_object"].items() if counts["frames"]),
        key=lambda pair: (-pair[1]["exposure_seconds"], -pair[1]["frames"], pair[0]),
    )
    rows = [_integration_row(name, counts) for name, counts in objects]
    if data["total_frames"]:
        everything = {
            "frames": data["total_frames"],
            "exposure_seconds": data["total_exposure_seconds"],
            "by_filter": data["by_filter"],
        }
        rows.append(_integration_row("All objects", everything))
    return rows


def _integration_row(name: str, counts: dict[str, Any]) -> tuple[str, str, str, str]:
    frames, seconds = counts["frames"], counts["exposure_seconds"]
    return name, f"{frames:,}", exposure_text(seconds), _filters_text(counts["by_filter"])


def _totals(data: dict[str, Any]) -> list[tuple[str, str]]:
    rate = data["success_rate"]
    folders = data["folders"]
    return [
        ("Files", f"{data['total_images']:,}"),
        ("Size", human_bytes(data["total_bytes"])),
        ("Failed", f"{data['failed']:,}"),
        ("Pending", f"{data['pending']:,}"),
        ("Success rate", f"{rate:.1%}" if rate is not None else "-"),
        ("Sessions", f"{data['sessions']:,}"),
        ("Last download", local_time(data["last_download"]) or "never"),
        ("FITS frames", f"{data['total_frames']:,}"),
        ("Integration", exposure_text(data["total_exposure_seconds"])),
        ("On disk", f"{plural(folders['files'], 'file')}, {human_bytes(folders['bytes'])}"),
        ("Unfinished (.part)", f"{folders['part_files']:,}"),
    ]


def _session_row(session: dict[str, Any]) -> list[str]:
    return [
        str(session["id"]),
        local_time(session["started_at"]),
        session["status"],
        session["command"],
        f"{session['downloaded']:,}",
        f"{session['failed']:,}",
        human_bytes(session["bytes"]),
    ]


_GROUPS = (
    ("By format", "by_format", "format"),
    ("By telescope", "by_telescope", "telescope"),
    ("Top objects", "by_object", "object"),
)


def _stats_lines(data: dict[str, Any]) -> Iterator[list[str]]:
    """``library PATH``, ``total NAME VALUE``, ``format|telescope|object NAME FILES SIZE``,
    ``integration OBJECT FRAMES EXPOSURE PER-FILTER``, ``filter NAME FRAMES EXPOSURE``,
    ``session ID STARTED STATUS COMMAND DOWNLOADED FAILED SIZE``: one a line."""
    yield ["library", str(data["library"])]
    for label, value in _totals(data):
        yield ["total", label.lower(), value]
    for _, key, kind in _GROUPS:
        for name, counts in data[key].items():
            yield [kind, name, f"{counts['files']:,}", human_bytes(counts["bytes"])]
    for row in _integration_rows(data):
        if row[0] != "All objects":
            yield ["integration", *row]
    for name, counts in data["by_filter"].items():
        yield ["filter", name, f"{counts['frames']:,}", exposure_text(counts["exposure_seconds"])]
    for session in data["recent_sessions"]:
        yield ["session", *_session_row(session)]


def _stats_tables(data: dict[str, Any]) -> None:
    from rich.columns import Columns
    from rich.markup import escape
    from rich.table import Table

    console = stdout_console()
    totals = Table(
        title=f"Library {escape(str(data['library']))}", show_header=False, title_justify="left"
    )
    for label, value in _totals(data):
        totals.add_row(label, value)
    console.print(totals)
    console.print(Columns([_group_table(title, data[key]) for title, key, _ in _GROUPS]))
    integration = _integration_rows(data)
    if integration:
        console.print(_integration_table(integration))
    sessions = Table(title="Recent sessions", title_justify="left")
    for column in ("#", "Started", "Status", "Command", "Downloaded", "Failed", "Size"):
        sessions.add_column(column, no_wrap=column in ("Started", "Command"))
    for session in data["recent_sessions"]:
        sessions.add_row(*(escape(cell) for cell in _session_row(session)))
    console.print(sessions)


def _integration_table(rows: list[tuple[str, str, str, str]]) -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Integration time (FITS frames)", title_justify="left")
    table.add_column("Object")
    table.add_column("Frames", justify="right")
    table.add_column("Exposure", justify="right")
    table.add_column("By filter")
    for row in rows:
        if row[0] == "All objects" and table.row_count:
            table.add_section()
        table.add_row(*(escape(cell) for cell in row))
    return table


def _group_table(title: str, groups: dict[str, dict[str, int]]) -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("Name")
    table.add_column("Files", justify="right")
    table.add_column("Size", justify="right")
    for name, counts in groups.items():
        table.add_row(escape(name), f"{counts['files']:,}", human_bytes(counts["bytes"]))
    return table


# --------------------------------------------------------------------------- verify


def group_problems(problems: Iterable[Any]) -> list[tuple[str, Path | None, list[str]]]:
    """``(key, path, messages)`` per file, in the order the files came: a file with three
    problems is one file with problems, not three."""
    grouped: dict[str, tuple[str, Path | None, list[str]]] = {}
    for problem in problems:
        entry = grouped.setdefault(problem.key, (problem.key, problem.path, []))
        entry[2].append(problem.message)
    return list(grouped.values())


def print_problems(checked: int, problems: list[Any], fix: bool) -> None:
    """``slooh verify``: one row per file with its problems joined; the hint after."""
    files = group_problems(problems)
    hint = (
        "Marked for re-download: run `slooh download` to repair them."
        if fix
        else "Run `slooh verify --fix` then `slooh download` to repair them."
    )
    if not files:
        message = f"All {plural(checked, 'tracked file')} are in order."
        if plain_output():
            stderr_console().print(message, markup=False)
        else:
            stdout_console().print(f"[green]{message}[/]")
        return
    heading = f"{plural(len(files), 'file')} with problems, of {plural(checked, 'tracked file')}"
    if plain_output():
        print_lines((str(path or key), "; ".join(messages)) for key, path, messages in files)
        stderr_console().print(f"{heading}. {hint}", markup=False, soft_wrap=True)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=heading, title_justify="left")
    table.add_column("File", overflow="fold")
    table.add_column("Problems", style="red", overflow="fold")
    for key, path, messages in files:
        table.add_row(escape(str(path or key)), escape("; ".join(messages)))
    console = stdout_console()
    console.print(table)
    console.print(hint)


# --------------------------------------------------------------------------- reorganize


def print_moves(moves: list[Any], report: Any, dry_run: bool, base: Path) -> None:
    """``slooh reorganize``: the moves (``from<TAB>to`` relative to the library through a
    pipe), and the tracked files that are missing."""
    from ..engine import relative_text  # here, not at the top: `slooh --help` stays quick

    console = stdout_console()
    missing = ""
    if report.missing:
        count = len(report.missing)
        missing = (
            f"{plural(count, 'tracked file')} {'is' if count == 1 else 'are'} "
            "missing (see `slooh verify`)."
        )
    title = _moved(moves, report, dry_run)
    stopped = "Interrupted: run `slooh reorganize` again to finish." if report.interrupted else ""
    if plain_output():
        print_lines((relative_text(m.source, base), relative_text(m.target, base)) for m in moves)
        err = stderr_console()
        for line in (f"{title}.", missing, stopped):
            if line:
                err.print(line, markup=False)
        return
    if not moves:
        console.print("Every file is already where the templates want it.")
    else:
        _moves_table(moves, title, base)
    for line in (missing, stopped):
        if line:
            console.print(f"[yellow]{line}[/]")


def _moved(moves: list[Any], report: Any, dry_run: bool) -> str:
    """``Would move 5 files``, ``Moved 5 files``, or ``Moved 3 of 5 files`` when stopped."""
    if dry_run:
        return f"Would move {plural(len(moves), 'file')}"
    if report.interrupted:
        return f"Moved {report.moved} of {plural(len(moves), 'file')}"
    return f"Moved {plural(report.moved, 'file')}"


def _moves_table(moves: list[Any], title: str, base: Path) -> None:
    from rich.markup import escape
    from rich.table import Table

    from ..engine import relative_text

    table = Table(title=title, title_justify="left")
    table.add_column("From", overflow="fold")
    table.add_column("To", overflow="fold")
    for move in moves[:MOVE_ROWS]:
        source, target = relative_text(move.source, base), relative_text(move.target, base)
        table.add_row(escape(source), escape(target))
    if len(moves) > MOVE_ROWS:
        table.caption = f"... and {plural(len(moves) - MOVE_ROWS, 'more file')}"
    stdout_console().print(table)
