"""Commands that download: ``download``, ``mission``, ``retry`` and ``demo``."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._command_options import (
    AfterOptions,
    DemoDestOpt,
    DemoPicturesOpt,
    DemoSeedOpt,
    DryRunOpt,
    ExecMissionOpt,
    ExecOpt,
    FormatOpt,
    LimitOpt,
    MetadataOpt,
    MissionIdArg,
    NoFitsOpt,
    ObjectOpt,
    RateOpt,
    SinceOpt,
    StartOpt,
    TelescopeOpt,
    ThreadsOpt,
    UntilOpt,
    overrides_of,
)
from ._common import (
    STATE,
    DestOpt,
    JsonOpt,
    fail,
    handle_errors,
    load,
    print_json,
    setup_logging,
    stderr_console,
    stdout_console,
)
from ._found import check_telescope, require_mission

if TYPE_CHECKING:
    from ..engine import DownloadRequest, RunSummary
    from ._display import NullProgress


QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the summary.")]


@handle_errors
def download(
    telescope: TelescopeOpt = None,
    object_: ObjectOpt = None,
    format_: FormatOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: LimitOpt = None,
    start: StartOpt = 1,
    dry_run: DryRunOpt = False,
    full_scan: Annotated[
        bool, typer.Option("--full-scan", help="List everything, not only what is new.")
    ] = False,
    all_: Annotated[
        bool, typer.Option("--all", help="Ignore the tracker and download everything again.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    no_fits: NoFitsOpt = False,
    fits_only: Annotated[
        bool, typer.Option("--fits-only", help="Only the FITS files of missions.")
    ] = False,
    dest: DestOpt = None,
    threads: ThreadsOpt = None,
    rate_limit: RateOpt = None,
    write_metadata: MetadataOpt = None,
    exec_file: ExecOpt = None,
    exec_mission: ExecMissionOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Download new pictures and their missions' FITS files (incremental sync).

    Example: slooh download --telescope "Chile Two" --since 7d
    """
    from ..engine import DownloadRequest

    if no_fits and fits_only:
        fail("--no-fits and --fits-only cannot be used together", 2)
    if since and until and since > until:
        fail(f"--since {since} is after --until {until}", 2)
    if all_ and not dry_run and not yes:
        _confirm_all()
    request = DownloadRequest(
        telescope=telescope,
        object=object_,
        format=format_.value if format_ else None,
        since=since,
        until=until,
        limit=limit,
        start=start,
        dry_run=dry_run,
        full_scan=full_scan,
        redownload_all=all_,
        fits="without" if no_fits else "only" if fits_only else "with",
    )
    overrides = overrides_of(dest, threads, rate_limit, write_metadata)
    after = AfterOptions(exec_file, exec_mission)
    summary = _execute(request, "download", json_, quiet, overrides, after=after)
    check_telescope(summary, telescope)
    _finish(summary, json_)


