"""FITS headers read with astropy: the summary a library keeps of each frame, and the check
``slooh verify`` (and the engine, before a download is moved into place) runs on ``.fit`` files.

Only headers are read, never a data array: a 50 MB frame costs what its few KiB of header
cost. astropy is imported inside the functions because it costs ~0.3 s, which ``slooh --help``
and a download of PNGs must not pay. Its warnings (``VerifyWarning`` on non-standard cards,
"file may have been truncated"...) are swallowed here: what matters comes back as a one-line
problem or a :class:`FitsHeaderError`, never as warning spam on the user's terminal.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from .._utc import parse_iso_utc
from ._sniff import FITS_BLOCK, FITS_SIGNATURE, not_a

__all__ = [
    "FitsHeaderError",
    "FitsSummary",
    "check_fits_file",
    "read_fits_summary",
    "read_header",
]

_VALID_BITPIX = frozenset({8, 16, 32, 64, -32, -64})
_SUMMARY_KEYWORDS = (
    "DATE-OBS", "DATE_OBS", "TIME-OBS", "UT", "EXPTIME", "EXPOSURE", "FILTER", "OBJECT",
    "TELESCOP", "INSTRUME", "RA", "DEC", "OBJCTRA", "OBJCTDEC", "CTYPE1", "CTYPE2", "CRVAL1",
    "CRVAL2", "NAXIS", "NAXIS1", "NAXIS2", "BITPIX",
)  # fmt: skip
#: Header cards may only hold the printable ASCII characters (FITS standard, section 4.1).
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
#: ``warnings.catch_warnings`` swaps process-wide state: one thread at a time may hold it.
_WARNINGS_LOCK = threading.Lock()


class FitsHeaderError(ValueError):
    """A file's FITS header cannot be read; the message is a one-line reason."""


@dataclass(frozen=True, slots=True)
class FitsSummary:
    """What a FITS frame's header says about it (``None`` where the header is silent).

    ``date_obs`` is UTC (FITS times are UTC unless a ``TIMESYS`` says otherwise, which
    amateur cameras never do); ``exptime`` is in seconds; ``ra_deg``/``dec_deg`` come from
    ``RA``/``DEC``, else ``OBJCTRA``/``OBJCTDEC`` (sexagesimal), else the WCS ``CRVAL1/2``.
    """

    date_obs: datetime | None = None
    exptime: float | None = None
    filter: str | None = None
    object: str | None = None
    telescope: str | None = None
    instrument: str | None = None
    ra_deg: float | None = None
    dec_deg: float | None = None
    naxis1: int | None = None
    naxis2: int | None = None
    bitpix: int | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``date_obs`` as ISO 8601 text): for caches and the tracker."""
        data = asdict(self)
        data["date_obs"] = self.date_obs.isoformat() if self.date_obs else None
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FitsSummary:
        """The inverse of :meth:`to_json`; unknown keys are ignored (newer writers)."""
        values = {item.name: data.get(item.name) for item in fields(cls)}
        values["date_obs"] = parse_iso_utc(values["date_obs"])
        return cls(**values)


def read_fits_summary(path: Path) -> FitsSummary:
    """The summary of the frame at ``path``: its primary header, merged with the first
    extension's when the image lives there (``NAXIS = 0`` in the primary, as compressed or
    multi-extension files do). Raises :class:`FitsHeaderError` when there is no header."""
    with _quiet_astropy():
        from astropy.io import fits

        try:
            with path.open("rb") as handle:
                header = _plain(fits.Header.fromfile(handle), _SUMMARY_KEYWORDS)
                if not header.get("NAXIS") and _has_more(handle, path):
                    header = {**_plain(fits.Header.fromfile(handle), _SUMMARY_KEYWORDS), **header}
        except _astropy_errors() as exc:
            raise FitsHeaderError(_reason(exc, path)) from exc
    return summary_from_header(header)


def read_header(path: Path) -> FitsSummary | str:
    """The summary of the frame at ``path``, or why its header cannot be read (the one-line
    reason of :class:`FitsHeaderError`): what the tracker keeps of a frame either way."""
    try:
        return read_fits_summary(path)
    except FitsHeaderError as exc:
        return str(exc)


def _plain(header: Any, keywords: tuple[str, ...]) -> dict[str, Any]:
    """keyword -> value of the ``keywords`` an astropy header has; a card astropy cannot parse
    is left out (one garbled card should not hide the rest of the header). Only the cards
    asked for are parsed: parsing costs ~30 µs a card and headers hold hundreds."""
    values: dict[str, Any] = {}
    for keyword in keywords:
        try:
            if keyword in header:
                values[keyword] = header[keyword]
        except _astropy_errors():
            continue
    return values


def _has_more(handle: BinaryIO, path: Path) -> bool:
    """Whether another header follows (the primary has no data, so it starts right here)."""
    return bool(handle.tell() < path.stat().st_size)


def summary_from_header(header: Mapping[str, Any]) -> FitsSummary:
    """The summary of a header (an astropy ``Header`` or any mapping of keyword -> value)."""
    ra_deg, dec_deg = _coordinates(header)
    return FitsSummary(
        date_obs=_date_obs(header),
        exptime=_number(header.get("EXPTIME", header.get("EXPOSURE")), minimum=0.0),
        filter=_text(header.get("FILTER")),
        object=_text(header.get("OBJECT")),
        telescope=_text(header.get("TELESCOP")),
        instrument=_text(header.get("INSTRUME")),
        ra_deg=ra_deg,
        dec_deg=dec_deg,
        naxis1=_integer(header.get("NAXIS1")),
        naxis2=_integer(header.get("NAXIS2")),
        bitpix=_integer(header.get("BITPIX")),
    )


# --------------------------------------------------------------------------- values


def _text(value: Any) -> str | None:
    """A string card's value, stripped; ``None`` for empty or non-text values."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def _number(value: Any, *, minimum: float | None = None) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or (minimum is not None and number < minimum):
        return None
    return number


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _date_obs(header: Mapping[str, Any]) -> datetime | None:
    """``DATE-OBS`` (ISO 8601), completed by ``TIME-OBS``/``UT`` when it holds a date only."""
    text = _text(header.get("DATE-OBS")) or _text(header.get("DATE_OBS"))
    if text and "T" not in text:
        clock = _text(header.get("TIME-OBS")) or _text(header.get("UT"))
        text = f"{text}T{clock}" if clock else text
    return parse_iso_utc(text)


