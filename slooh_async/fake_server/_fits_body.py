"""A FITS frame of the mission's sky: a one-block header with the cards cameras write, then a
16-bit image whose data fills the file, as a calibrated frame from Slooh does.

Up to :data:`_MAX_RENDERED_PIXELS` pixels of the image are rendered (:mod:`._sky`); the rows
below them, in a frame too big for that, are empty sky: a repeated 64 KiB unit of background
counts, so a 256 MiB frame costs what a 512 KiB one does and any range of it is cheap.
"""

from __future__ import annotations

import hashlib
import math
from functools import cache

from ._spec import UNIT, BodySpec, Layout, ascii_text

__all__ = ["fits_layout"]

_FITS_BLOCK = 2880
#: At most this many pixels of a frame are rendered (512 KiB of data, a few ms).
_MAX_RENDERED_PIXELS = 512 * 512
_MAX_WIDTH = 1440
_SKY_BLOCK = 1 << 20
_FILTERS = {
    "l": "Luminance", "r": "Red", "g": "Green", "b": "Blue", "h": "H-Alpha",
    "o": "OIII", "s": "SII", "m": "Clear", "lrgb": "LRGB",
}  # fmt: skip
_EXPOSURES = (30.0, 60.0, 60.0, 90.0, 120.0, 180.0, 300.0)
#: Arc-seconds per pixel written in the WCS cards (Slooh's main imagers are about 1"/px).
_PIXEL_SCALE = 1.2


