"""A finished FITS frame's header, read once, to travel with its ``done`` row.

The tracker stores it with the row (``fits_headers``): ``slooh stats`` sums exposure from it
and the gallery shows it without opening the file again. An unreadable header is the row's
``fits_header`` too, as its reason, never a failed download: the file is whole (the storage
checks passed).
Blocking (astropy reads a few KiB): the pipeline calls it in a worker thread.
"""

from __future__ import annotations

import dataclasses

from ..media import read_header
from ..tracker import ImageRow

__all__ = ["with_fits_header"]


def with_fits_header(row: ImageRow) -> ImageRow:
    """``row`` with its frame's header summary (or why it cannot be read); other rows as
    they are."""
    if row.status != "done" or row.path is None or not row.is_fits:
        return row
    return dataclasses.replace(row, fits_header=read_header(row.path))
