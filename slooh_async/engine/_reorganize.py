"""``slooh reorganize``: move downloaded files to the layout the templates now describe.

Moves are planned by :func:`slooh_async.organizer.plan_moves` (never over another file) and
written to a journal first; the tracker is updated in batches as files move. If the run is
interrupted, the next ``slooh reorganize`` reads the journal and points the tracker at wherever
each file really is before planning again, so every file stays findable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..media import replace_file
from ..organizer import FileOrganizer, Move, exists_except, plan_moves
from ..tracker import MoveFailed, Tracker, move_file
from ._placement import Placement
from ._planning import picture_from_record

__all__ = ["ReorganizeReport", "apply_moves", "journal_path", "plan_reorganize", "recover_journal"]

log = logging.getLogger("slooh_async.reorganize")

_BATCH = 50


@dataclass
class ReorganizeReport:
    """What a reorganization did (or would do, for a dry run)."""

    planned: int = 0
    moved: int = 0
    missing: list[str] = field(default_factory=list)
    removed_folders: int = 0
    recovered: int = 0
    interrupted: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "planned": self.planned,
            "moved": self.moved,
            "missing": len(self.missing),
            "removed_folders": self.removed_folders,
            "recovered": self.recovered,
            "interrupted": self.interrupted,
        }


def journal_path(tracker: Tracker) -> Path:
    """The journal of moves in progress, next to the tracker's lock (inside ``.slooh``)."""
    return tracker.base_path / ".slooh" / "reorganize-journal.json"


def plan_reorganize(tracker: Tracker, organizer: FileOrganizer) -> tuple[list[Move], list[str]]:
    """The moves for every done file not where the templates want it; keys of missing files."""
    placement = Placement(organizer)
    entries: list[tuple[str, Path, Path]] = []
    missing: list[str] = []
    for record in tracker.iter_records("done"):
        if record.path is None:
            continue
        if not record.path.is_file():
            missing.append(record.key)
            continue
        wanted = placement.get_destination_path(picture_from_record(record))
        entries.append((record.key, record.path, wanted))
    moves = plan_moves(entries, exists=exists_except(path for _, path, _ in entries))
    return moves, missing


def recover_journal(tracker: Tracker) -> int:
    """Finish the bookkeeping of an interrupted run: point records at where files are, and
    remove the folders its moves left empty."""
    journal = journal_path(tracker)
    if not journal.exists():
        return 0
    updates: dict[str, Path] = {}
    moved_from: set[Path] = set()
    for key, source, target in json.loads(journal.read_text(encoding="utf-8")):
        if Path(target).exists() and not Path(source).exists():
            updates[key] = Path(target)
            moved_from.add(Path(source).parent)
    if updates:
        tracker.update_paths(list(updates.items()))
    journal.unlink()
    _prune(moved_from, tracker.base_path)
    return len(updates)


def apply_moves(
    tracker: Tracker, moves: Sequence[Move], *, stop: Callable[[], bool] = lambda: False
) -> ReorganizeReport:
    """Move files in plan order, recording each new path; stops cleanly when ``stop()``."""
    report = ReorganizeReport(planned=len(moves))
    journal = journal_path(tracker)
    _write_journal(journal, moves)
    pending: list[tuple[str, Path]] = []
    sources: set[Path] = set()
    try:
        for move in moves:
            if stop():
                report.interrupted = True
                break
            try:
                move_file(move.source, move.target)
            except MoveFailed as exc:
                log.warning("not moving %s: %s", move.source, exc)
                continue
            sources.add(move.source.parent)
            pending.append((move.key, move.target))
            report.moved += 1
            if len(pending) >= _BATCH:
                tracker.update_paths(pending)
                pending = []
    finally:
        if pending:
            tracker.update_paths(pending)
    journal.unlink(missing_ok=True)
    report.removed_folders = _prune(sources, tracker.base_path)
    return report


def _write_journal(journal: Path, moves: Sequence[Move]) -> None:
    journal.parent.mkdir(parents=True, exist_ok=True)
    temporary = journal.with_suffix(".tmp")
    rows = [[m.key, str(m.source), str(m.target)] for m in moves]
    temporary.write_text(json.dumps(rows), encoding="utf-8")
    replace_file(temporary, journal)


def _prune(folders: set[Path], base: Path) -> int:
    """Remove folders left empty by the moves, up to (never including) the library root."""
    removed = 0
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        current = folder
        while current != base and base in current.parents:
            try:
                current.rmdir()
            except OSError:
                break
            removed += 1
            current = current.parent
    return removed
