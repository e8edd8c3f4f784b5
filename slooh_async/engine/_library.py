"""What the library folder holds on disk, counted for ``slooh stats``."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..api import format_of
from ..organizer import FileOrganizer, is_part_name

__all__ = ["FolderStats", "scan_library"]


@dataclass(frozen=True)
class FolderStats:
    """What the library holds; ``.part`` files (unfinished downloads) are counted apart.

    ``by_object`` and ``by_telescope`` read the folder levels that are exactly ``{object}`` and
    ``{telescope}`` in the folder template; files at other depths are only in the totals.
    """

    files: int = 0
    bytes: int = 0
    part_files: int = 0
    part_bytes: int = 0
    by_format: dict[str, int] = field(default_factory=dict)
    by_object: dict[str, int] = field(default_factory=dict)
    by_telescope: dict[str, int] = field(default_factory=dict)


def scan_library(
    organizer: FileOrganizer, *, not_files: frozenset[str] = frozenset()
) -> FolderStats:
    """Count the library's files by format, object and telescope (hidden entries skipped,
    and the names in ``not_files`` at the library's root: the gallery's ``index.html`` is
    not a picture)."""
    totals: Counter[str] = Counter()
    by_format: Counter[str] = Counter()
    by_object: Counter[str] = Counter()
    by_telescope: Counter[str] = Counter()
    roles = organizer.folder_roles()
    depth = organizer.folder_depth
    for parts, size in _walk_files(organizer.base_path):
        if len(parts) == 1 and parts[0] in not_files:
            continue
        if is_part_name(parts[-1]):
            totals.update(part_files=1, part_bytes=size)
            continue
        totals.update(files=1, bytes=size)
        by_format[format_of(os.path.splitext(parts[-1])[1])] += 1
        if len(parts) == depth + 1:
            for role, counter in (("object", by_object), ("telescope", by_telescope)):
                if role in roles:
                    counter[parts[roles[role]]] += 1
    return FolderStats(
        totals["files"], totals["bytes"], totals["part_files"], totals["part_bytes"],
        _sorted(by_format), _sorted(by_object), _sorted(by_telescope),
    )  # fmt: skip


def _walk_files(root: Path) -> Iterator[tuple[tuple[str, ...], int]]:
    """(relative parts, size) of every regular file, skipping hidden entries such as ``.slooh``;
    symlinks are not followed, unreadable folders are skipped (statistics are informational)."""
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append((Path(entry.path), (*prefix, entry.name)))
            elif entry.is_file(follow_symlinks=False):
                try:
                    size = entry.stat(follow_symlinks=False).st_size
                except OSError:  # removed while we walk (a download finishing, say)
                    continue
                yield (*prefix, entry.name), size


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items()))
