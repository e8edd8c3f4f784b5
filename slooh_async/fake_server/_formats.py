"""Valid PNG, JPEG and FITS files of any size, described as ``prefix + unit * count + tail``.

A big file is mostly one repeated *unit* (a private PNG chunk, a JPEG comment segment, or a
slice of FITS pixel data), so any byte range is cheap to compute and nothing big is held in
memory. The units' bytes come from one shared random block at a per-file offset: each file's
bytes differ and are fixed by its ``body_seed``.
"""

from __future__ import annotations

import base64
import math
import random
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache

__all__ = ["MIN_SIZE", "UNIT", "BodySpec", "Layout", "build_layout", "fits_size"]

UNIT = 64 * 1024
#: The smallest size each format can be built at (header, image and trailer).
MIN_SIZE = {"PNG": 1024, "JPEG": 1024, "FITS": 2 * 2880}
_BLOCK_SIZE = 1 << 20
_FITS_BLOCK = 2880
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A 16x16 baseline JPEG made once with Pillow: SOI and APP0 (JFIF) come first, the rest
# (tables, frame, scan, EOI) goes after our comment segments.
_JPEG_HEAD = bytes.fromhex("ffd8ffe000104a46494600010100000100010000")
_JPEG_REST = base64.b64decode(
    "/9sAQwAFAwQEBAMFBAQEBQUFBgcMCAcHBwcPCwsJDBEPEhIRDxERExYcFxMUGhURERghGBodHR8fHxMXIiQiHiQc"
    "Hh8e/9sAQwEFBQUHBgcOCAgOHhQRFB4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4e"
    "Hh4eHh4e/8AAEQgAEAAQAwEiAAIRAQMRAf/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIB"
    "AwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2"
    "Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1"
    "tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/EAB8BAAMBAQEBAQEBAQEAAAAAAAAB"
    "AgMEBQYHCAkKC//EALURAAIBAgQEAwQHBQQEAAECdwABAgMRBAUhMQYSQVEHYXETIjKBCBRCkaGxwQkjM1LwFWJy"
    "0QoWJDThJfEXGBkaJicoKSo1Njc4OTpDREVGR0hJSlNUVVZXWFlaY2RlZmdoaWpzdHV2d3h5eoKDhIWGh4iJipKT"
    "lJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uLj5OXm5+jp6vLz9PX29/j5+v/aAAwD"
    "AQACEQMRAD8A8Z0Lwp9393+ld7oXhT7v7v8ASu70Lwp9393+ld7oXhT7v7r9K2zTiffUXAvGPw+8f//Z"
)
_FILTERS = {
    "l": "Luminance", "r": "Red", "g": "Green", "b": "Blue", "h": "H-Alpha",
    "o": "OIII", "s": "SII", "m": "Clear", "lrgb": "LRGB",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class BodySpec:
    """What a file's bytes depend on (and nothing else)."""

    format: str
    size: int
    body_seed: int
    filename: str
    title: str
    telescope: str
    instrument: str
    product: str
    taken_at: datetime


@dataclass(frozen=True, slots=True)
class Layout:
    """A file's bytes: ``prefix + unit * count + tail``."""

    prefix: bytes
    unit: bytes
    count: int
    tail: bytes

    @property
    def size(self) -> int:
        """Total length in bytes."""
        return len(self.prefix) + len(self.unit) * self.count + len(self.tail)


@cache
def _random_block() -> bytes:
    return random.Random(0x51007).randbytes(_BLOCK_SIZE)


def _noise(seed: int, salt: int, length: int) -> bytes:
    """``length`` bytes of the shared block at an offset chosen by ``seed`` (≤ 1 MiB - 64 KiB)."""
    offset = (seed * 2654435761 + salt * 40503) % (_BLOCK_SIZE - UNIT)
    return _random_block()[offset : offset + length]


def fits_size(target: int) -> int:
    """The FITS size nearest above ``target``: whole 2880-byte blocks, header plus data."""
    blocks = max(2, math.ceil(target / _FITS_BLOCK))
    return blocks * _FITS_BLOCK


def build_layout(spec: BodySpec) -> Layout:
    """The layout of one file, exactly ``spec.size`` bytes long."""
    if spec.size < MIN_SIZE[spec.format]:
        raise ValueError(f"{spec.format} files need at least {MIN_SIZE[spec.format]} bytes")
    builders = {"PNG": _png_layout, "JPEG": _jpeg_layout, "FITS": _fits_layout}
    layout = builders[spec.format](spec)
    if layout.size != spec.size:  # pragma: no cover - a bug in a builder
        raise AssertionError(f"{spec.filename}: built {layout.size} bytes, not {spec.size}")
    return layout


# --------------------------------------------------------------------------- PNG


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


_PNG_SOFTWARE = _png_chunk(b"tEXt", b"Software\x00slooh-async fake Slooh server")
_PNG_END = _png_chunk(b"IEND", b"")


@lru_cache(maxsize=256)
def _png_image(variant: int, side: int = 32) -> bytes:
    """IHDR and IDAT of a small RGB gradient, one of 256 colour variants.

    Rows use the PNG "Sub" filter, so a gradient is a run of equal deltas and compresses to
    almost nothing; the variants are cached (deflate's set-up costs more than a small file).
    """
    red, green, blue = (variant * 37) % 256, (variant * 101) % 256, (variant * 59) % 256
    step = bytes((7, 0, 3)) * (side - 1)
    rows = bytearray()
    for y in range(side):
        rows += bytes((1, red, (green + 7 * y) % 256, (blue + 3 * y) % 256)) + step
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))


