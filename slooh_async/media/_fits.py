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
import os
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
    "inspect_fits",
    "read_fits_summary",
    "read_header",
]

_VALID_BITPIX = frozenset({8, 16, 32, 64, -32, -64})
_SUMMARY_KEYWORDS = (
    "DATE-OBS", "DATE_OBS", "TIME-OBS", "UT", "EXPTIME", "EXPOSURE", "FILTER", "OBJECT",
    "TELESCOP", "INSTRUME", "RA", "DEC", "OBJCTRA", "OBJCTDEC", "CTYPE1", "CTYPE2", "CRVAL1",
    "CRVAL2", "NAXIS", "NAXIS1", "NAXIS2", "BITPIX",
)  # fmt: skip
#: The cards that size an HDU's data (with its NAXISn).
_SIZE_KEYWORDS = ("NAXIS", "BITPIX", "GCOUNT", "PCOUNT", "GROUPS", "NAXIS1")
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
        try:
            with path.open("rb") as handle:
                return _summary(_Headers(handle, os.fstat(handle.fileno()).st_size, path))
        except OSError as exc:
            raise FitsHeaderError(_reason(exc, path)) from exc


def _summary(headers: _Headers) -> FitsSummary:
    """The summary of a file's headers; :class:`FitsHeaderError` when one it needs cannot
    be read."""
    values = _plain(headers.primary().header, _SUMMARY_KEYWORDS)
    if not values.get("NAXIS") and (image := headers.get(1)) is not None:
        values = {**_plain(image.header, _SUMMARY_KEYWORDS), **values}
    return summary_from_header(values)


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


def check_fits_file(path: Path, size: int) -> list[str]:
    """Problems with the FITS file at ``path`` (``size`` bytes long), each one line.

    A FITS file starts with ``SIMPLE = T``, has valid ``BITPIX``/``NAXIS`` cards, a header of
    printable ASCII ending in ``END``, and is long enough for every data array its headers
    describe (a download cut short is the common failure). astropy's complaints about
    non-standard cards are not problems: cameras write them, the frames are fine.
    """
    with path.open("rb") as handle:
        problem = _head_problem(handle)
        if problem is not None:
            return [problem]
        with _quiet_astropy():
            return _problems(_Headers(handle, size, path), size)


def inspect_fits(path: Path, size: int) -> tuple[list[str], FitsSummary | str]:
    """:func:`check_fits_file`'s problems and :func:`read_fits_summary`'s summary (or, as
    text, why there is none) from one open file whose headers are parsed once: what
    ``slooh verify`` needs of a frame whose header the tracker does not hold yet. A file
    that does not even start like FITS is not parsed: its problem is the reason."""
    with path.open("rb") as handle:
        problem = _head_problem(handle)
        if problem is not None:
            return [problem], problem
        with _quiet_astropy():
            headers = _Headers(handle, size, path)
            problems = _problems(headers, size)
            try:
                return problems, _summary(headers)
            except FitsHeaderError as exc:
                return problems, str(exc)


def _head_problem(handle: BinaryIO) -> str | None:
    """Why the file's first block cannot start a FITS file, if it cannot."""
    head = handle.read(FITS_BLOCK)
    if not head.startswith(FITS_SIGNATURE):
        return not_a("FITS", head)
    if len(head) < FITS_BLOCK:
        return f"FITS file is shorter than one {FITS_BLOCK}-byte header block"
    return None


def _problems(headers: _Headers, size: int) -> list[str]:
    """The primary header's problems first (its mandatory cards, then its bytes), then
    whether the file is long enough for every HDU's data."""
    try:
        primary = headers.primary()
    except FitsHeaderError as exc:
        return [str(exc)]
    problems = _mandatory_card_problems(primary.header)
    if not problems and _unprintable(headers.handle, primary.data_start):
        problems = ["FITS header holds bytes that are not printable ASCII (corrupt header)"]
    if not problems and primary.data_bytes is None:
        problems = ["FITS header has unreadable GCOUNT / PCOUNT values"]
    return problems or _data_size_problems(headers.all(), size)


class _Hdu(NamedTuple):
    """One header as astropy parsed it, and where its data sit in the file."""

    header: Any
    data_start: int
    data_bytes: int | None  # None: the cards give no size