def _coordinates(header: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """RA and Dec in degrees from the first pair of cards that has both."""
    for ra_key, dec_key in (("RA", "DEC"), ("OBJCTRA", "OBJCTDEC")):
        ra, dec = _angle(header.get(ra_key), hours=True), _angle(header.get(dec_key))
        if ra is not None and dec is not None and -90.0 <= dec <= 90.0:
            return ra % 360.0, dec
    ctype1, ctype2 = _text(header.get("CTYPE1")) or "", _text(header.get("CTYPE2")) or ""
    if ctype1.upper().startswith("RA") and ctype2.upper().startswith("DEC"):
        ra, dec = _number(header.get("CRVAL1")), _number(header.get("CRVAL2"))
        if ra is not None and dec is not None and -90.0 <= dec <= 90.0:
            return ra % 360.0, dec
    return None, None


def _angle(value: Any, *, hours: bool = False) -> float | None:
    """Degrees from a number (degrees) or text: a decimal number (degrees) or sexagesimal
    ("05 35 17.3", "05:35:17.3", "5h35m17s"), in hours for a right ascension."""
    number = _number(value)
    if number is not None or not isinstance(value, str) or not value.strip():
        return number
    from astropy import units
    from astropy.coordinates import Angle

    try:
        return float(Angle(value.strip(), unit=units.hourangle if hours else units.deg).degree)
    except (ValueError, TypeError, units.UnitsError):
        return None


# --------------------------------------------------------------------------- the check


class _Extent(NamedTuple):
    """Where one HDU's data sit in the file."""

    data_start: int
    data_bytes: int


def check_fits_file(path: Path, size: int) -> list[str]:
    """Problems with the FITS file at ``path`` (``size`` bytes long), each one line.

    A FITS file starts with ``SIMPLE = T``, has valid ``BITPIX``/``NAXIS`` cards, a header of
    printable ASCII ending in ``END``, and is long enough for every data array its headers
    describe (a download cut short is the common failure). astropy's complaints about
    non-standard cards are not problems: cameras write them, the frames are fine.
    """
    with path.open("rb") as handle:
        head = handle.read(FITS_BLOCK)
    if not head.startswith(FITS_SIGNATURE):
        return [not_a("FITS", head)]
    if len(head) < FITS_BLOCK:
        return [f"FITS file is shorter than one {FITS_BLOCK}-byte header block"]
    try:
        primary, header_bytes = _primary_header(path)
        problems = _mandatory_card_problems(primary)
        if not problems and _unprintable(path, header_bytes):
            problems = ["FITS header holds bytes that are not printable ASCII (corrupt header)"]
        return problems or _data_size_problems(_extents(path), size)
    except FitsHeaderError as exc:
        return [str(exc)]


def _primary_header(path: Path) -> tuple[dict[str, Any], int]:
    """The primary header's values and its length in bytes (where its data starts)."""
    with _quiet_astropy():
        from astropy.io import fits

        try:
            with path.open("rb") as handle:
                raw = fits.Header.fromfile(handle)
                header = _plain(raw, ("SIMPLE", "BITPIX", "NAXIS"))
                naxis = min(_integer(header.get("NAXIS")) or 0, 999)
                header |= _plain(raw, tuple(f"NAXIS{n}" for n in range(1, naxis + 1)))
                return header, handle.tell()
        except _astropy_errors() as exc:
            raise FitsHeaderError(_reason(exc, path)) from exc


def _extents(path: Path) -> list[_Extent]:
    """Every HDU's header and data extent, as astropy reads them (no data is loaded)."""
    with _quiet_astropy():
        from astropy.io import fits

        try:
            # Our own handle: astropy leaves the file it opened unclosed when a header fails.
            with path.open("rb") as handle, fits.open(handle, lazy_load_hdus=False) as hdus:
                return [_extent_of(hdu) for hdu in hdus]
        except _astropy_errors() as exc:
            raise FitsHeaderError(_reason(exc, path)) from exc


def _extent_of(hdu: Any) -> _Extent:
    """An HDU's extent; a non-standard one (``SIMPLE = F``) has no data astropy can place."""
    if not hasattr(hdu, "fileinfo"):
        return _Extent(0, 0)
    try:
        data_bytes = int(hdu.size)
    except _astropy_errors():
        data_bytes = 0
    return _Extent(int(hdu.fileinfo()["datLoc"]), data_bytes)


def _mandatory_card_problems(header: Mapping[str, Any]) -> list[str]:
    """The cards every primary header must hold, with sane values (standard, section 4.4)."""
    if header.get("SIMPLE") is not True:
        return ["FITS header does not say SIMPLE = T"]
    missing = [name for name in ("BITPIX", "NAXIS") if name not in header]
    if missing:
        return [f"FITS header has no {name} card" for name in missing]
    bitpix, naxis = _integer(header["BITPIX"]), _integer(header["NAXIS"])
    if bitpix is None or naxis is None or not 0 <= naxis <= 999:
        return ["FITS header has unreadable BITPIX / NAXIS values"]
    if bitpix not in _VALID_BITPIX:
        return [f"FITS header has an invalid BITPIX {bitpix}"]
    lengths = [_integer(header.get(f"NAXIS{n}")) for n in range(1, naxis + 1)]
    return [
        f"FITS header has no valid NAXIS{n} card"
        for n, length in enumerate(lengths, start=1)
        if length is None or length < 0
    ]


def _unprintable(path: Path, header_bytes: int) -> bool:
    """Whether the primary header (padding included) holds anything but printable ASCII."""
    with path.open("rb") as handle:
        return bool(handle.read(header_bytes).translate(None, _PRINTABLE_ASCII))


def _data_size_problems(extents: list[_Extent], size: int) -> list[str]:
    needed = max(extent.data_start + extent.data_bytes for extent in extents)
    if size < needed:
        return [f"FITS data is cut short: header and data need {needed} bytes, file has {size}"]
    return []


# --------------------------------------------------------------------------- astropy


@contextmanager
def _quiet_astropy() -> Iterator[None]:
    """astropy's and numpy's warnings silenced for the block (one thread at a time); astropy's
    own (``AstropyWarning``, ``VerifyWarning``) are ``UserWarning`` subclasses."""
    with _WARNINGS_LOCK, warnings.catch_warnings():
        # UserWarning too: astropy's first import warns about an XDG_CONFIG_HOME that does not
        # exist, before its own warning classes can be named in a filter.
        for category in (UserWarning, RuntimeWarning):
            warnings.simplefilter("ignore", category)
        yield


def _astropy_errors() -> tuple[type[Exception], ...]:
    """What astropy raises on a missing file or a garbled header."""
    from astropy.io.fits.verify import VerifyError

    return (OSError, EOFError, ValueError, TypeError, KeyError, IndexError, VerifyError)


def _reason(exc: Exception, path: Path) -> str:
    """A one-line reason for an unreadable header (astropy's messages span lines)."""
    text = " ".join(str(exc).split())
    if "END card" in text:
        return "FITS header has no END card (truncated?)"
    if isinstance(exc, FileNotFoundError):
        return f"FITS file is missing: {path}"
    if isinstance(exc, EOFError) or "Empty or corrupt" in text:
        return "FITS file is empty or its header is cut short"
    return f"FITS header cannot be read: {text or type(exc).__name__}"
