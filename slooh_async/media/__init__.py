"""What a file's bytes say: is a ``.png`` really a whole PNG, a ``.fit`` really FITS?

The bottom layer beside ``api`` and ``organizer``: it knows file formats and nothing of the
service, the library or the run. The engine checks each download with it before the file is
moved into place; ``slooh verify`` checks the library with it. It also moves finished files
into place (:func:`replace_file`), patiently where another program holds them (Windows).
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
from ._replace import FileInUseError, replace_file, retry_in_use

__all__ = [
    "FITS_BLOCK",
    "HEAD_BYTES",
    "JPEG_SOI",
    "PNG_SIGNATURE",
    "FileInUseError",
    "check_content",
    "check_fits",
    "check_jpeg",
    "check_png",
    "file_digest",
    "head_problem",
    "replace_file",
    "retry_in_use",
    "sniff",
]
