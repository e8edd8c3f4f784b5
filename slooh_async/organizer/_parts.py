"""The one rule for unfinished downloads: ``<name>.part`` (and its validator, ``.part.meta``).

A name ending in ``.part`` is never given to a finished file: it would be taken for another
file's partial download (``clash.png.part`` is ``clash.png``'s, never a picture of its own).
"""

from __future__ import annotations

from pathlib import Path, PurePath

__all__ = ["META_SUFFIX", "PART_SUFFIX", "is_part_name", "meta_path", "part_path"]

PART_SUFFIX = ".part"
#: the validator (ETag / Last-Modified) of a ``.part``, kept beside it for ``If-Range``
META_SUFFIX = ".part.meta"


def part_path(dest: Path) -> Path:
    """Where the download of ``dest`` lives until it is complete: ``<dest>.part``."""
    return dest.with_name(dest.name + PART_SUFFIX)


def meta_path(dest: Path) -> Path:
    """Where the validator of ``dest``'s partial download is kept: ``<dest>.part.meta``."""
    return dest.with_name(dest.name + META_SUFFIX)


def is_part_name(path: PurePath | str) -> bool:
    """True for names only the downloader itself may use (``x.part``, ``x.part.meta``)."""
    name = path if isinstance(path, str) else path.name
    folded = name.casefold()
    return folded.endswith((PART_SUFFIX, META_SUFFIX))
