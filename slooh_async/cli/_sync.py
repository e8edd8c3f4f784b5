"""Commands that download: ``download``, ``mission``, ``retry`` and ``demo``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._units import plural
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
    DestOpt,
    JsonOpt,
    fail,
    handle_errors,
    is_interactive,
    load,
    print_json,
    stderr_console,
    stdout_console,
)
from ._found import check_telescope, require_mission
from ._gallery import gallery_line
from ._report import RETRY_KEYS, RUN_KEYS, Output, RunOutcome, finish_run

if TYPE_CHECKING:
    from ..config import Settings
    from ..engine import DownloadRequest, EventSink
    from ..tracker import Tracker
    from ._display import Display


QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print only errors (nothing at all when all went well)."),
]
JsonLinesOpt = Annotated[
    bool,
    typer.Option(
        "--json-lines", help="One JSON event a line on stdout as the run goes (docs/events.md)."
    ),
]


@handle_errors(json_keys=RUN_KEYS)
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
    json_lines: JsonLinesOpt = False,
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
    if all_ and not dry_run and not yes and not _confirm_all():
        return
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
    output = Output(json_, json_lines, quiet)
    overrides = overrides_of(dest, threads, rate_limit, write_metadata)
    outcome = _execute(
        request, "download", output, overrides, after=AfterOptions(exec_file, exec_mission)
    )
    check_telescope(outcome.summary, telescope)
    _finish(outcome, output)


@handle_errors(json_keys=RUN_KEYS)
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
    json_lines: JsonLinesOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Download one mission's pictures and FITS files.

    Example: slooh mission 3996220
    """
    from ..engine import DownloadRequest

    request = DownloadRequest(
        mission_id=mission_id, dry_run=dry_run, fits="without" if no_fits else "with"
    )
    output = Output(json_, json_lines, quiet)
    overrides = overrides_of(dest, threads, None, write_metadata)
    outcome = _execute(
        request, "mission", output, overrides, after=AfterOptions(exec_file, exec_mission)
    )
    require_mission(outcome.summary, mission_id)
    _finish(outcome, output)