@handle_errors
def mission(
    mission_id: MissionIdArg,
    dry_run: DryRunOpt = False,
    no_fits: NoFitsOpt = False,
    dest: DestOpt = None,
    threads: ThreadsOpt = None,
    write_metadata: MetadataOpt = None,
    exec_file: ExecOpt = None,
    exec_mission: ExecMissionOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Download one mission's pictures and FITS files.

    Example: slooh mission 3996220
    """
    from ..engine import DownloadRequest

    request = DownloadRequest(
        mission_id=mission_id, dry_run=dry_run, fits="without" if no_fits else "with"
    )
    overrides = overrides_of(dest, threads, None, write_metadata)
    after = AfterOptions(exec_file, exec_mission)
    summary = _execute(request, "mission", json_, quiet, overrides, after=after)
    require_mission(summary, mission_id)
    _finish(summary, json_)


@handle_errors
def retry(
    dest: DestOpt = None,
    threads: ThreadsOpt = None,
    write_metadata: MetadataOpt = None,
    exec_file: ExecOpt = None,
    exec_mission: ExecMissionOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Download again every file that failed before, and report what still fails.

    Example: slooh retry
    """
    from ..engine import DownloadRequest
    from ..tracker import Tracker

    overrides = overrides_of(dest, threads, None, write_metadata)
    loaded = load(overrides, require_login=True)
    settings = loaded.settings
    if not settings.tracker_path.exists():
        fail(f"no tracker at {settings.tracker_path}: nothing was downloaded yet", 2)
    with Tracker.open(
        settings.tracker_path, base_path=settings.folders.base_path, lock=False
    ) as tracker:
        failed = frozenset(record.key for record in tracker.failed())
    if not failed:
        if json_:
            print_json({"failed_before": 0, "downloaded": 0, "failed": 0, "still_failing": []})
        else:
            stdout_console().print("Nothing to retry: no failed files.")
        return
    if not json_ and not quiet:
        stderr_console().print(f"Retrying {len(failed)} failed file(s)...")
    request = DownloadRequest(only_keys=failed)
    after = AfterOptions(exec_file, exec_mission)
    summary = _execute(request, "retry", json_, quiet, overrides, after=after)
    missing = len(failed) - summary.downloaded - summary.failed - summary.skipped_existing
    finished = not summary.interrupted and summary.fatal is None  # else not all was listed
    if not json_ and finished and missing > 0:
        stderr_console().print(
            f"[yellow]{missing} failed file(s) are no longer listed by Slooh.[/]"
        )
    _finish(
        summary,
        json_,
        extra={"failed_before": len(failed), "still_failing": [f["key"] for f in summary.failures]},
    )


def _confirm_all() -> None:
    if not sys.stdin.isatty():
        fail("--all downloads everything again; add --yes to confirm (no terminal to ask on)", 2)
    if not typer.confirm("Download every picture again, ignoring the tracker?", default=False):
        raise typer.Exit(1)


def _execute(
    request: DownloadRequest,
    command: str,
    json_: bool,
    quiet: bool,
    overrides: dict[str, Any],
    *,
    config_path: Path | None = None,
    after: AfterOptions | None = None,
) -> RunSummary:
    import anyio

    from ..engine import EventSink, Fanout, RunOptions, run_download
    from ._hooks import after_files
    from ._terminal import quit_now, restored_on_quit

    STATE.json_output, STATE.quiet = json_, quiet
    setup_logging()
    settings = load(overrides, require_login=True, config_path=config_path).settings
    if request.fits == "with" and not settings.download.fits:
        request = dataclasses.replace(request, fits="without")
    display = _display(settings.download.threads, json_ or quiet)
    hooks = None if request.dry_run else after_files(settings, *(after or AfterOptions()))
    events: EventSink = display if hooks is None else Fanout((display, hooks))
    options = RunOptions(command=command, handle_signals=True, on_quit=quit_now)
    summary: RunSummary | None = None
    with _open_tracker(settings, request.dry_run) as tracker, restored_on_quit(display.stop):
        display.start()
        try:
            summary = anyio.run(
                lambda: run_download(settings, tracker, request, events=events, options=options)
            )
        finally:
            display.stop()
            if hooks is not None:  # sidecars and commands still queued (not after Ctrl-C)
                hooks.close(finished=summary is not None and not summary.interrupted)
    if request.dry_run and not json_:
        _print_plan(summary, settings.folders.base_path)
    return summary


def _open_tracker(settings: Any, dry_run: bool) -> Any:
    """The library's tracker; a dry run on a new library uses a throwaway one (writes nothing)."""
    import tempfile
    from contextlib import contextmanager

    from ..tracker import Tracker

    @contextmanager
    def opened() -> Any:
        path = settings.tracker_path
        base = settings.folders.base_path
        if dry_run and not path.exists():
            with tempfile.TemporaryDirectory(prefix="slooh-dry-run-") as tmp:
                with Tracker.open(
                    Path(tmp) / "tracker.sqlite3", base_path=base, lock=False
                ) as tracker:
                    yield tracker
            return
        with Tracker.open(path, base_path=base, lock=not dry_run) as tracker:
            yield tracker

    return opened()


def _display(threads: int, silent: bool) -> NullProgress:
    from ._display import LogProgress, NullProgress, RichProgress

    if silent:
        return NullProgress()
    console = stderr_console()
    if console.is_terminal:
        return RichProgress(console, threads)
    return LogProgress()


def _finish(
    summary: RunSummary,
    json_: bool,
    *,
    extra: dict[str, Any] | None = None,
    after: Callable[[], None] | None = None,
) -> None:
    """Print the summary; exit 130 interrupted, the error's code, 1 if files failed, else 0."""
    from .._exceptions import SloohError

    if json_:
        print_json({**summary.to_json(), **(extra or {})})
    else:
        _print_summary(summary)
    if after is not None:
        after()
    fatal = summary.fatal
    if summary.interrupted:
        raise typer.Exit(130)
    if isinstance(fatal, SloohError):
        if json_:
            raise typer.Exit(fatal.exit_code)
        fail(str(fatal), fatal.exit_code)
    if fatal is not None:
        raise fatal
    if summary.failed:
        raise typer.Exit(1)


def _print_summary(summary: RunSummary) -> None:
    from rich.table import Table

    from ._common import human_bytes

    table = Table(
        title="Dry run: nothing was downloaded" if summary.dry_run else "Summary",
        show_header=False,
        title_justify="left",
    )
    table.add_column(style="bold")
    table.add_column(justify="right")
    rows = [
        ("Listed (matching)", summary.total_available),
        ("Already downloaded", summary.already_downloaded),
        ("Already on disk", summary.skipped_existing),
        ("Queued", summary.queued),
        ("Downloaded", summary.downloaded),
        ("Failed", summary.failed),
        ("Bytes", human_bytes(summary.total_bytes)),
        ("Time", f"{summary.elapsed_seconds:.1f} s"),
    ]
    for label, value in rows:
        table.add_row(
            label, f"[red]{value}[/]" if label == "Failed" and summary.failed else str(value)
        )
    if summary.interrupted:
        table.add_row("Interrupted", "[yellow]yes: run `slooh download` again to finish[/]")
    stdout_console().print(table)


def _print_plan(summary: RunSummary, base: Path) -> None:
    from rich.table import Table

    table = Table(title=f"Would download {len(summary.planned)} file(s) into {base}")
    table.add_column("File")
    table.add_column("Destination (relative)")
    table.add_column("Note")
    for planned in summary.planned[:500]:
        dest = planned.path or base
        try:
            where = str(dest.relative_to(base))
        except ValueError:
            where = str(dest)
        table.add_row(planned.file, where, planned.note or "")
    if len(summary.planned) > 500:
        table.caption = f"... and {len(summary.planned) - 500} more"
    stdout_console().print(table)


@handle_errors
def demo(
    dest: DemoDestOpt = Path("slooh-demo"),
    pictures: DemoPicturesOpt = 60,
    seed: DemoSeedOpt = 1,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Download the bundled fake Slooh server's catalog into ./slooh-demo (no network).

    Example: slooh demo --dest /tmp/demo
    """
    from ._demo import run_demo

    summary = run_demo(
        dest, pictures=pictures, seed=seed, json_=json_, quiet=quiet, execute=_execute
    )
    _finish(summary, json_, after=None if json_ else lambda: show_library(dest, quiet))


def show_library(dest: Path, quiet: bool) -> None:
    """The demo's closing words: the folder tree it made and what to try next."""
    from ._demo import render_tree

    if quiet:
        return
    console = stdout_console()
    console.print(render_tree(dest.expanduser().absolute()))
    console.print(
        f"\nThe demo library is in {dest}. Run `slooh demo` again: nothing is downloaded "
        f"twice. Then try `slooh stats --dest {dest}`.",
        markup=False,
    )
