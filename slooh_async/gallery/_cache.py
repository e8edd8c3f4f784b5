"""What makes a rebuild cheap: file identities, the FITS header cache, the preview names.

A file's *identity* is what its preview and header summary depend on: the content digest the
tracker recorded (so a moved or copied library keeps its previews), else its size and
modification time. A preview's file name is a hash of its kind, the identities it is made
from and :data:`PREVIEW_VERSION`: a preview that exists is up to date, one that no file names
any more is stale and removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..media import FitsSummary, read_header
from ..tracker import ImageRecord
from ._files import write_if_changed
from ._previews import PREVIEW_VERSION

__all__ = [
    "GALLERY_DIR",
    "PREVIEWS",
    "FileState",
    "HeaderCache",
    "existing_previews",
    "file_state",
    "given_summaries",
    "identity",
    "preview_name",
    "remove_stale",
]

#: The gallery's folder, relative to the library's root.
GALLERY_DIR = Path(".slooh") / "gallery"
#: The previews' folder, relative to the gallery's.
PREVIEWS = "previews"
_HEADERS_FILE = "fits-headers.json"
_HEADERS_VERSION = 1


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
    """What a file's preview and header summary depend on (see the module's docstring)."""
    if record.hash:
        return f"{record.hash_algorithm or 'hash'}:{record.hash}:{state.size}"
    return f"file:{record.path}:{state.size}:{state.mtime_ns}"


def preview_name(kind: str, identities: Iterable[str]) -> str:
    """The preview's path relative to the gallery folder: ``previews/ab/abcdef....jpg``."""
    text = "|".join((str(PREVIEW_VERSION), kind, *identities))
    digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    return f"{PREVIEWS}/{digest[:2]}/{digest}.jpg"


def remove_stale(gallery: Path, expected: set[str]) -> int:
    """Delete every file under ``previews/`` that is not an expected preview (stale ones, and
    temporary files a killed worker left); folders left empty go too. Returns how many."""
    removed = 0
    for name in existing_previews(gallery) - expected:
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


class HeaderCache:
    """FITS header summaries by file identity, kept in ``fits-headers.json`` of the gallery
    folder; an unreadable header is remembered too (with its reason), so it is read once."""

    def __init__(self, gallery: Path) -> None:
        self._path = gallery / _HEADERS_FILE
        self._entries: dict[str, dict[str, Any]] = self._load()
        self._used: set[str] = set()
        self.read = 0

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self._path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != _HEADERS_VERSION:
            return {}
        entries = data.get("summaries")
        return entries if isinstance(entries, dict) else {}

    def summary(self, path: Path, ident: str) -> FitsSummary | str:
        """The summary of the frame at ``path``, or why its header cannot be read."""
        self._used.add(ident)
        entry = self._entries.get(ident)
        if entry is None:
            entry = self._read(path)
            self._entries[ident] = entry
        if "error" in entry:
            return str(entry["error"])
        return FitsSummary.from_json(entry)

    def _read(self, path: Path) -> dict[str, Any]:
        self.read += 1
        header = read_header(path)
        return {"error": header} if isinstance(header, str) else header.to_json()

    def save(self) -> bool:
        """Write the entries used by this build (the others' files left); True if changed."""
        kept = {ident: self._entries[ident] for ident in sorted(self._used)}
        text = json.dumps({"version": _HEADERS_VERSION, "summaries": kept}, sort_keys=True)
        return write_if_changed(self._path, text.encode())


def given_summaries(
    records: Iterable[ImageRecord], given: Mapping[str, FitsSummary] | None
) -> dict[str, FitsSummary]:
    """The summaries the caller passed, for the records it passed them for."""
    if not given:
        return {}
    return {record.key: given[record.key] for record in records if record.key in given}
