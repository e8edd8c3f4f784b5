"""``slooh gallery``: the library's offline HTML view; and its refresh after a download.

The gallery package builds (after reading the FITS headers the tracker lacks and storing
them there: the one-time backfill); this module opens the tracker and says where the gallery
is. One build at a time per library (a lock file beside the gallery); the tracker is opened
without the library lock, like ``stats``, because the only thing written to it is header
rows, facts about files that a running download does not contradict.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._units import plural
from ._common import (
    DestOpt,
    JsonOpt,
    fail,
    handle_errors,
    load,
    plain_output,
    print_json,
    print_lines,
    stderr_console,
    stdout_console,
    warn,
)
from ._progress import PhaseProgress, phase_progress

if TYPE_CHECKING:
    from ..config import Settings
    from ..gallery import GalleryReport
    from ._report import Output, RunOutcome

__all__ = [
    "GALLERY_KEYS",
    "build_library_gallery",
    "gallery",
    "gallery_line",
    "refresh_after_run",
]

log = logging.getLogger("slooh_async.cli")

#: ``gallery --json``'s keys (``error`` and ``exit_code`` come on top)
GALLERY_KEYS = (
    "library",
    "url",
    "index",
    "objects",
    "files",
    "pages_written",
    "pages_unchanged",
    "pages_removed",
    "previews_made",
    "previews_kept",
    "previews_removed",
    "headers_read",
    "headers_stored",
    "elapsed_seconds",
    "problems",
    "opened",
)
#: problems shown as warnings (all of them are in ``--json``)
_SHOWN_PROBLEMS = 20
_LOCK_NAME = "gallery.lock"

QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only errors (no progress, no URL).")
]
OpenOpt = Annotated[
    bool, typer.Option("--open", help="Open the gallery in your default web browser.")
]


def _document(report: GalleryReport) -> dict[str, Any]:
    """The ``--json`` keys of a build (``GALLERY_KEYS`` but ``library``, ``opened``)."""
    return {
        "url": report.url,
        "index": str(report.index.absolute()),
        "objects": report.objects,
        "files": report.files,
        "pages_written": report.pages_written,
        "pages_unchanged": report.pages_unchanged,
        "pages_removed": report.pages_removed,
        "previews_made": report.previews_made,
        "previews_kept": report.previews_kept,
        "previews_removed": report.previews_removed,
        "headers_read": report.headers_read,
        "headers_stored": report.headers_stored,
        "elapsed_seconds": round(report.elapsed, 3),
        "problems": report.problems,
    }


@handle_errors(json_keys=GALLERY_KEYS)
def gallery(
    open_: OpenOpt = False,
    dest: DestOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write the gallery: pages of your objects, previews of pictures and FITS frames,
    a table of every file. Open index.html at the library's root in any browser.

    Example: slooh gallery --open
    """
    settings = load({"folders.base_path": str(dest) if dest else None}).settings
    base = settings.folders.base_path
    if not base.is_dir() or not settings.tracker_path.exists():
        fail(
            f"no library at {base}: `slooh download` starts one there "
            "(or give the library with --dest)",
            2,
        )
    with phase_progress(quiet=quiet or json_) as progress:
        report = build_library_gallery(settings, progress)
    opened = _open_browser(report.url) if open_ else False
    if json_:
        print_json({"library": str(base), **_document(report), "opened": opened})
        return
    _show_problems(report.problems)
    if not quiet:
        _say_built(report)


def _open_browser(url: str) -> bool:
    import webbrowser

    try:
        opened = webbrowser.open(url)
    except webbrowser.Error:
        opened = False
    if not opened:
        warn(f"no web browser could be opened: open {url} yourself")
    return opened


def _show_problems(problems: list[str]) -> None:
    for problem in problems[:_SHOWN_PROBLEMS]:
        warn(problem)
    if len(problems) > _SHOWN_PROBLEMS:
        more = plural(len(problems) - _SHOWN_PROBLEMS, "more problem")
        warn(f"... and {more} (slooh gallery --json lists them all)")


def _say_built(report: GalleryReport) -> None:
    """The URL alone on stdout through a pipe (``xdg-open "$(slooh gallery)"``), the counts
    on stderr; on a terminal, one sentence."""
    counts = (
        f"{plural(report.objects, 'object')}, {plural(report.files, 'file')}; "
        f"{plural(report.previews_made, 'preview')} made, "
        f"{plural(report.pages_written, 'page')} written in {report.elapsed:.1f} s"
    )
    if plain_output():
        stderr_console().print(f"Gallery: {counts}", markup=False, soft_wrap=True)
        print_lines([[report.url]])
        return
    console = stdout_console()
    console.print(f"Gallery: {counts}", markup=False, soft_wrap=True)
    console.print(report.url, markup=False, soft_wrap=True)


# --------------------------------------------------------------------------- building


def build_library_gallery(settings: Settings, progress: PhaseProgress) -> GalleryReport:
    """Bring the gallery of the library up to date (the FITS headers the tracker lacks are
    read and stored first: the backfill)."""
    from ..gallery import build_gallery
    from ..tracker import Tracker

    base = settings.folders.base_path
    with _build_lock(base), Tracker.open(
        settings.tracker_path, base_path=base, lock=False
    ) as tracker:
        return build_gallery(tracker, index_name=settings.gallery.index_name, progress=progress)


@contextmanager
def _build_lock(base: Path) -> Iterator[None]:
    """One gallery build at a time in a library (a second is refused, exit 2)."""
    import filelock

    from .._exceptions import LibraryLockedError

    folder = base / ".slooh"
    folder.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(folder / _LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise LibraryLockedError(
            f"another slooh is building the gallery of {base}; wait for it to finish"
        ) from None
    try:
        yield
    finally:
        lock.release()


# --------------------------------------------------------------------------- after a run


def refresh_after_run(
    settings: Settings, outcome: RunOutcome, output: Output, *, always: bool = False
) -> None:
    """``gallery.auto``: refresh the gallery after a run that downloaded something (not a
    dry run, not an interrupted one); ``always`` for the demo. The URL goes to
    ``outcome.gallery``; a failure is a warning, never the run's exit code."""
    summary = outcome.summary
    wanted = always or (settings.gallery.auto and summary.downloaded > 0)
    if not wanted or summary.dry_run or summary.interrupted:
        return
    try:
        with phase_progress(quiet=output.quiet or output.machine) as progress:
            report = build_library_gallery(settings, progress)
    except (Exception, KeyboardInterrupt) as exc:
        # whatever stops the gallery (a full disk, a locked build, Ctrl-C now, a bug), the
        # files are downloaded and recorded: the run is reported as it went
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
        log.info("gallery not refreshed: %s", reason, exc_info=not _expected(exc))
        message = f"gallery not refreshed: {reason or type(exc).__name__}"
        summary.warnings.append(message)
        warn(message)
        return
    outcome.gallery = report.url
    if not output.machine:
        _show_problems(report.problems)


def _expected(exc: BaseException) -> bool:
    """Failures a user meets (their message says it all), as opposed to bugs."""
    from .._exceptions import SloohError

    return isinstance(exc, SloohError | OSError | KeyboardInterrupt)


def gallery_line(outcome: RunOutcome, output: Output) -> None:
    """After a run's summary: where its refreshed gallery is (nothing with ``--quiet``)."""
    if outcome.gallery is None or output.quiet or output.machine:
        return
    if plain_output():
        print_lines([["Gallery", outcome.gallery]])
    else:
        stdout_console().print(f"Gallery: {outcome.gallery}", markup=False, soft_wrap=True)
