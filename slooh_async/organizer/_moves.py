"""Free names for duplicates, and the move plan of ``slooh reorganize`` (pure functions).

Paths are compared as the most forgiving file system does (Windows and macOS ignore case and
macOS Unicode normalization), so a plan made on Linux never makes two files collide on a copy
of the library on another OS.
"""

from __future__ import annotations

import heapq
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TypeVar

from ._errors import PathError
from ._sanitize import MAX_COMPONENT_BYTES

__all__ = [
    "MAX_NUMBERED_NAMES",
    "TEMP_SUFFIX",
    "Move",
    "exists_except",
    "path_identity",
    "plan_moves",
    "unique_path",
]

MAX_NUMBERED_NAMES = 10_000
TEMP_SUFFIX = ".moving"

PathT = TypeVar("PathT", bound=PurePath)


@dataclass(frozen=True)
class Move:
    """Rename ``source`` to ``target`` for the picture ``key`` (the target's folder may not exist
    yet: create it first)."""

    key: str
    source: Path
    target: Path


def path_identity(path: PurePath) -> str:
    """The text two paths share when some OS takes them for the same file (case, NFC/NFD)."""
    return unicodedata.normalize("NFC", str(path)).casefold()


def unique_path(path: PathT, taken: Callable[[PathT], bool]) -> PathT:
    """The first of ``name.ext``, ``name (1).ext``, ``name (2).ext``... that is not ``taken``.

    If a numbered name would pass 255 UTF-8 bytes, its stem loses characters from the start.
    Raises :class:`PathError` after :data:`MAX_NUMBERED_NAMES` tries.
    """
    if not taken(path):
        return path
    suffix = path.suffix
    stem = path.name[: len(path.name) - len(suffix)] if suffix else path.name
    for number in range(1, MAX_NUMBERED_NAMES + 1):
        candidate = path.with_name(_numbered(stem, suffix, number))
        if not taken(candidate):
            return candidate
    raise PathError(f"no free name for {path} after {MAX_NUMBERED_NAMES} tries")


def _numbered(stem: str, suffix: str, number: int) -> str:
    ending = f" ({number}){suffix}"
    while stem and len((stem + ending).encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES:
        stem = stem[1:]
    return stem + ending


def plan_moves(
    entries: Iterable[tuple[str, Path, Path]],
    *,
    exists: Callable[[Path], bool] | None = None,
) -> list[Move]:
    """The renames that bring each file from where it is to where the template wants it.

    ``entries`` are ``(key, current_path, wanted_path)``; ``exists(path)`` says whether a file
    that is *not* one of the entries' current files is at ``path`` (build it with
    :func:`exists_except`; the default assumes there is none). Run in order, the moves never
    overwrite a file:

    - Entries already at their wanted path are skipped and keep that path.
    - Wanted paths are granted in input order, after entries whose path changes only in case
      or Unicode form (they keep their claim). A path already granted (compared ignoring case
      and Unicode form, so the library stays valid on every OS) or held by another file is
      replaced by the first free ``name (n).ext`` (:func:`unique_path`): two pictures never
      share a path.
    - A wanted path held by an entry that moves away is freed first: that move comes earlier
      in the list. A cycle (A wants B's path and B wants A's) is broken by moving one file to
      ``<name>.moving`` first and to its target last.
    - Targets' folders may not exist yet: the caller creates them (and may prune empty ones).

    Raises ``ValueError`` when a key or a current path appears twice.
    """
    items = _validated(list(entries))
    exists_ = exists or (lambda _path: False)
    targets = _assign_targets(items, exists_)
    return _order(items, targets, exists_)


def exists_except(currents: Iterable[Path]) -> Callable[[Path], bool]:
    """An ``exists`` for :func:`plan_moves` over the real disk: true when a file is at the path
    and it is none of ``currents`` (compared as files, so a case-insensitive disk that finds
    ``a.fit`` under ``A.fit`` does not count the entry itself as another file)."""
    own = {_file_id(path) for path in currents} - {None}

    def exists(path: Path) -> bool:
        identity = _file_id(path)
        return identity is not None and identity not in own

    return exists


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _validated(items: list[tuple[str, Path, Path]]) -> list[tuple[str, Path, Path]]:
    keys: set[str] = set()
    currents: set[Path] = set()
    for key, current, _ in items:
        if key in keys:
            raise ValueError(f"key {key!r} appears twice")
        if current in currents:
            raise ValueError(f"{current} is the current path of two entries")
        keys.add(key)
        currents.add(current)
    return items


def _assign_targets(
    items: list[tuple[str, Path, Path]], exists: Callable[[Path], bool]
) -> dict[str, Path]:
    claimed: set[str] = set()
    targets: dict[str, Path] = {}

    def taken(path: Path) -> bool:
        return path_identity(path) in claimed or exists(path)

    # Files already in place never move; then a change of case only is served before others.
    stay = [item for item in items if item[1] == item[2]]
    recase = [item for item in items if item[1] != item[2] and _same(item[1], item[2])]
    others = [item for item in items if not _same(item[1], item[2])]
    for key, _, wanted in stay:
        targets[key] = wanted
        claimed.add(path_identity(wanted))
    for key, _, wanted in [*recase, *others]:
        targets[key] = unique_path(wanted, taken)
        claimed.add(path_identity(targets[key]))
    return targets


def _same(first: Path, second: Path) -> bool:
    return path_identity(first) == path_identity(second)


def _order(
    items: list[tuple[str, Path, Path]], targets: dict[str, Path], exists: Callable[[Path], bool]
) -> list[Move]:
    rank = {key: index for index, (key, _, _) in enumerate(items)}
    pending = {key: current for key, current, _ in items if current != targets[key]}
    holders: dict[str, list[str]] = defaultdict(list)
    for key, current in pending.items():
        holders[path_identity(current)].append(key)
    blockers = {key: set(holders[path_identity(targets[key])]) - {key} for key in pending}
    waiting: dict[str, list[str]] = defaultdict(list)
    for key, keys in blockers.items():
        for blocker in keys:
            waiting[blocker].append(key)
    ready = [(rank[key], key) for key in pending if not blockers[key]]
    heapq.heapify(ready)
    busy = {path_identity(path) for path in (*targets.values(), *(c for _, c, _ in items))}
    moves: list[Move] = []
    parked: set[str] = set()

    def release(key: str) -> None:
        for follower in waiting.pop(key, []):
            blockers[follower].discard(key)
            if not blockers[follower]:
                heapq.heappush(ready, (rank[follower], follower))

    while pending:
        if not ready:  # only cycles are left: park one file under a temporary name
            key = min((k for k in pending if k not in parked), key=rank.__getitem__)
            temp = unique_path(
                pending[key].with_name(pending[key].name + TEMP_SUFFIX),
                lambda path: path_identity(path) in busy or exists(path),
            )
            busy.add(path_identity(temp))
            moves.append(Move(key, pending[key], temp))
            pending[key] = temp
            parked.add(key)
            release(key)
            continue
        _, key = heapq.heappop(ready)
        moves.append(Move(key, pending.pop(key), targets[key]))
        release(key)
    return moves
