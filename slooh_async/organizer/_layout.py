"""Where a picture goes in the library (pure: nothing here touches the disk).

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

from collections.abc import Callable, Mapping
from datetime import UTC
from pathlib import Path, PurePosixPath

from ._errors import PathError
from ._objects import catalog_of, object_name
from ._sanitize import MAX_COMPONENT_BYTES, path_length, readable, sanitize_component
from ._templates import Field, compile_template, render_component
from ._types import LayoutSettings, PlacedFile

__all__ = [
    "MIN_FREE_TEXT",
    "OTHER_CATALOG",
    "UNDATED",
    "UNKNOWN_FILTER",
    "UNKNOWN_INSTRUMENT",
    "UNKNOWN_MISSION",
    "UNKNOWN_TELESCOPE",
    "FileOrganizer",
]

UNDATED = "undated"
UNKNOWN_TELESCOPE = "Unknown telescope"
UNKNOWN_INSTRUMENT = "Unknown instrument"
UNKNOWN_FILTER = "Unknown filter"
UNKNOWN_MISSION = "0"
OTHER_CATALOG = "Other"
MIN_FREE_TEXT = 16
_TAIL_WITHOUT_ID = 16
_FREE_TEXT = ("title", "object")


class FileOrganizer:
    """Maps pictures to paths in the library with the templates of the folder settings."""

    def __init__(self, folders: LayoutSettings) -> None:
        self.folders = folders
        self.base_path = Path(folders.base_path)
        self._folders = compile_template(folders.folder_template, kind="folder")
        (self._filename,) = compile_template(folders.filename_template, kind="filename")
        self._preference = tuple(folders.object_preference)
        self._unknown = sanitize_component(folders.unknown_object, fallback="Unknown")
        self._limit = folders.max_path_length

    # ------------------------------------------------------------------ pure

    def template_values(self, picture: PlacedFile) -> dict[str, str]:
        """The text of every placeholder for ``picture`` (before sanitizing)."""
        when = picture.observed_at
        day = when.astimezone(UTC) if when is not None else None
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
            "type": picture.file_type,
            "filter": picture.filter or UNKNOWN_FILTER,
            "mission": str(picture.mission_id) if picture.mission_id else UNKNOWN_MISSION,
            "image_id": str(picture.image_id or picture.unique_id or picture.stem),
            "catalog": catalog_of(picture.title, self._preference) or OTHER_CATALOG,
        }

    def relative_path(self, picture: PlacedFile) -> PurePosixPath:
        """The picture's path inside the library: deterministic, portable, within the limit.

        Raises :class:`PathError` when the template's fixed text cannot fit the limit.
        """
        values = self.template_values(picture)
        ids = (picture.unique_id, values["image_id"])
        parts = self._fit(values, picture.extension, ids)
        if parts is None:
            raise PathError(
                f"cannot fit {picture.key} into folders.max_path_length={self._limit}: "
                "the template's fixed text is too long"
            )
        return PurePosixPath(*parts)

    def destination(self, picture: PlacedFile) -> Path:
        """``base_path`` joined with :meth:`relative_path` (the disk is not looked at)."""
        return self.base_path.joinpath(*self.relative_path(picture).parts)

    @property
    def folder_depth(self) -> int:
        """How many folder levels the folder template makes."""
        return len(self._folders)

    def folder_roles(self) -> dict[str, int]:
        """Which folder level is exactly ``{object}`` or ``{telescope}`` (for statistics)."""
        return self._roles()

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
