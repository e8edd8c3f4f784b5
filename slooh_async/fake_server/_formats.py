"""Valid PNG, JPEG and FITS files of any size that look like the sky: ``prefix + unit * count
+ tail``.

The head of every file is a real image of its mission's synthetic sky (:mod:`._sky`): a PNG or
JPEG picture as large as the file's size allows (up to 256 pixels), or a FITS frame whose data
fills the file (:mod:`._fits_body`). A big file is then mostly one repeated *unit* (a private
PNG chunk, a JPEG comment segment, or empty-sky FITS pixels), so any byte range is cheap to
compute and nothing big is held in memory. Units come from shared random blocks at a per-file
offset: each file's bytes differ and are fixed by its spec.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from functools import lru_cache

from ._fits_body import fits_layout
from ._spec import MIN_SIZE, UNIT, BodySpec, Layout, ascii_text, noise

__all__ = ["MIN_SIZE", "UNIT", "BodySpec", "Layout", "build_layout", "fits_size"]

_FITS_BLOCK = 2880
#: Picture sides tried, largest first: the largest whose encoding fits the file is used.
_SIDES = (256, 192, 128, 96, 64, 48, 32, 24, 16, 8)
#: Fewest bytes per pixel an encoding of each side takes, by format and colour (measured over
#: the catalog's titles): a side that cannot fit is not encoded at all.
_MIN_BYTES_PER_PIXEL = {
    ("PNG", True): (0.29, 0.37, 0.56, 0.76, 1.16, 1.55, 2.22, 2.72, 3.12, 2.59),
    ("PNG", False): (0.14, 0.18, 0.27, 0.37, 0.54, 0.69, 0.96, 1.11, 1.18, 1.38),
    ("JPEG", True): (0.08, 0.12, 0.2, 0.3, 0.47, 0.68, 1.12, 1.67, 3.04, 10.23),
    ("JPEG", False): (0.08, 0.12, 0.2, 0.28, 0.42, 0.57, 0.83, 1.13, 1.86, 5.36),
}
#: Products Slooh delivers as colour pictures (the others are one filter, in grey).
_COLOUR_PRODUCTS = frozenset({"lrgb", "m"})
#: A filename longer than this is cut in the text we embed (the budget must stay small).
_MAX_IDENT = 120


def fits_size(target: int) -> int:
    """The FITS size nearest above ``target``: whole 2880-byte blocks, header plus data."""
    blocks = max(2, math.ceil(target / _FITS_BLOCK))
    return blocks * _FITS_BLOCK


def build_layout(spec: BodySpec) -> Layout:
    """The layout of one file, exactly ``spec.size`` bytes long."""
    if spec.size < MIN_SIZE[spec.format]:
        raise ValueError(f"{spec.format} files need at least {MIN_SIZE[spec.format]} bytes")
    if spec.format == "FITS":
        layout = fits_layout(spec)
    else:
        layout = (_png_layout if spec.format == "PNG" else _jpeg_layout)(spec)
    if layout.size != spec.size:  # pragma: no cover - a bug in a builder
        raise AssertionError(f"{spec.filename}: built {layout.size} bytes, not {spec.size}")
    return layout


# --------------------------------------------------------------------------- pictures


@lru_cache(maxsize=64)
def _encoded(title: str, scene: int, product: str, file_format: str, side: int) -> bytes:
    """The mission's sky as a whole PNG or JPEG file, ``side`` pixels square."""
    from PIL import Image

    from ._sky import colour_picture, mono_picture, scene_for

    sky = scene_for(title, scene)
    if product in _COLOUR_PRODUCTS:
        picture = Image.fromarray(colour_picture(sky, side), mode="RGB")
    else:
        picture = Image.fromarray(mono_picture(sky, product, side), mode="L")
    buffer = io.BytesIO()
    if file_format == "PNG":
        picture.save(buffer, format="PNG", compress_level=3)
    else:
        picture.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _picture(spec: BodySpec, budget: int) -> bytes:
    """The largest picture of the sky whose encoding takes at most ``budget`` bytes."""
    floors = _MIN_BYTES_PER_PIXEL[spec.format, spec.product in _COLOUR_PRODUCTS]
    for side, floor in zip(_SIDES, floors, strict=True):
        if side * side * floor > budget and side != _SIDES[-1]:
            continue
        encoded = _encoded(spec.title, spec.scene, spec.product, spec.format, side)
        if len(encoded) <= budget:
            return encoded
    raise ValueError(f"{spec.filename}: {spec.size} bytes cannot hold a {spec.format} picture")


def _ident(spec: BodySpec) -> bytes:
    return ascii_text(spec.filename)[:_MAX_IDENT].encode()


# --------------------------------------------------------------------------- PNG


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


_PNG_SOFTWARE = _png_chunk(b"tEXt", b"Software\x00slooh-async fake Slooh server")
_PNG_END = _png_chunk(b"IEND", b"")


def _png_layout(spec: BodySpec) -> Layout:
    comment = b"Comment\x00" + _ident(spec)
    fixed = len(_PNG_SOFTWARE) + 12 + len(comment)
    # Pillow's file ends with its IEND, which must stay last: it moves to the tail.
    picture = _picture(spec, spec.size - fixed)[: -len(_PNG_END)]
    head = picture + _PNG_SOFTWARE
    free = spec.size - len(head) - len(_PNG_END) - (12 + len(comment))
    count, rest = divmod(free, UNIT)
    pad, remainder = (0, _filler_chunk(spec, 2, rest)) if rest >= 12 else (rest, b"")
    prefix = head + _png_chunk(b"tEXt", comment + b" " * pad)
    unit = _filler_chunk(spec, 1, UNIT) if count else b""
    return Layout(prefix, unit, count, remainder + _PNG_END)


def _filler_chunk(spec: BodySpec, salt: int, total: int) -> bytes:
    # flLr: ancillary, private, safe to copy: every decoder skips it after checking its CRC.
    return _png_chunk(b"flLr", noise(spec.body_seed, salt, total - 12))


# --------------------------------------------------------------------------- JPEG


def _jpeg_comment(data: bytes) -> bytes:
    return b"\xff\xfe" + struct.pack(">H", len(data) + 2) + data


#: SOI and the JFIF APP0 segment Pillow writes first; our comments go right after them.
_JPEG_HEAD_LENGTH = 20


def _jpeg_layout(spec: BodySpec) -> Layout:
    ident = _ident(spec) + b" - slooh-async fake Slooh server"
    picture = _picture(spec, spec.size - (4 + len(ident)))
    head, rest_of_picture = picture[:_JPEG_HEAD_LENGTH], picture[_JPEG_HEAD_LENGTH:]
    if head[:4] != b"\xff\xd8\xff\xe0":  # pragma: no cover - another Pillow writes otherwise
        raise AssertionError("Pillow's JPEG does not start with SOI and APP0")
    free = spec.size - len(picture) - (4 + len(ident))
    count, rest = divmod(free, UNIT)
    if rest >= 4:
        pad, remainder = 0, _jpeg_comment(noise(spec.body_seed, 2, rest - 4))
    else:
        pad, remainder = rest, b""
    prefix = head + _jpeg_comment(ident + b" " * pad)
    unit = _jpeg_comment(noise(spec.body_seed, 1, UNIT - 4)) if count else b""
    return Layout(prefix, unit, count, remainder + rest_of_picture)
