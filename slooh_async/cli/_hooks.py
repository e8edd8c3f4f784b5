"""What runs after each finished file and mission: sidecars, ``--exec``, ``--exec-mission``.

:class:`AfterFiles` is an event sink of the engine like the displays. It only keeps books on
the event loop; the sidecars and commands run in one background thread, in the order the
files finished, so a slow stacking script never holds up the downloads. At the end of the run
the command waits for what is queued (after Ctrl-C: only for the command already running).

A mission is finished when the listing has moved past it and every one of its files queued in
this run is done or failed; then ``--exec-mission`` runs once, if at least one was downloaded.
The photo roll is newest first, so a mission's pictures come together and its FITS frames are
listed right after the page that shows it: a mission absent from the last complete page is
closed. Missions still open when the listing ends are run at the end of a complete run.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine import Event, FileDone, FileFailed, FilePlanned, ListingPage, relative_text
from ._exec import CommandTemplate, run_command
from ._sidecar import HeaderReader, Location, metadata_document, sidecar_path, write_sidecar

if TYPE_CHECKING:
    from ..api import Picture
    from ..config import Settings
    from ..organizer import FileOrganizer

__all__ = ["AfterFiles", "Finished", "after_files"]

log = logging.getLogger("slooh_async.hooks")


@dataclass(frozen=True)
class Finished:
    """A file in place, with the picture it is."""

    picture: Picture
    path: Path
    size: int


@dataclass
class _Mission:
    """Books of one mission in this run."""

    pending: int = 0
    failed: int = 0
    done: list[Finished] = field(default_factory=list)
    last_page: int = 0
    closed: bool = False
    ran: bool = False


class _Worker:
    """One background thread running tasks in order; closing waits for it."""

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.cancelled = False

    def submit(self, task: Callable[[], None]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="slooh-after", daemon=True)
            self._thread.start()
        self._tasks.put(task)

    def _loop(self) -> None:
        while (task := self._tasks.get()) is not None:
            if not self.cancelled:
                try:
                    task()
                except Exception as exc:  # one task's bug must not stop the others
                    log.error("after-file task failed: %s: %s", type(exc).__name__, exc)

    def close(self, *, finish: bool) -> None:
        """Wait for the queued tasks (``finish``), or only for the one running."""
        if self._thread is None:
            return
        self.cancelled = self.cancelled or not finish
        self._tasks.put(None)
        try:
            self._thread.join()
        except KeyboardInterrupt:  # Ctrl-C while waiting: the command running gets it too
            self.cancelled = True
            self._thread.join()
            raise


class AfterFiles:
    """Sidecars and commands after each finished file; commands after each finished mission."""

    def __init__(
        self,
        organizer: FileOrganizer,
        *,
        metadata: Location | None = None,
        exec_file: CommandTemplate | None = None,
        exec_mission: CommandTemplate | None = None,
        fits_header: HeaderReader | None = None,
    ) -> None:
        self.organizer = organizer
        self.library = organizer.base_path
        self.metadata = metadata
        self.exec_file = exec_file
        self.exec_mission = exec_mission
        self.fits_header = fits_header
        self.problems: Counter[str] = Counter()
        self._pictures: dict[str, Picture] = {}
        self._missions: dict[int, _Mission] = {}
        self._page = 0
        self._worker = _Worker()

    # ------------------------------------------------------------------ on the event loop

    def emit(self, event: Event) -> None:
        """Keep books; hand the work to the background thread."""
        match event:
            case FilePlanned(action=action, key=key, picture=picture) if picture is not None:
                self._planned(action, key, picture)
            case FileDone(key=key, path=path, size=size):
                picture = self._pictures.pop(key, None)
                if picture is not None:
                    self._file_done(Finished(picture, path, size))
            case FileFailed(key=key):
                picture = self._pictures.pop(key, None)
                if picture is not None and picture.mission_id:
                    mission = self._mission(picture.mission_id)
                    mission.pending, mission.failed = mission.pending - 1, mission.failed + 1
                    self._maybe_finished(picture.mission_id)
            case ListingPage(what="pictures"):
                self._page += 1
                self._close_missions_before(self._page - 1)
            case _:
                pass

    def _planned(self, action: str, key: str, picture: Picture) -> None:
        mission = self._mission(picture.mission_id) if picture.mission_id else None
        if mission is not None and picture.kind == "picture":
            mission.last_page = self._page
        if action == "download":
            self._pictures[key] = picture
            if mission is not None:
                mission.pending += 1

    def _file_done(self, done: Finished) -> None:
        self._worker.submit(lambda: self._after_file(done))
        mission_id = done.picture.mission_id
        if mission_id:
            mission = self._mission(mission_id)
            mission.pending -= 1
            mission.done.append(done)
            self._maybe_finished(mission_id)

    def _mission(self, mission_id: int) -> _Mission:
        return self._missions.setdefault(mission_id, _Mission())

    def _close_missions_before(self, page: int) -> None:
        """Missions last seen before ``page`` (the last complete page) are listed whole."""
        for mission_id, mission in self._missions.items():
            if not mission.closed and mission.last_page < page:
                mission.closed = True
                self._maybe_finished(mission_id)

    def _maybe_finished(self, mission_id: int) -> None:
        mission = self._missions[mission_id]
        if mission.closed and mission.pending <= 0 and mission.done and not mission.ran:
            mission.ran = True
            if self.exec_mission is not None:  # what is known now: a late file is not added
                done, failed = list(mission.done), mission.failed
                self._worker.submit(lambda: self._after_mission(mission_id, done, failed))

    def close(self, *, finished: bool) -> None:
        """The run is over: when it ``finished`` (not interrupted), the missions still open
        are complete; wait for the background work; count what could not be done."""
        if finished:
            for mission_id, mission in self._missions.items():
                mission.closed = True
                self._maybe_finished(mission_id)
        self._worker.close(finish=finished)
        for kind, count in self.problems.items():
            if count > 1:
                log.warning("metadata not written for %d more file(s) (%s)", count - 1, kind)

    # ------------------------------------------------------------------ in the background

    def _after_file(self, done: Finished) -> None:
        sidecar = self._write_metadata(done) if self.metadata else None
        if self.exec_file is None:
            return
        values = self._file_values(done, sidecar)
        failure = run_command(self.exec_file.render(values))
        if failure:
            log.error("--exec failed for %s: %s", values["relpath"], failure)

    def _write_metadata(self, done: Finished) -> Path | None:
        assert self.metadata is not None
        path = sidecar_path(done.path, self.library, self.metadata)
        header = None
        if self.fits_header is not None and done.picture.kind == "fits":
            header = self.fits_header(done.path)
        names = self.organizer.template_values(done.picture)
        document = metadata_document(
            done.picture, done.path, done.size, self.library, names, header
        )
        try:
            foreign = write_sidecar(path, document)
        except OSError as exc:
            self._problem("cannot write", f"cannot write {path}: {exc.strerror or exc}")
            return None
        if foreign:
            self._problem("another program's file was there", foreign)
            return None
        return path

    def _problem(self, kind: str, message: str) -> None:
        """The first problem of a kind is said at once, the others counted at the end: a
        library full of another tool's sidecars would otherwise print a line per file."""
        self.problems[kind] += 1
        if self.problems[kind] == 1:
            log.warning("metadata not written: %s", message)

    def _file_values(self, done: Finished, sidecar: Path | None) -> dict[str, str]:
        path = done.path
        return {
            **self.organizer.template_values(done.picture),
            "path": str(path),
            "relpath": relative_text(path, self.library),
            "dir": str(path.parent),
            "name": path.name,
            "key": done.picture.key,
            "size": str(done.size),
            "kind": done.picture.kind,
            "library": str(self.library),
            "metadata": str(sidecar) if sidecar else "",
        }

    def _after_mission(self, mission_id: int, done: list[Finished], failed: int) -> None:
        assert self.exec_mission is not None
        first = done[0]
        names = self.organizer.template_values(first.picture)
        files = [str(finished.path) for finished in done]
        values = {
            **{key: names[key] for key in ("object", "telescope", "instrument", "title")},
            **{key: names[key] for key in ("date", "year", "month", "day", "catalog")},
            "mission": str(mission_id),
            "dir": os.path.commonpath(files) if len(files) > 1 else str(first.path.parent),
            "library": str(self.library),
            "count": str(len(files)),
            "failed": str(failed),
        }
        failure = run_command(self.exec_mission.render(values, {"files": files}))
        if failure:
            log.error("--exec-mission failed for mission %s: %s", mission_id, failure)


def after_files(
    settings: Settings, exec_file: str | None, exec_mission: str | None
) -> AfterFiles | None:
    """The sink for ``download.write_metadata``, ``--exec`` and ``--exec-mission``, or
    ``None`` when the run has none of them."""
    from ..organizer import FileOrganizer
    from ._exec import FILE_FIELDS, MISSION_FIELDS

    download = settings.download
    if not (download.write_metadata or exec_file or exec_mission):
        return None
    return AfterFiles(
        FileOrganizer(settings.folders),
        metadata=download.metadata_location if download.write_metadata else None,
        exec_file=CommandTemplate.parse(exec_file, fields=FILE_FIELDS) if exec_file else None,
        exec_mission=(
            CommandTemplate.parse(exec_mission, fields=MISSION_FIELDS) if exec_mission else None
        ),
    )
