"""The gallery: a static, offline HTML view of the library, written into it.

``index.html`` at the library's root (the name is the caller's), everything else under
``.slooh/gallery/``: a page per object with previews of its pictures and FITS frames (and a
colour composite of a mission's R, G and B frames), a table of every file, charts and the
download history. All links are relative: the folder can be moved, zipped or synced.

A layer beside the engine: it reads the tracker and the files and knows nothing of the CLI
or the settings; callers pass the tracker (or the root, the records and their FITS headers)
and the options. The only thing it writes to the tracker is the FITS headers it lacked (the
backfill, read once); the headers are the tracker's, the gallery keeps no copy.
Loaded on first use (Jinja2 and the preview code are not needed by other commands).
See docs/gallery.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from ._build import GalleryReport, Progress, build_gallery, write_gallery
    from ._cache import GALLERY_DIR

_LAZY = {
    "GALLERY_DIR": "._cache",
    "GalleryReport": "._build",
    "Progress": "._build",
    "build_gallery": "._build",
    "write_gallery": "._build",
}

__getattr__ = lazy_getattr(__name__, _LAZY, globals())

__all__ = ["GALLERY_DIR", "GalleryReport", "Progress", "build_gallery", "write_gallery"]