def fits_layout(spec: BodySpec) -> Layout:
    """Header, rendered rows, then empty-sky units and the zero padding of the last block."""
    if spec.size % _FITS_BLOCK:
        raise ValueError("a FITS size is a whole number of 2880-byte blocks")
    data_room = spec.size - _FITS_BLOCK
    pixels = data_room // 2
    width = min(math.isqrt(pixels), _MAX_WIDTH)
    height = pixels // width
    rows = min(height, max(1, _MAX_RENDERED_PIXELS // width))
    image = _rendered_rows(spec, width, rows)
    count, rest = divmod((height - rows) * width * 2, UNIT)
    unit = _empty_sky(spec.body_seed, 1, UNIT) if count else b""
    tail = _empty_sky(spec.body_seed, 2, rest) + bytes(data_room - width * height * 2)
    return Layout(fits_header(spec, width, height) + image, unit, count, tail)


def _rendered_rows(spec: BodySpec, width: int, rows: int) -> bytes:
    """The top ``rows`` of the image: big-endian int16 with BZERO = 32768 (unsigned counts)."""
    import numpy as np

    from ._sky import frame_counts, scene_for

    counts = frame_counts(
        scene_for(spec.title, spec.scene), spec.product, width, rows, spec.body_seed
    )
    return (counts.astype(np.int32) - 32768).astype(">i2").tobytes()


@cache
def _empty_sky_block() -> bytes:
    """1 MiB of background counts with noise, stored like the image (int16, BZERO)."""
    import numpy as np

    rng = np.random.default_rng(0x5CA1AB1E)
    counts = np.clip(rng.normal(900.0, 18.0, _SKY_BLOCK // 2), 0, 65535)
    return (counts.astype(np.int32) - 32768).astype(">i2").tobytes()


def _empty_sky(seed: int, salt: int, length: int) -> bytes:
    """``length`` bytes of empty sky from a per-file offset, on a whole pixel."""
    offset = (seed * 2654435761 + salt * 40503) % (_SKY_BLOCK - UNIT) & ~1
    return _empty_sky_block()[offset : offset + length]


# --------------------------------------------------------------------------- header


def fits_header(spec: BodySpec, width: int, height: int) -> bytes:
    """One 2880-byte header block: the mandatory cards, what the camera and the mount say,
    and where the target is (RA/DEC always; OBJCTRA/OBJCTDEC or a WCS on some telescopes)."""
    ra, dec = target_coordinates(spec.title)
    cards = [
        _card("SIMPLE", True, "conforms to FITS standard"),
        _card("BITPIX", 16, "16-bit signed integers"),
        _card("NAXIS", 2),
        _card("NAXIS1", width),
        _card("NAXIS2", height),
        _card("BZERO", 32768),
        _card("BSCALE", 1),
        _card("OBJECT", spec.title.strip()[:60] or "Unknown"),
        _card("TELESCOP", spec.telescope),
        _card("INSTRUME", spec.instrument),
        _card("FILTER", _FILTERS.get(spec.product, spec.product.upper())),
        _card("IMAGETYP", "Light Frame"),
        _card("DATE-OBS", spec.taken_at.strftime("%Y-%m-%dT%H:%M:%S"), "UTC"),
        _card("EXPTIME", _EXPOSURES[spec.body_seed % len(_EXPOSURES)], "seconds"),
        _card("RA", round(ra, 5), "degrees"),
        _card("DEC", round(dec, 5), "degrees"),
        *_pointing_cards(spec.telescope, ra, dec, width, height),
        _card("ORIGIN", "slooh-async fake Slooh server"),
        _card("FILENAME", spec.filename[:60]),
        "END".ljust(80),
    ]
    header = "".join(cards)
    if len(header) > _FITS_BLOCK:  # pragma: no cover - a card too many
        raise AssertionError("the fake FITS header outgrew its block")
    return header.ljust(_FITS_BLOCK).encode("ascii")


def target_coordinates(title: str) -> tuple[float, float]:
    """Where a target is, in degrees: fixed per title (made up, not the real sky)."""
    digest = hashlib.blake2b(title.strip().encode(), digest_size=8).digest()
    number = int.from_bytes(digest, "big")
    return (number % 36_000_000) / 100_000, ((number >> 32) % 13_000_000) / 100_000 - 65.0


def _pointing_cards(telescope: str, ra: float, dec: float, width: int, height: int) -> list[str]:
    """ACP-style sexagesimal cards at the Canaries, a TAN WCS in Chile, nothing else elsewhere."""
    if telescope.startswith("Canary"):
        return [
            _card("OBJCTRA", _sexagesimal(ra / 15.0)),
            _card("OBJCTDEC", _sexagesimal(dec, True)),
        ]
    if not telescope.startswith("Chile"):
        return []
    scale = _PIXEL_SCALE / 3600.0
    return [
        _card("CTYPE1", "RA---TAN"), _card("CTYPE2", "DEC--TAN"),
        _card("CRVAL1", round(ra, 6)), _card("CRVAL2", round(dec, 6)),
        _card("CRPIX1", (width + 1) / 2), _card("CRPIX2", (height + 1) / 2),
        _card("CDELT1", -scale), _card("CDELT2", scale),
    ]  # fmt: skip


def _sexagesimal(value: float, signed: bool = False) -> str:
    """``05 35 17.30`` (hours or degrees), ``+05 23 28.0`` with ``signed``."""
    sign = "-" if value < 0 else "+"
    seconds = round(abs(value) * 3600, 1)
    whole, tenths = divmod(round(seconds * 10), 10)
    minutes, secs = divmod(whole, 60)
    degrees, minutes = divmod(minutes, 60)
    text = f"{degrees:02d} {minutes:02d} {secs:02d}.{tenths}"
    return f"{sign}{text}" if signed else text


def _card(keyword: str, value: bool | int | float | str, comment: str = "") -> str:
    if isinstance(value, bool):
        field = ("T" if value else "F").rjust(20)
    elif isinstance(value, int):
        field = str(value).rjust(20)
    elif isinstance(value, float):
        text = f"{value:.10G}"
        field = (text if "." in text or "E" in text else f"{text}.0").rjust(20)
    else:
        text = ascii_text(value).replace("'", "''")[:66]
        field = f"'{text.ljust(8)}'".ljust(20)
    card = f"{keyword:<8}= {field}"
    if comment:
        card += f" / {comment}"
    return card[:80].ljust(80)
