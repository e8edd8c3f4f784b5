"""What a file's bytes say: is a ``.png`` really a whole PNG, a ``.fit`` really FITS, and what
does a FITS frame's header tell (object, filter, exposure, where in the sky)?

The bottom layer beside ``api`` and ``organizer``: it knows file formats and nothing of the
service, the library or the run. The engine checks each download with it before the file is
moved into place and reads a finished frame's header with it; ``slooh verify`` checks the
library with it; the tracker's backfill reads the headers it lacks with it (astropy is loaded
only when a FITS file is looked at). It also moves finished files
into place (:func:`replace_file`), patiently where another program holds them (Windows),
and writes small files whole or not at all (:func:`write_atomically`).
"""

from __future__ import annotations

from ._digest import file_digest
from ._fits import (
    FitsHeaderError,
    FitsSummary,
    check_fits_file,
    inspect_fits,
    read_fits_summary,
    read_header,
)
from ._formats import check_content, check_jpeg, check_png
from ._replace import FileInUseError, replace_file, retry_in_use
from ._sniff import FITS_BLOCK, HEAD_BYTES, JPEG_SOI, PNG_SIGNATURE, head_problem, sniff
from ._write import write_atomically

__all__ = [
    "FITS_BLOCK",
    "HEAD_BYTES",
    "JPEG_SOI",
    "PNG_SIGNATURE",
    "FileInUseError",
    "FitsHeaderError",
    "FitsSummary",
    "check_content",
    "check_fits_file",
    "check_jpeg",
    "check_png",
    "file_digest",
    "head_problem",
    "inspect_fits",
    "read_fits_summary",
    "read_header",
    "replace_file",
    "retry_in_use",
    "sniff",
    "write_atomically",
]
