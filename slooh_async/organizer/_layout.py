"""Where a picture goes in the library (pure), and what the library holds (reads the disk).

Length rule, in order, until the relative path fits ``max_path_length`` (counted in UTF-16
units, as Windows counts) and every component fits 255 UTF-8 bytes:

1. shorten the free text, ``{title}`` and ``{object}``, to the longest common length that fits
   (never below :data:`MIN_FREE_TEXT` characters);
2. cut the file name from its start, keeping its protected tail: from the file's unique id
   (``iycarr_b_cal.fit``) or image id to the end, else its last 16 characters and extension;
3. when the folders alone are too long: shorten every folder name to the longest common length
   that leaves room for the whole file name; failing that, to at most :data:`MIN_FREE_TEXT`
   characters (down to one) with the file name cut as in step 2;
4. give up with :class:`PathError` (only a template with very long fixed text gets here).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ._errors import PathError
from ._filenames import format_of
from ._objects import catalog_of, object_name
from ._sanitize import MAX_COMPONENT_BYTES, path_length, readable, sanitize_component
from ._templates import Field, compile_template, render_component

if TYPE_CHECKING:
    from ..api._models import Picture
    from ..config import FolderSettings

__all__ = [
    "MIN_FREE_TEXT",
    "OTHER_CATALOG",
    "PART_SUFFIX",
    "UNDATED",
    "UNKNOWN_FILTER",
    "UNKNOWN_INSTRUMENT",
    "UNKNOWN_MISSION",
    "UNKNOWN_TELESCOPE",
    "FileOrganizer",
    "FolderStats",
]

UNDATED = "undated"
UNKNOWN_TELESCOPE = "Unknown telescope"
UNKNOWN_INSTRUMENT = "Unknown instrument"
UNKNOWN_FILTER = "Unknown filter"
UNKNOWN_MISSION = "0"
OTHER_CATALOG = "Other"
MIN_FREE_TEXT = 16
PART_SUFFIX = ".part"
_TAIL_WITHOUT_ID = 16
_FREE_TEXT = ("title", "object")


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


class FileOrganizer:
    """Maps pictures to paths in the library with the templates of :class:`FolderSettings`."""

    def __init__(self, folders: FolderSettings) -> None:
        self.folders = folders
        self.base_path = Path(folders.base_path)
        self._folders = compile_template(folders.folder_template, kind="folder")
        (self._filename,) = compile_template(folders.filename_template, kind="filename")
        self._preference = tuple(folders.object_preference)
        self._unknown = sanitize_component(folders.unknown_object, fallback="Unknown")
        self._limit = folders.max_path_length
        self._resolved_base: Path | None = None
        self._resolved_folders: dict[Path, Path] = {}

    # ------------------------------------------------------------------ pure

    def template_values(self, picture: Picture) -> dict[str, str]:
        """The text of every placeholder for ``picture`` (before sanitizing)."""
        when = picture.observed_at
        day = when.astimezone(UTC) if when is not None else None
        info = picture.name_info
        return {
            "object": object_name(picture.title, self._preference, self._unknown),
            "telescope": picture.telescope.strip() or UNKNOWN_TELESCOPE,
            "instrument": picture.instrument.strip() or UNKNOWN_INSTRUMENT,
            "format": self.folders.format_names.get(picture.format, picture.format),
            "filename": picture.filename,
            "title": readable(picture.title) or self._unknown,
            "date": f"{day:%Y-%m-%d}" if day else UNDATED,
            "year": f"{day:%Y}" if day else UNDATED,
            "month": f"{day:%m}" if day else UNDATED,
            "day": f"{day:%d}" if day else UNDATED,
            "type": info.image_type,
            "filter": picture.filter or UNKNOWN_FILTER,
            "mission": str(picture.mission_id) if picture.mission_id else UNKNOWN_MISSION,
            "image_id": str(picture.image_id) if picture.image_id else info.unique_id or info.stem,
            "catalog": catalog_of(picture.title, self._preference) or OTHER_CATALOG,
        }

    def relative_path(self, picture: Picture) -> PurePosixPath:
        """The picture's path inside the library: deterministic, portable, within the limit.

        Raises :class:`PathError` when the template's fixed text cannot fit the limit.
        """
        values = self.template_values(picture)
        ids = (picture.name_info.unique_id, values["image_id"])
        parts = self._fit(values, picture.extension, ids)
        if parts is None:
            raise PathError(
                f"cannot fit {picture.key} into folders.max_path_length={self._limit}: "
                "the template's fixed text is too long"
            )
        return PurePosixPath(*parts)

    # ------------------------------------------------------------------ disk

    def get_destination_path(self, picture: Picture) -> Path:
        """``base_path`` joined with :meth:`relative_path`.

        Raises :class:`PathError` when that resolves outside ``base_path`` (a link inside the
        library pointing elsewhere), or as :meth:`relative_path` does.
        """
        destination = self.base_path.joinpath(*self.relative_path(picture).parts)
        if self._resolved_base is None:  # once per organizer: the library does not move
            self._resolved_base = self.base_path.resolve()
        base = self._resolved_base
        resolved = self._resolve(destination)
        if resolved == base or not resolved.is_relative_to(base):
            raise PathError(f"{destination} resolves to {resolved}, outside {base}")
        return destination

    def _resolve(self, destination: Path) -> Path:
        """``destination.resolve()``, with each folder resolved once per organizer (a library
        has a few hundred folders and thousands of files); the file itself is checked with
        one ``lstat``: only a link there needs resolving."""
        folder, name = destination.parent, destination.name
        if name in ("", ".", "..") or os.path.islink(destination):
            return destination.resolve()
        resolved = self._resolved_folders.get(folder)
        if resolved is None:
            if len(self._resolved_folders) >= 4096:
                self._resolved_folders.clear()
            resolved = self._resolved_folders[folder] = folder.resolve()
        return resolved / name

    def check_exists(self, picture: Picture) -> bool:
        """Whether a file is already at the picture's destination."""
        return self.get_destination_path(picture).is_file()

    def get_folder_stats(self) -> FolderStats:
        """Count the library's files by format, object and telescope (hidden entries skipped)."""
        totals: Counter[str] = Counter()
        by_format: Counter[str] = Counter()
        by_object: Counter[str] = Counter()
        by_telescope: Counter[str] = Counter()
        roles = self._roles()
        for parts, size in _walk_files(self.base_path):
            if parts[-1].endswith(PART_SUFFIX):
                totals.update(part_files=1, part_bytes=size)
                continue
            totals.update(files=1, bytes=size)
            by_format[format_of(os.path.splitext(parts[-1])[1])] += 1
            if len(parts) == len(self._folders) + 1:
                for role, counter in (("object", by_object), ("telescope", by_telescope)):
                    if role in roles:
                        counter[parts[roles[role]]] += 1
        return FolderStats(
            totals["files"], totals["bytes"], totals["part_files"], totals["part_bytes"],
            _sorted(by_format), _sorted(by_object), _sorted(by_telescope),
        )  # fmt: skip

    # ------------------------------------------------------------------ helpers

    def _render(self, values: Mapping[str, str], extension: str) -> list[str]:
        folders = [sanitize_component(render_component(c, values)) for c in self._folders]
        name = render_component(self._filename, values)
        if extension and not name.lower().endswith(extension):
            name += extension  # the extension is never lost, whatever the template says
        return [*folders, sanitize_component(name, max_bytes=None)]

    def _fits(self, parts: list[str]) -> bool:
        return path_length("/".join(parts)) <= self._limit and all(
            len(part.encode("utf-8", "surrogatepass")) <= MAX_COMPONENT_BYTES for part in parts
        )

    def _fit(
        self, values: dict[str, str], extension: str, ids: tuple[str | None, ...]
    ) -> list[str] | None:
        parts = self._render(values, extension)
        if self._fits(parts):
            return parts
        longest = max(len(values[key]) for key in _FREE_TEXT)
        best = _largest(
            MIN_FREE_TEXT,
            longest - 1,
            lambda cap: self._render(_capped(values, cap), extension),
            self._fits,
        )
        if best is not None:
            return best
        parts = self._render(_capped(values, MIN_FREE_TEXT), extension)
        return self._shrink(parts[:-1], parts[-1], _protected_tail(parts[-1], extension, ids))

    def _shrink(self, folders: list[str], name: str, tail: str) -> list[str] | None:
        """Steps 2 and 3 of the length rule (module docstring)."""
        budget = self._limit - path_length("/".join([*folders, ""]))
        cut = [*folders, _cut_head(name, tail, budget)]
        if self._fits(cut):
            return cut

        def capped(cap: int, *, whole_name: bool) -> list[str]:
            short = [sanitize_component(folder[:cap]) for folder in folders]
            budget = self._limit - path_length("/".join([*short, ""]))
            return [*short, name if whole_name else _cut_head(name, tail, budget)]

        # Folders give way to the whole file name first; if that is not enough, both share.
        longest = max((len(folder) for folder in folders), default=0)
        whole = _largest(1, longest, lambda cap: capped(cap, whole_name=True), self._fits)
        if whole is not None:
            return whole
        shared = min(longest, MIN_FREE_TEXT)
        return _largest(1, shared, lambda cap: capped(cap, whole_name=False), self._fits)

    def _roles(self) -> dict[str, int]:
        roles: dict[str, int] = {}
        for index, component in enumerate(self._folders):
            if len(component) == 1 and isinstance(component[0], Field) and not component[0].spec:
                roles.setdefault(component[0].name, index)
        return roles


