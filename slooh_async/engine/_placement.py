"""The organizer's paths checked against the disk: a link inside the library must never send a
file outside it."""

from __future__ import annotations

import os
from pathlib import Path

from ..organizer import FileOrganizer, PathError, PlacedFile, is_part_name

__all__ = ["Placement"]

#: resolved folders remembered per run (a library has a few hundred folders)
_FOLDER_CACHE = 4096


class Placement:
    """Where each file goes on disk: :meth:`FileOrganizer.destination`, resolved and checked."""

    def __init__(self, organizer: FileOrganizer) -> None:
        self.organizer = organizer
        self.base_path = organizer.base_path
        self._resolved_base: Path | None = None
        self._resolved_folders: dict[Path, Path] = {}

    def get_destination_path(self, picture: PlacedFile) -> Path:
        """The file's path in the library.

        Raises :class:`PathError` when it resolves outside ``base_path`` (a link inside the
        library pointing elsewhere), or when the organizer cannot fit it. A name ending in
        ``.part`` or ``.part.meta`` is changed (see :func:`_not_a_part_name`).
        """
        destination = _not_a_part_name(self.organizer.destination(picture))
        if self._resolved_base is None:  # once per run: the library does not move
            self._resolved_base = self.base_path.resolve()
        base = self._resolved_base
        resolved = self._resolve(destination)
        if resolved == base or not resolved.is_relative_to(base):
            raise PathError(f"{destination} resolves to {resolved}, outside {base}")
        return destination

    def _resolve(self, destination: Path) -> Path:
        """``destination.resolve()``, each folder resolved once; the file itself is checked
        with one ``lstat``: only a link there needs resolving."""
        folder, name = destination.parent, destination.name
        if name in ("", ".", "..") or os.path.islink(destination):
            return destination.resolve()
        resolved = self._resolved_folders.get(folder)
        if resolved is None:
            if len(self._resolved_folders) >= _FOLDER_CACHE:
                self._resolved_folders.clear()
            resolved = self._resolved_folders[folder] = folder.resolve()
        return resolved / name


def _not_a_part_name(path: Path) -> Path:
    """A finished file never bears a name only unfinished downloads use: ``clash.png.part``
    would be taken for ``clash.png``'s partial download (and overwritten), so it becomes
    ``clash.png_part`` (``x.part.meta``: ``x.part_meta``)."""
    if not is_part_name(path):
        return path
    stem, _, suffix = path.name.rpartition(".")
    return path.with_name(f"{stem}_{suffix}")
