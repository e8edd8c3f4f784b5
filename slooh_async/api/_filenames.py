"""What a Slooh file name tells: target code, UTC time, filter and format (pure functions).

Slooh names files ``{target}_{YYYYMMDD}_{HHMMSS}_{seq}_{uid}_{product}[_cal].{ext}``, for example
``m42_20260121_011658_0_iycarr_b_cal.fit`` or ``ngc3195_20260123_062211_0_zuyu47_lrgb.png``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

__all__ = [
    "FORMAT_BY_EXTENSION",
    "FilenameInfo",
    "filename_from_url",
    "format_of",
    "parse_filename",
]

FORMAT_BY_EXTENSION = {
    ".fit": "FITS",
    ".fits": "FITS",
    ".fts": "FITS",
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
}

_NAME = re.compile(
    r"^(?P<target>.+?)_(?P<date>\d{8})_(?P<time>\d{4,6})_(?P<seq>\d+)_(?P<uid>[A-Za-z0-9]+)"
    r"_(?P<product>[A-Za-z]+?)(?P<cal>_cal)?$",
)

#: product code -> (filter name, image type)
_PRODUCTS: dict[str, tuple[str, str]] = {
    "l": ("L", "Luminance"),
    "r": ("R", "RGB"),
    "g": ("G", "RGB"),
    "b": ("B", "RGB"),
    "lrgb": ("LRGB", "RGB"),
    "rgb": ("RGB", "RGB"),
    "h": ("Ha", "Narrowband"),
    "ha": ("Ha", "Narrowband"),
    "o": ("OIII", "Narrowband"),
    "oiii": ("OIII", "Narrowband"),
    "s": ("SII", "Narrowband"),
    "sii": ("SII", "Narrowband"),
    "m": ("Mono", "Mono"),
}


@dataclass(frozen=True)
class FilenameInfo:
    """The parts of a Slooh file name; fields are ``None`` when the name is not in that scheme."""

    stem: str
    extension: str
    target: str | None = None
    taken_at: datetime | None = None
    sequence: int | None = None
    unique_id: str | None = None
    product: str | None = None
    calibrated: bool = False

    @property
    def format(self) -> str:
        """``FITS``, ``PNG``, ``JPEG``, or the upper-cased extension for anything else."""
        return format_of(self.extension)

    @property
    def filter(self) -> str | None:
        """The filter: ``L``, ``R``, ``G``, ``B``, ``Ha``, ``OIII``, ``SII``, ``Mono``, ``LRGB``."""
        if self.product is None:
            return None
        known = _PRODUCTS.get(self.product.lower())
        return known[0] if known else self.product.upper()

    @property
    def image_type(self) -> str:
        """``FITS`` for FITS, else ``Luminance``, ``RGB``, ``Narrowband``, ``Mono`` or ``Other``."""
        if self.format == "FITS":
            return "FITS"
        known = _PRODUCTS.get((self.product or "").lower())
        return known[1] if known else "Other"


def format_of(extension: str) -> str:
    """The format name for a file extension (with or without the dot)."""
    ext = extension.lower()
    ext = ext if ext.startswith(".") else f".{ext}"
    return FORMAT_BY_EXTENSION.get(ext, ext.lstrip(".").upper() or "FILE")


def filename_from_url(url: str) -> str:
    """The last path segment of a URL, percent-decoded; never the query string.

    Never raises: a URL that does not parse (``http://[::1/x.png``) is cut at its query and
    fragment by hand, so a malformed listing item still has a name to be reported under.
    """
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        path = url.strip().split("#", 1)[0].split("?", 1)[0]
    return posixpath.basename(unquote(path).replace("\\", "/"))


def parse_filename(name: str) -> FilenameInfo:
    """Split a Slooh file name into its parts; unknown schemes keep only stem and extension."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or "/" in ext or len(ext) > 5:
        stem, ext = name, ""
    extension = f".{ext.lower()}" if ext else ""
    match = _NAME.match(stem)
    if match is None:
        return FilenameInfo(stem=stem, extension=extension)
    return FilenameInfo(
        stem=stem,
        extension=extension,
        target=match["target"],
        taken_at=_timestamp(match["date"], match["time"]),
        sequence=int(match["seq"]),
        unique_id=match["uid"],
        product=match["product"],
        calibrated=match["cal"] is not None,
    )


def _timestamp(date: str, time: str) -> datetime | None:
    time = time.ljust(6, "0")
    try:
        return datetime.strptime(date + time, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