def _largest(
    low: int, high: int, build: Callable[[int], list[str]], fits: Callable[[list[str]], bool]
) -> list[str] | None:
    """``build(cap)`` for the largest cap in ``[low, high]`` whose result fits (binary search:
    a smaller cap never makes a path longer)."""
    best: list[str] | None = None
    while low <= high:
        middle = (low + high) // 2
        candidate = build(middle)
        if fits(candidate):
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def _capped(values: dict[str, str], cap: int) -> dict[str, str]:
    return {**values, **{key: values[key][:cap].rstrip() for key in _FREE_TEXT}}


def _protected_tail(name: str, extension: str, ids: tuple[str | None, ...]) -> str:
    """The end of the file name that must survive shortening: from its unique id on."""
    for token in ids:
        at = name.rfind(token) if token else -1
        if at >= 0:
            return name[at:]
    return name[-(_TAIL_WITHOUT_ID + len(extension)) :]


def _cut_head(name: str, tail: str, budget: int) -> str:
    """``name`` without as few leading characters as needed to fit ``budget`` and 255 bytes;
    the tail is kept whole (the result may still not fit: the caller checks)."""
    head = name[: len(name) - len(tail)]
    keep = max(0, min(len(head), budget - path_length(tail)))
    while True:
        candidate = sanitize_component(head[len(head) - keep :] + tail, max_bytes=None)
        short_enough = len(candidate.encode("utf-8", "surrogatepass")) <= MAX_COMPONENT_BYTES
        if keep == 0 or (path_length(candidate) <= budget and short_enough):
            return candidate
        keep -= 1


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
