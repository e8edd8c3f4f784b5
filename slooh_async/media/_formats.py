"""Content sanity of downloaded files: is a ``.fit`` really FITS, a ``.png`` a whole PNG...

The checks look for what goes wrong when downloading: an HTML error page saved under an image
name, and a body cut short. PNG and JPEG checks read the head and tail of a file, never the
whole of it; FITS files are checked by :func:`check_fits_file` (astropy, headers only).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from ._fits import check_fits_file
from ._sniff import JPEG_EOI, JPEG_SOI, PNG_SIGNATURE, not_a

__all__ = ["check_content", "check_jpeg", "check_png"]

#: How far from the end a PNG's IEND / a JPEG's EOI may sit (writers may pad after them).
_PNG_TAIL = 1024
_JPEG_TAIL = 64 * 1024


def check_content(path: Path, fmt: str, size: int) -> list[str]:
    """Problems with the content of ``path`` for its format (FITS, PNG, JPEG; others pass)."""
    kind = fmt.upper()
    if kind == "FITS":
        return check_fits_file(path, size)
    checks = {"PNG": check_png, "JPEG": check_jpeg}
    check = checks.get(kind)
    if check is None:
        return []
    with path.open("rb") as handle:
        return check(handle, size)


def check_png(handle: BinaryIO, size: int) -> list[str]:
    """The PNG signature, an IHDR chunk first, and an IEND chunk at the end."""
    head = handle.read(16)
    if not head.startswith(PNG_SIGNATURE):
        return [not_a("PNG", head)]
    if head[12:16] != b"IHDR":
        return ["PNG does not start with an IHDR chunk"]
    handle.seek(max(size - _PNG_TAIL, 0))
    if b"IEND" not in handle.read():
        return ["PNG has no IEND chunk at the end (truncated?)"]
    return []


def check_jpeg(handle: BinaryIO, size: int) -> list[str]:
    """The start-of-image marker; a missing end marker only when none is near the end.

    Inside entropy-coded data a 0xFF byte is always stuffed, so no FF D9 in the last 64 KiB
    means the file was cut short; padding after a real end marker is tolerated.
    """
    head = handle.read(16)
    if not head.startswith(JPEG_SOI):
        return [not_a("JPEG", head)]
    handle.seek(max(size - _JPEG_TAIL, 0))
    if JPEG_EOI not in handle.read():
        return ["JPEG has no end-of-image marker (truncated?)"]
    return []
