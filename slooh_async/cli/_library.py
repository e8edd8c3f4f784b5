"""Commands about the library on disk: stats, verify, import-tracker, export, reorganize."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .._units import plural
from ._command_options import (
    ExportFormat,
    ExportFormatOpt,
    ExportOutputOpt,
    LegacyRootOpt,
    LegacyTrackerArg,
    StatusOpt,
)
from ._common import (
    DestOpt,
    JsonOpt,
    fail,
    handle_errors,
    load,
    print_json,
    stderr_console,
    stdout_console,
    warn,
)
from ._listing import group_problems, print_moves, print_problems, print_stats
from ._progress import PhaseProgress, phase_progress

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..config import Settings
    from ..tracker import Header, Tracker, VerifyProblem


def _settings(dest: Path | None) -> Settings:
    return load({"folders.base_path": str(dest) if dest else None}).settings


@contextmanager
def _tracker(
    settings: Settings, *, lock: bool, must_exist: bool = True, read_only: bool = False
) -> Iterator[Tracker]:
    """The library's tracker; ``read_only`` for commands that only look (they work on a
    library whose folder cannot be written)."""
    from ..tracker import Tracker

    if must_exist and not settings.tracker_path.exists():
        fail(
            f"no tracker at {settings.tracker_path}: run `slooh download` first "
            f"(or give the library with --dest)",
            2,
        )
    with Tracker.open(
        settings.tracker_path, base_path=settings.folders.base_path, lock=lock, read_only=read_only
    ) as tracker:
        yield tracker


#: ``stats --json``'s keys (``error`` and ``exit_code`` come on top)
STATS_KEYS = (
    "total_images",
    "total_bytes",
    "failed",
    "pending",
    "sessions",
    "last_download",
    "success_rate",
    "total_objects",
    "by_format",
    "by_telescope",
    "by_object",
    "recent_sessions",
    "total_records",
    "library",
    "folders",
)


@handle_errors(json_keys=STATS_KEYS)
def stats(dest: DestOpt = None, json_: JsonOpt = False) -> None:
    """Totals of your library: files, bytes, formats, telescopes, objects, integration time.

    Example: slooh stats --json
    """
    from ..engine import scan_library
    from ..organizer import FileOrganizer
    from ..tracker import Tracker, TrackerStats

    settings = _settings(dest)
    base = settings.folders.base_path
    if not base.is_dir():
        fail(
            f"no library at {base}: `slooh download` starts one there "
            "(or give the library with --dest)",
            2,
        )
    gallery_index = frozenset({settings.gallery.index_name})
    folders = scan_library(FileOrganizer(settings.folders), not_files=gallery_index)
    if settings.tracker_path.exists():
        with Tracker.open(
            settings.tracker_path, base_path=settings.folders.base_path, lock=False, read_only=True
        ) as tracker:
            figures = tracker.stats()
            records = tracker.count()
    else:
        figures = TrackerStats(0, 0, 0, 0, 0, None, None, 0)
        records = 0
    data = {
        **figures.to_json(),
        "total_records": records,
        "library": str(settings.folders.base_path),
        "folders": {
            "files": folders.files,
            "bytes": folders.bytes,
            "part_files": folders.part_files,
            "part_bytes": folders.part_bytes,
            "by_format": folders.by_format,
        },
    }
    if json_:
        print_json(data)
        return
    print_stats(data)


@handle_errors(
    json_keys=(
        "library",
        "checked",
        "files_with_problems",
        "problems",
        "fixed",
        "headers_stored",
    )
)
def verify(
    fix: Annotated[bool, typer.Option("--fix", help="Mark problem files for re-download.")] = False,
    no_hash: Annotated[bool, typer.Option("--no-hash", help="Skip hash checks (faster).")] = False,
    dest: DestOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Check every tracked file on disk: exists, size, hash, FITS/PNG/JPEG sanity.

    Also reads the FITS headers the tracker does not hold yet (once). Exit code 1 when
    problems are found. Example: slooh verify --fix && slooh download
    """
    from ..engine import VERIFY_MARK

    settings = _settings(dest)
    with phase_progress(quiet=json_) as progress, _tracker(
        settings, lock=fix, read_only=not fix
    ) as tracker:
        problems, headers = _check_files(tracker, not no_hash, progress)
        checked = tracker.count("done")
        if fix and problems:
            for problem in problems:
                tracker.mark_for_redownload(
                    [problem.key], reason=f"{VERIFY_MARK} {problem.message}"
                )
        stored = tracker.store_fits_headers(headers) if fix else 0
    if headers and not fix:
        stored = _store_headers(settings, headers)
    files = len(group_problems(problems))
    code = 1 if problems else 0
    if json_:
        print_json(
            {
                "library": str(settings.folders.base_path),
                "checked": checked,
                "files_with_problems": files,
                "problems": [
                    {"key": p.key, "path": str(p.path) if p.path else None, "message": p.message}
                    for p in problems
                ],
                "fixed": files if fix else 0,
                "headers_stored": stored,
            },
            exit_code=code,
        )
    else:
        print_problems(checked, problems, fix)
    if code:
        raise typer.Exit(code)


