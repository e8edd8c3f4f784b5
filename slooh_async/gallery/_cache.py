"""What makes a rebuild cheap: file identities and the preview names.

A file's *identity* is what its preview depends on: the content digest the tracker recorded
(so a moved or copied library keeps its previews), else its size and modification time. A
preview's file name is a hash of its kind, the identities it is made from and
:data:`PREVIEW_VERSION`: a preview that exists is up to date, one that no file names any more
is stale and removed.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..tracker import ImageRecord
from ._previews import PREVIEW_VERSION

__all__ = [
    "GALLERY_DIR",
    "PREVIEWS",
    "FileState",
    "existing_previews",
    "file_state",
    "identity",
    "preview_name",
    "remove_old_header_cache",
    "remove_stale",
]

#: The gallery's folder, relative to the library's root.
GALLERY_DIR = Path(".slooh") / "gallery"
#: The previews' folder, relative to the gallery's.
PREVIEWS = "previews"
#: Where versions before the tracker's ``fits_headers`` table cached FITS header summaries.
_OLD_HEADER_CACHE = "fits-headers.json"


@dataclass(frozen=True, slots=True)
class FileState:
    """What ``stat`` says of a tracked file (``exists`` only for a regular file)."""

    exists: bool
    size: int | None = None
    mtime_ns: int | None = None


def file_state(path: Path | None) -> FileState:
    """The state of a tracked file (missing when the tracker knows no path)."""
    if path is None:
        return FileState(False)
    try:
        info = os.stat(path)
    except OSError:
        return FileState(False)
    if not stat.S_ISREG(info.st_mode):
        return FileState(False)
    return FileState(True, info.st_size, info.st_mtime_ns)


def identity(record: ImageRecord, state: FileState) -> str:
    """What a file's preview depends on (see the module's docstring)."""
    if record.hash:
        return f"{record.hash_algorithm or 'hash'}:{record.hash}:{state.size}"
    return f"file:{record.path}:{state.size}:{state.mtime_ns}"


def preview_name(kind: str, identities: Iterable[str]) -> str:
    """The preview's path relative to the gallery folder: ``previews/ab/abcdef....jpg``."""
    text = "|".join((str(PREVIEW_VERSION), kind, *identities))
    digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    return f"{PREVIEWS}/{digest[:2]}/{digest}.jpg"


def remove_stale(gallery: Path, found: set[str], expected: set[str]) -> int:
    """Delete every file ``found`` under ``previews/`` (by :func:`existing_previews`, before
    the build made its new ones: those are expected) that is not an expected preview (stale
    ones, and temporary files a killed worker left); folders left empty go too. Returns how
    many."""
    removed = 0
    for name in found - expected:
        (gallery / name).unlink()
        removed += 1
        folder = (gallery / name).parent
        with os.scandir(folder) as entries:
            empty = next(entries, None) is None
        if empty:
            folder.rmdir()
    return removed


def existing_previews(gallery: Path) -> set[str]:
    """The files under ``previews/``, as names relative to the gallery folder (one directory
    scan instead of a ``stat`` per preview)."""
    found: set[str] = set()
    folder = gallery / PREVIEWS
    if not folder.is_dir():
        return found
    with os.scandir(folder) as subs:
        for sub in subs:
            if sub.is_dir(follow_symlinks=False):
                with os.scandir(sub.path) as entries:
                    found.update(f"{PREVIEWS}/{sub.name}/{entry.name}" for entry in entries)
    return found


def remove_old_header_cache(gallery: Path) -> None:
    """Delete the header cache an earlier version kept in the gallery folder: the tracker
    holds the headers now."""
    (gallery / _OLD_HEADER_CACHE).unlink(missing_ok=True)
