"""What a file's bytes say: is a ``.png`` really a whole PNG, a ``.fit`` really FITS?

The bottom layer beside ``api`` and ``organizer``: it knows file formats and nothing of the
service, the library or the run. The engine checks each download with it before the file is
moved into place; ``slooh verify`` checks the library with it.
"""

from __future__ import annotations

from ._digest import file_digest
from ._formats import (
    FITS_BLOCK,
    HEAD_BYTES,
    JPEG_SOI,
    PNG_SIGNATURE,
    check_content,
    check_fits,
    check_jpeg,
    check_png,
    head_problem,
    sniff,
)

__all__ = [
    "FITS_BLOCK",
    "HEAD_BYTES",
    "JPEG_SOI",
    "PNG_SIGNATURE",
    "check_content",
    "check_fits",
    "check_jpeg",
    "check_png",
    "file_digest",
    "head_problem",
    "sniff",
]