def _check_files(
    tracker: Tracker, check_hash: bool, progress: PhaseProgress
) -> tuple[list[VerifyProblem], dict[str, Header]]:
    """Every done file checked; the FITS headers the tracker lacks read (the backfill),
    an unreadable one named as a problem of its file."""
    from ..tracker import VerifyProblem, read_headers, verify_library

    total = tracker.count("done")
    missing = tracker.fits_headers_missing()
    headers: dict[str, Header] = {}
    problems = verify_library(
        tracker,
        check_hash=check_hash,
        progress=lambda done: progress("verify", done, total),
        headers_of={record.key for record in missing},
        on_header=headers.__setitem__,
    )
    # the frames whose check stopped before their content (an empty file...) are read alone
    rest = [record for record in missing if record.key not in headers]
    headers |= read_headers(rest, lambda done, total: progress("headers", done, total))
    named = {problem.key for problem in problems}
    paths = {record.key: record.path for record in missing}
    problems += [
        VerifyProblem(key, paths.get(key), header)
        for key, header in headers.items()
        if isinstance(header, str) and key not in named
    ]
    return problems, headers


def _store_headers(settings: Settings, headers: dict[str, Header]) -> int:
    """The headers the check read, stored through a writable tracker (the check itself
    only reads); a library that cannot be written keeps working, with a warning."""
    from .._exceptions import SloohError
    from ..tracker import Tracker

    try:
        with Tracker.open(
            settings.tracker_path, base_path=settings.folders.base_path, lock=False
        ) as tracker:
            return tracker.store_fits_headers(headers)
    except SloohError as exc:
        warn(f"the FITS headers read could not be stored in the tracker: {exc}")
        return 0


@handle_errors(
    json_keys=(
        "records_total",
        "imported",
        "already_present",
        "found_on_disk",
        "moved",
        "missing",
        "sessions_imported",
        "problems",
        "tracker_records",
        "tracker_sessions",
    )
)
def import_tracker(
    path: LegacyTrackerArg,
    move: Annotated[
        bool, typer.Option("--move", help="Move found files into the new layout.")
    ] = False,
    legacy_root: LegacyRootOpt = None,
    trust_missing: Annotated[
        bool, typer.Option("--trust-missing", help="Count files not found as downloaded anyway.")
    ] = False,
    dest: DestOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Import the tracker of the earlier IronPython/.NET downloader (idempotent).

    Example: slooh import-tracker download_tracker.json --legacy-root /mnt/d/Slooh --move
    """
    from ..engine import Placement, picture_from_record
    from ..organizer import FileOrganizer
    from ..tracker import ImageRow, import_legacy

    settings = _settings(dest)
    placement = Placement(FileOrganizer(settings.folders))

    def move_to(row: ImageRow) -> Path:
        return placement.get_destination_path(picture_from_record(row))

    roots = [settings.folders.base_path, *(legacy_root or [])]
    with _tracker(settings, lock=True, must_exist=False) as tracker:
        report = import_legacy(
            tracker,
            path,
            move_to=move_to if move else None,
            search_roots=roots,
            trust_missing=trust_missing,
        )
        records, sessions = tracker.count(), len(tracker.sessions())
    data = {**report.to_json(), "tracker_records": records, "tracker_sessions": sessions}
    if json_:
        print_json(data)
        return
    from rich.table import Table

    table = Table(title=f"Imported {path.name}", show_header=False, title_justify="left")
    for key, value in data.items():
        if not isinstance(value, list):
            table.add_row(key.replace("_", " ").capitalize(), str(value))
    stdout_console().print(table)
    for problem in report.problems[:20]:
        warn(problem)


@handle_errors
def export(
    format_: ExportFormatOpt = ExportFormat.csv,
    output: ExportOutputOpt = None,
    status: StatusOpt = None,
    dest: DestOpt = None,
) -> None:
    """Export the tracker's records for spreadsheets and scripts.

    Example: slooh export --format csv -o library.csv
    """
    from ..tracker import export_records
    from ._files import write_replacing

    settings = _settings(dest)
    wanted = status.value if status else None
    with _tracker(settings, lock=False, read_only=True) as tracker:
        if output is None:
            export_records(tracker, format_.value, sys.stdout, status=wanted)
            return
        count = write_replacing(
            output, lambda out: export_records(tracker, format_.value, out, status=wanted)
        )
    stderr_console().print(f"Wrote {plural(count, 'record')} to {output}", markup=False)


@handle_errors(
    json_keys=(
        "planned",
        "moved",
        "missing",
        "removed_folders",
        "recovered",
        "interrupted",
        "moves",
    )
)
def reorganize(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Show the moves; move nothing.")
    ] = False,
    dest: DestOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Move downloaded files to the layout the current templates describe.

    Example: slooh reorganize --dry-run
    """
    from ..engine import (
        ReorganizeReport,
        apply_moves,
        plan_reorganize,
        recover_journal,
        stop_requested,
    )
    from ..organizer import FileOrganizer

    settings = _settings(dest)
    # Ctrl-C or SIGTERM: stop after the file being moved (exit 130); again: at once (the
    # journal lets the next run point the tracker at wherever each file is)
    with stop_requested() as stop, _tracker(settings, lock=True) as tracker:
        recovered = 0 if dry_run else recover_journal(tracker)
        moves, missing = plan_reorganize(tracker, FileOrganizer(settings.folders))
        if dry_run:
            report = ReorganizeReport(planned=len(moves), missing=missing, interrupted=stop())
        else:
            report = apply_moves(tracker, moves, stop=stop)
            report.missing = missing
        report.recovered = recovered
    code = 130 if report.interrupted else 0
    if json_:
        print_json(
            {
                **report.to_json(),
                "moves": [
                    {"key": m.key, "from": str(m.source), "to": str(m.target)} for m in moves
                ],
            },
            exit_code=code,
        )
    else:
        print_moves(moves, report, dry_run, settings.folders.base_path)
    if code:
        raise typer.Exit(code)