def _png_layout(spec: BodySpec) -> Layout:
    head = _PNG_SIGNATURE + _png_image(spec.body_seed % 256) + _PNG_SOFTWARE
    comment = b"Comment\x00" + _ascii(spec.filename).encode()
    end = _PNG_END
    free = spec.size - len(head) - len(end) - (12 + len(comment))
    count, rest = divmod(free, UNIT)
    pad, remainder = (0, _filler_chunk(spec, 2, rest)) if rest >= 12 else (rest, b"")
    prefix = head + _png_chunk(b"tEXt", comment + b" " * pad)
    unit = _filler_chunk(spec, 1, UNIT) if count else b""
    return Layout(prefix, unit, count, remainder + end)


def _filler_chunk(spec: BodySpec, salt: int, total: int) -> bytes:
    # flLr: ancillary, private, safe to copy: every decoder skips it after checking its CRC.
    return _png_chunk(b"flLr", _noise(spec.body_seed, salt, total - 12))


# --------------------------------------------------------------------------- JPEG


def _jpeg_comment(data: bytes) -> bytes:
    return b"\xff\xfe" + struct.pack(">H", len(data) + 2) + data


def _jpeg_layout(spec: BodySpec) -> Layout:
    ident = f"{_ascii(spec.filename)} - slooh-async fake Slooh server".encode()
    free = spec.size - len(_JPEG_HEAD) - len(_JPEG_REST) - (4 + len(ident))
    count, rest = divmod(free, UNIT)
    if rest >= 4:
        pad, remainder = 0, _jpeg_comment(_noise(spec.body_seed, 2, rest - 4))
    else:
        pad, remainder = rest, b""
    prefix = _JPEG_HEAD + _jpeg_comment(ident + b" " * pad)
    unit = _jpeg_comment(_noise(spec.body_seed, 1, UNIT - 4)) if count else b""
    return Layout(prefix, unit, count, remainder + _JPEG_REST)


# --------------------------------------------------------------------------- FITS


def _fits_layout(spec: BodySpec) -> Layout:
    if spec.size % _FITS_BLOCK:
        raise ValueError("a FITS size is a whole number of 2880-byte blocks")
    data_room = spec.size - _FITS_BLOCK
    pixels = data_room // 2
    width = min(math.isqrt(pixels), 1440)
    height = pixels // width
    data_length = width * height * 2
    count, rest = divmod(data_length, UNIT)
    unit = _noise(spec.body_seed, 1, UNIT) if count else b""
    tail = _noise(spec.body_seed, 2, rest) + bytes(data_room - data_length)
    return Layout(_fits_header(spec, width, height), unit, count, tail)


def _fits_header(spec: BodySpec, width: int, height: int) -> bytes:
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
        _card("DATE-OBS", spec.taken_at.strftime("%Y-%m-%dT%H:%M:%S"), "UTC"),
        _card("EXPTIME", 30.0 + spec.body_seed % 90, "seconds"),
        _card("ORIGIN", "slooh-async fake Slooh server"),
        _card("FILENAME", spec.filename[:60]),
        "END".ljust(80),
    ]
    header = "".join(cards)
    return header.ljust(_FITS_BLOCK).encode("ascii")


def _card(keyword: str, value: bool | int | float | str, comment: str = "") -> str:
    if isinstance(value, bool):
        field = ("T" if value else "F").rjust(20)
    elif isinstance(value, int | float):
        field = str(value).rjust(20)
    else:
        text = _ascii(value).replace("'", "''")[:66]
        field = f"'{text.ljust(8)}'".ljust(20)
    card = f"{keyword:<8}= {field}"
    if comment:
        card += f" / {comment}"
    return card[:80].ljust(80)


def _ascii(text: str) -> str:
    """Printable ASCII only (FITS headers and PNG text want it)."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text)
