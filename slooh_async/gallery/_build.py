"""Building the gallery: bring the tracker's FITS headers up to date, make what previews are
missing (in parallel processes), render the pages, write what changed, remove what is stale.

The gallery reads no header itself: the tracker holds each frame's (read once, by the
download or by the backfill :func:`build_gallery` runs first). A rebuild with nothing new
reads the tracker, ``stat``s each file, renders the pages in memory and compares them with
the files on disk: it starts no process, imports neither astropy nor numpy, and writes
nothing.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from ..media import FitsSummary
from ..tracker import Header, ImageRecord, SessionRecord, Tracker, object_label, read_headers
from . import _cache
from ._cache import GALLERY_DIR, FileState, file_state, identity, preview_name
from ._files import write_if_changed
from ._model import Item, build_site
from ._pages import render_pages
from ._previews import PreviewKind, PreviewTask, make_preview

__all__ = ["GalleryReport", "Progress", "build_gallery", "write_gallery"]

#: ``progress(phase, done, total)``: phase is ``"headers"``, ``"previews"`` or ``"pages"``.
Progress = Callable[[str, int, int], None]
#: Recent download sessions shown on the home page.
_SESSIONS = 12
#: Fewer previews than this are made in this process: starting a worker (a new interpreter
#: importing numpy, astropy and Pillow) costs about what 20 small previews do.
_POOL_THRESHOLD = 24
_COLOUR_FILTERS = ("R", "G", "B")


@dataclass(frozen=True, slots=True)
class GalleryReport:
    """What a build did. ``headers_read`` counts the FITS headers read from the files (the
    backfill of :func:`build_gallery`), ``headers_stored`` those that reached the tracker."""

    index: Path
    objects: int
    files: int
    pages_written: int
    pages_unchanged: int
    pages_removed: int
    previews_made: int
    previews_kept: int
    previews_removed: int
    elapsed: float
    headers_read: int = 0
    headers_stored: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The home page as a ``file://`` URL, to print or open."""
        return self.index.absolute().as_uri()


