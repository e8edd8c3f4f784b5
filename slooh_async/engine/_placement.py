"""The organizer's paths checked against the disk: a link inside the library must never send a
file outside it."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..organizer import FileOrganizer, PathError, PlacedFile, is_part_name

__all__ = ["Placement"]

#: resolved folders remembered per run (a library has a few hundred folders)
_FOLDER_CACHE = 4096
#: the errors ``Path.exists`` takes for "nothing there" (errno, then Windows' own codes)
_ABSENT = {errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP}
_WIN_ABSENT = {21, 123, 1921}  # not ready, invalid name, cannot resolve the name


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
        self._check(destination, os.path.islink(destination))
        return destination

    def locate(self, picture: PlacedFile) -> tuple[Path, os.stat_result | None]:
        """:meth:`get_destination_path` and what is there now, from the one ``lstat`` its link
        check takes (``None``: nothing). A path that cannot be looked at raises ``OSError``."""
        destination = _not_a_part_name(self.organizer.destination(picture))
        found = look(destination, follow=False)
        self._check(destination, found is not None and stat.S_ISLNK(found.st_mode))
        return destination, found

    def _check(self, destination: Path, link: bool) -> None:
        """Raise :class:`PathError` when ``destination`` resolves outside the library."""
        if self._resolved_base is None:  # once per run: the library does not move
            self._resolved_base = self.base_path.resolve()
        base = self._resolved_base
        resolved = self._resolve(destination, link)
        if resolved == base or not resolved.is_relative_to(base):
            raise PathError(f"{destination} resolves to {resolved}, outside {base}")

    def _resolve(self, destination: Path, link: bool) -> Path:
        """``destination.resolve()``, each folder resolved once; the file itself was checked
        with one ``lstat``: only a link there needs resolving."""
        folder, name = destination.parent, destination.name
        if name in ("", ".", "..") or link:
            return destination.resolve()
        resolved = self._resolved_folders.get(folder)
        if resolved is None:
            if len(self._resolved_folders) >= _FOLDER_CACHE:
                self._resolved_folders.clear()
            resolved = self._resolved_folders[folder] = folder.resolve()
        return resolved / name


def look(path: Path, *, follow: bool = True) -> os.stat_result | None:
    """``os.stat`` (``follow=False``: ``os.lstat``) of ``path``; ``None`` where ``Path.exists``
    would say nothing is there. Any other error is raised, as ``Path.exists`` raises it."""
    try:
        return os.stat(path) if follow else os.lstat(path)
    except OSError as exc:
        if exc.errno in _ABSENT or getattr(exc, "winerror", None) in _WIN_ABSENT:
            return None
        raise
    except ValueError:  # a name no system takes (a NUL in it) names nothing
        return None


def _not_a_part_name(path: Path) -> Path:
    """A finished file never bears a name only unfinished downloads use: ``clash.png.part``
    would be taken for ``clash.png``'s partial download (and overwritten), so it becomes
    ``clash.png_part`` (``x.part.meta``: ``x.part_meta``)."""
    if not is_part_name(path):
        return path
    stem, _, suffix = path.name.rpartition(".")
    return path.with_name(f"{stem}_{suffix}")