class _Headers:
    """The headers of one open FITS file in file order, each read and parsed (by astropy)
    once, when first asked for. Reading ends at the end of the file, at a header that cannot
    be read, or after one whose cards give no data size; astropy's own reading of a file ends
    there too (bytes after the last HDU that hold no header are not a problem)."""

    def __init__(self, handle: BinaryIO, size: int, path: Path) -> None:
        self.handle = handle
        self._size = size
        self._path = path
        self._hdus: list[_Hdu] = []
        self._next: int | None = 0  # where the next header starts; None: nothing more
        self._error: FitsHeaderError | None = None

    def primary(self) -> _Hdu:
        """The primary header; :class:`FitsHeaderError` when it cannot be read."""
        if not self._hdus and not self._read_next():
            raise self._error or FitsHeaderError("FITS file has no header")
        return self._hdus[0]

    def get(self, index: int) -> _Hdu | None:
        """The ``index``-th header (0: the primary), ``None`` past the last one; raises
        :class:`FitsHeaderError` when that very header cannot be read."""
        while len(self._hdus) <= index and self._read_next():
            pass
        if index < len(self._hdus):
            return self._hdus[index]
        if index == len(self._hdus) and self._error is not None:
            raise self._error
        return None

    def all(self) -> list[_Hdu]:
        """Every header that can be read."""
        while self._read_next():
            pass
        return self._hdus

    def _read_next(self) -> bool:
        start, self._next = self._next, None
        if start is None or (self._hdus and start >= self._size):
            return False
        from astropy.io import fits

        self.handle.seek(start)
        try:
            header = fits.Header.fromfile(self.handle)
        except _astropy_errors() as exc:
            self._error = FitsHeaderError(_reason(exc, self._path))
            self._error.__cause__ = exc
            return False
        data_start, data_bytes = self.handle.tell(), _data_bytes(header)
        self._hdus.append(_Hdu(header, data_start, data_bytes))
        if data_bytes is not None:
            self._next = data_start + data_bytes + -data_bytes % FITS_BLOCK
        return True


def _data_bytes(header: Any) -> int | None:
    """Bytes of the data after ``header``, as the FITS standard (4.4.1, 6) and astropy count
    them: |BITPIX| x GCOUNT x (PCOUNT + NAXIS1 x ... x NAXISn) / 8, without NAXIS1 in random
    groups; ``None`` when the cards give no size."""
    cards = _plain(header, _SIZE_KEYWORDS)
    naxis, bitpix = _integer(cards.get("NAXIS", 0)), _integer(cards.get("BITPIX"))
    if naxis is not None and naxis <= 0:
        return 0
    if naxis is None or naxis > 999 or bitpix is None:
        return None
    groups = cards.get("GROUPS") is True and cards.get("NAXIS1") == 0
    names = tuple(f"NAXIS{n}" for n in range(2 if groups else 1, naxis + 1))
    values = [*_plain(header, names).values(), cards.get("GCOUNT", 1), cards.get("PCOUNT", 0)]
    counts = [value for value in values if _integer(value) is not None and value >= 0]
    if len(counts) != len(names) + 2:
        return None
    *axes, gcount, pcount = counts
    return int(abs(bitpix) * gcount * (pcount + math.prod(axes)) // 8)


def _mandatory_card_problems(header: Any) -> list[str]:
    """The cards every primary header must hold, with sane values (standard, section 4.4)."""
    cards = _plain(header, ("SIMPLE", "BITPIX", "NAXIS"))
    if cards.get("SIMPLE") is not True:
        return ["FITS header does not say SIMPLE = T"]
    missing = [name for name in ("BITPIX", "NAXIS") if name not in cards]
    if missing:
        return [f"FITS header has no {name} card" for name in missing]
    bitpix, naxis = _integer(cards["BITPIX"]), _integer(cards["NAXIS"])
    if bitpix is None or naxis is None or not 0 <= naxis <= 999:
        return ["FITS header has unreadable BITPIX / NAXIS values"]
    if bitpix not in _VALID_BITPIX:
        return [f"FITS header has an invalid BITPIX {bitpix}"]
    axes = _plain(header, tuple(f"NAXIS{n}" for n in range(1, naxis + 1)))
    lengths = [_integer(axes.get(f"NAXIS{n}")) for n in range(1, naxis + 1)]
    return [
        f"FITS header has no valid NAXIS{n} card"
        for n, length in enumerate(lengths, start=1)
        if length is None or length < 0
    ]


def _unprintable(handle: BinaryIO, header_bytes: int) -> bool:
    """Whether the primary header (padding included) holds anything but printable ASCII."""
    handle.seek(0)
    return bool(handle.read(header_bytes).translate(None, _PRINTABLE_ASCII))


def _data_size_problems(hdus: list[_Hdu], size: int) -> list[str]:
    needed = max(hdu.data_start + (hdu.data_bytes or 0) for hdu in hdus)
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