def build_gallery(
    tracker: Tracker,
    *,
    index_name: str = "index.html",
    workers: int | None = None,
    progress: Progress | None = None,
) -> GalleryReport:
    """Build (or bring up to date) the gallery of the library ``tracker`` describes: its
    ``done`` files, their FITS headers and recent sessions.

    The headers of frames the tracker has none for (an older tracker, a legacy import) are
    read and stored first: the backfill, so the tracker must be writable (opened without the
    library's lock is enough). See :func:`write_gallery` for the other arguments.
    """
    started = time.perf_counter()
    _check_index_name(index_name)
    read, stored = _backfill(tracker, progress)
    records = list(tracker.iter_records("done"))
    report = write_gallery(
        tracker.base_path, records, tracker.sessions(limit=_SESSIONS), tracker.fits_headers(),
        index_name=index_name, workers=workers, progress=progress,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    return dataclasses.replace(report, headers_read=read, headers_stored=stored, elapsed=elapsed)


def write_gallery(
    root: Path,
    records: Sequence[ImageRecord],
    sessions: Sequence[SessionRecord],
    headers: Mapping[str, Header],
    *,
    index_name: str = "index.html",
    workers: int | None = None,
    progress: Progress | None = None,
) -> GalleryReport:
    """Write the gallery of ``records`` into the library at ``root``: ``root/index_name`` and
    everything else under ``root/.slooh/gallery/``.

    ``headers`` are the FITS headers the tracker holds, by key (``Tracker.fits_headers``): a
    frame without one shows no exposure and gets no preview, one whose header could not be
    read is one of the report's problems. ``workers`` caps the preview processes (``None``:
    up to 4, by CPU; 1: none, all in this process). Synchronous and CPU-bound: call it in a
    worker thread from async code. Raises ``ValueError`` for an ``index_name`` that is not a
    file name.
    """
    started = time.perf_counter()
    _check_index_name(index_name)
    gallery = root / GALLERY_DIR
    _cache.remove_old_header_cache(gallery)
    states = {record.key: file_state(record.path) for record in records}
    summaries, problems = _summaries(records, states, headers)
    plan = _plan(root, records, states, summaries)
    made, preview_problems = _make_previews(plan, workers, progress)
    removed = _cache.remove_stale(gallery, plan.found, plan.all_names())
    items = [_item(root, record, states[record.key], summaries, plan) for record in records]
    site = build_site(items, sessions, plan.colours)
    written, unchanged, pages_removed = _write_pages(render_pages(site, root, index_name), root)
    if progress:
        progress("pages", written + unchanged, written + unchanged)
    return GalleryReport(
        index=root / index_name, objects=len(site.objects), files=len(items),
        pages_written=written, pages_unchanged=unchanged, pages_removed=pages_removed,
        previews_made=made, previews_kept=plan.kept, previews_removed=removed,
        elapsed=time.perf_counter() - started, problems=problems + preview_problems,
    )  # fmt: skip


def _check_index_name(index_name: str) -> None:
    """Refuse an ``index_name`` that is not a plain file name (``ValueError``)."""
    if not index_name or PurePath(index_name).name != index_name or index_name.startswith("."):
        raise ValueError(f"the gallery's index must be a plain file name, not {index_name!r}")


# --------------------------------------------------------------------------- headers


def _backfill(tracker: Tracker, progress: Progress | None) -> tuple[int, int]:
    """Read and store the headers of the ``done`` frames the tracker has none for; returns
    how many were read and how many stored."""

    def reading(done: int, total: int) -> None:
        if progress:
            progress("headers", done, total)

    found = read_headers(tracker.fits_headers_missing(), reading)
    return len(found), tracker.store_fits_headers(found)


def _summaries(
    records: Sequence[ImageRecord],
    states: Mapping[str, FileState],
    headers: Mapping[str, Header],
) -> tuple[dict[str, FitsSummary], list[str]]:
    """The header summary of each frame the tracker has one for; a problem for each frame
    on disk whose header could not be read."""
    summaries: dict[str, FitsSummary] = {}
    problems: list[str] = []
    for record in records:
        header = headers.get(record.key)
        if isinstance(header, FitsSummary):
            summaries[record.key] = header
        elif header is not None and states[record.key].exists:
            problems.append(f"{record.path}: {header}")
    return summaries, problems


# --------------------------------------------------------------------------- previews


@dataclass(slots=True)
class _Plan:
    """Each file's preview, each mission's colour composite, and the ones still to make;
    ``found``: the previews folder's files before the build (listed once)."""

    gallery: Path
    found: set[str] = field(default_factory=set)
    previews: dict[str, str] = field(default_factory=dict)
    colours: dict[tuple[int | None, str], str] = field(default_factory=dict)
    tasks: list[PreviewTask] = field(default_factory=list)
    kept: int = 0

    def all_names(self) -> set[str]:
        """Every preview the plan names (relative to the gallery folder)."""
        return set(self.previews.values()) | set(self.colours.values())

    def drop(self, names: set[str]) -> None:
        """Forget previews that could not be made."""
        self.previews = {k: v for k, v in self.previews.items() if v not in names}
        self.colours = {k: v for k, v in self.colours.items() if v not in names}


def _plan(
    root: Path,
    records: Sequence[ImageRecord],
    states: Mapping[str, FileState],
    summaries: Mapping[str, FitsSummary],
) -> _Plan:
    plan = _Plan(root / GALLERY_DIR, _cache.existing_previews(root / GALLERY_DIR))
    planned: set[str] = set()

    def want(kind: PreviewKind, sources: list[ImageRecord]) -> str:
        name = preview_name(kind, [identity(r, states[r.key]) for r in sources])
        if name in plan.found:
            plan.kept += 1
        elif name not in planned:  # two files with the same bytes share one preview
            planned.add(name)
            paths = tuple(str(r.path) for r in sources)
            plan.tasks.append(PreviewTask(kind, paths, str(root / GALLERY_DIR / name)))
        return name

    for record in records:
        if not states[record.key].exists:
            continue
        if record.is_fits and record.key in summaries:
            plan.previews[record.key] = want("fits", [record])
        elif not record.is_fits and record.format.upper() in ("PNG", "JPEG"):
            plan.previews[record.key] = want("picture", [record])
    for group, frames in _colour_sets(records, states, summaries).items():
        plan.colours[group] = want("colour", frames)
    return plan


def _colour_sets(
    records: Sequence[ImageRecord],
    states: Mapping[str, FileState],
    summaries: Mapping[str, FitsSummary],
) -> dict[tuple[int | None, str], list[ImageRecord]]:
    """R, G and B frames of one size per (mission, instrument): the newest of each filter."""
    groups: dict[tuple[int | None, str], dict[str, ImageRecord]] = {}
    for record in sorted(records, key=lambda r: (r.observed_at is None, r.observed_at, r.key)):
        band = (record.filter or "").upper()
        if band in _COLOUR_FILTERS and record.key in summaries and states[record.key].exists:
            groups.setdefault((record.mission_id, record.instrument), {})[band] = record
    sets = {}
    for group, bands in groups.items():
        if len(bands) == 3:
            frames = [bands[band] for band in _COLOUR_FILTERS]
            sizes = {(summaries[f.key].naxis1, summaries[f.key].naxis2) for f in frames}
            if len(sizes) == 1 and None not in next(iter(sizes)):
                sets[group] = frames
    return sets


def _make_previews(
    plan: _Plan, workers: int | None, progress: Progress | None
) -> tuple[int, list[str]]:
    """Make the plan's previews, in worker processes when there are enough of them.

    Returns how many were made and the problems of the others, which leave the plan (their
    pages show a placeholder; the next build tries them again).
    """
    count = workers if workers is not None else min(4, os.cpu_count() or 1)
    if count <= 1 or len(plan.tasks) < _POOL_THRESHOLD:
        return _collect(plan, map(make_preview, plan.tasks), progress)
    # spawn: a fork of a process with threads (the event loop's, the fake server's) may
    # deadlock, and it is what macOS and Windows do anyway.
    context = multiprocessing.get_context("spawn")
    workers_used = min(count, len(plan.tasks))
    with concurrent.futures.ProcessPoolExecutor(workers_used, mp_context=context) as pool:
        return _collect(plan, pool.map(make_preview, plan.tasks, chunksize=4), progress)


def _collect(
    plan: _Plan, outcomes: Iterable[str | None], progress: Progress | None
) -> tuple[int, list[str]]:
    problems: list[str] = []
    failed: set[str] = set()
    for done, (task, problem) in enumerate(zip(plan.tasks, outcomes, strict=True), start=1):
        if problem is not None:
            problems.append(problem)
            failed.add(task.dest)
        if progress:
            progress("previews", done, len(plan.tasks))
    if failed:
        plan.drop({name for name in plan.all_names() if str(plan.gallery / name) in failed})
    return len(plan.tasks) - len(failed), problems


# --------------------------------------------------------------------------- items, pages


def _item(
    root: Path,
    record: ImageRecord,
    state: FileState,
    summaries: Mapping[str, FitsSummary],
    plan: _Plan,
) -> Item:
    rel_path = None
    if record.path is not None:
        try:
            rel_path = record.path.relative_to(root).as_posix()
        except ValueError:
            rel_path = None
    return Item(
        record=record,
        object_name=object_label(record.object_name, record.title),
        rel_path=rel_path,
        exists=state.exists,
        summary=summaries.get(record.key),
        preview=plan.previews.get(record.key),
    )


def _write_pages(pages: dict[str, bytes], root: Path) -> tuple[int, int, int]:
    """Write the pages that changed, remove object pages of objects that left; returns
    (written, unchanged, removed)."""
    written = sum(write_if_changed(root / name, data) for name, data in pages.items())
    objects = root / GALLERY_DIR / "objects"
    stale = [
        page
        for page in (objects.iterdir() if objects.is_dir() else ())
        if f"{GALLERY_DIR.as_posix()}/objects/{page.name}" not in pages
    ]
    for page in stale:
        page.unlink()
    return written, len(pages) - written, len(stale)