@handle_errors(json_keys=RETRY_KEYS)
def retry(
    dest: DestOpt = None,
    threads: ThreadsOpt = None,
    write_metadata: MetadataOpt = None,
    exec_file: ExecOpt = None,
    exec_mission: ExecMissionOpt = None,
    json_: JsonOpt = False,
    json_lines: JsonLinesOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Download again every file that failed before, and report what still fails.

    Example: slooh retry
    """
    from ..engine import DownloadRequest, RunSummary
    from ..tracker import Tracker

    output = Output(json_, json_lines, quiet)
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
        if output.machine:
            empty = RunOutcome(RunSummary(), settings.folders.base_path)
            print_json({**empty.document(), "failed_before": 0, "still_failing": []})
        elif not quiet:
            stdout_console().print("Nothing to retry: no failed files.")
        return
    if not output.machine and not quiet:
        stderr_console().print(f"Retrying {plural(len(failed), 'failed file')}...")
    request = DownloadRequest(only_keys=failed)
    after = AfterOptions(exec_file, exec_mission)
    outcome = _execute(
        request, "retry", output, overrides, after=after, expected=len(failed), settings=settings
    )
    summary = outcome.summary
    missing = len(failed) - summary.downloaded - summary.failed - summary.skipped_existing
    finished = not summary.interrupted and summary.fatal is None  # else not all was listed
    if not output.machine and not quiet and finished and missing > 0:
        stderr_console().print(
            f"[yellow]{plural(missing, 'failed file')} "
            f"{'is' if missing == 1 else 'are'} no longer listed by Slooh.[/]"
        )
    still_failing = [failure["key"] for failure in summary.failures]
    _finish(outcome, output, {"failed_before": len(failed), "still_failing": still_failing})


def _finish(outcome: RunOutcome, output: Output, extra: dict[str, Any] | None = None) -> None:
    """Report a sync run, then say where its refreshed gallery is."""
    finish_run(outcome, output, extra=extra, after=lambda: gallery_line(outcome, output))


def _confirm_all() -> bool:
    """``--all`` asks first (on stderr: stdout may be a JSON document); a "no" changes
    nothing and is not an error: it says so and the command ends with 0."""
    if not is_interactive():
        fail("--all downloads everything again; add --yes to confirm (no terminal to ask on)", 2)
    if typer.confirm(
        "Download every picture again, ignoring the tracker?", default=False, err=True
    ):
        return True
    stderr_console().print("aborted, nothing changed")
    return False


def _execute(
    request: DownloadRequest,
    command: str,
    output: Output,
    overrides: dict[str, Any],
    *,
    config_path: Path | None = None,
    after: AfterOptions | None = None,
    expected: int | None = None,
    settings: Settings | None = None,
) -> RunOutcome:
    """Run a download with the display the output asks for; the outcome to report.

    ``expected``: the files the command knows it will fetch (retry), for the estimate.
    ``settings``: already loaded by the command (retry), else loaded here.
    """
    import anyio

    from ..engine import Fanout, RunOptions, run_download
    from ._gallery import refresh_after_run
    from ._hooks import after_files
    from ._report import print_plan
    from ._terminal import quit_now, restored_on_quit

    if settings is None:
        settings = load(overrides, require_login=True, config_path=config_path).settings
    if request.fits == "with" and not settings.download.fits:
        request = dataclasses.replace(request, fits="without")
    outcome, display, events = _reporting(settings, request, command, output, expected)
    hooks = None if request.dry_run else after_files(settings, *(after or AfterOptions()))
    if hooks is not None:
        events = Fanout((events, hooks))
    options = RunOptions(command=command, handle_signals=True, on_quit=quit_now)
    finished = False
    with _open_tracker(settings, request.dry_run) as tracker, restored_on_quit(display.stop):
        display.start()
        try:
            outcome.summary = anyio.run(
                lambda: run_download(settings, tracker, request, events=events, options=options)
            )
            finished = not outcome.summary.interrupted
        finally:
            display.stop()
            if hooks is not None:  # sidecars and commands still queued (not after Ctrl-C)
                hooks.close(finished=finished)
    if request.dry_run and not output.machine and not output.quiet:
        print_plan(outcome)
    refresh_after_run(settings, outcome, output, always=command == "demo")
    return outcome


def _reporting(
    settings: Settings,
    request: DownloadRequest,
    command: str,
    output: Output,
    expected: int | None,
) -> tuple[RunOutcome, Display, EventSink]:
    """What listens to the run: its forecast, the display, the ``--json`` file list (only
    then: a long run does not keep an entry per file for nothing)."""
    from ..engine import Fanout, FileList, Forecast, RunSummary
    from ._display import DisplayChoice, choose_display
    from ._words import Budget

    download = settings.download
    base = settings.folders.base_path
    budget = Budget(download.rate_limit, download.download_rate_limit)
    forecast = Forecast(expected=expected, limit=request.limit)
    files = FileList() if output.json else None
    choice = DisplayChoice(
        output,
        base,
        download.threads,
        budget,
        request.dry_run,
        command,
    )
    display = choose_display(choice, forecast)
    events = Fanout([forecast, display, *([files] if files is not None else [])])
    return RunOutcome(RunSummary(), base, forecast, budget, files), display, events


@contextmanager
def _open_tracker(settings: Settings, dry_run: bool) -> Iterator[Tracker]:
    """The library's tracker; a dry run on a new library uses a throwaway one (writes nothing)."""
    import tempfile

    from ..tracker import Tracker

    path = settings.tracker_path
    base = settings.folders.base_path
    if dry_run and not path.exists():
        with tempfile.TemporaryDirectory(prefix="slooh-dry-run-") as tmp:
            with Tracker.open(Path(tmp) / "tracker.sqlite3", base_path=base, lock=False) as tracker:
                yield tracker
        return
    with Tracker.open(path, base_path=base, lock=not dry_run) as tracker:
        yield tracker


@handle_errors(json_keys=RUN_KEYS)
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

    output = Output(json_, False, quiet)
    outcome = run_demo(dest, pictures=pictures, seed=seed, output=output, execute=_execute)
    finish_run(
        outcome, output, after=None if json_ else lambda: show_library(dest, quiet, outcome)
    )


def show_library(dest: Path, quiet: bool, outcome: RunOutcome | None = None) -> None:
    """The demo's closing words: the folder tree it made, its gallery, what to try next."""
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
    if outcome is not None and outcome.gallery is not None:
        console.print(
            f"\nIts gallery (open it in a web browser, or run "
            f"`slooh gallery --open --dest {dest}`):\n{outcome.gallery}",
            markup=False,
            soft_wrap=True,
        )
