"""Content sanity of downloaded files: is a ``.fit`` really FITS, a ``.png`` a whole PNG...

The checks look for what goes wrong when downloading: an HTML error page saved under an image
name, and a body cut short. They read the head and tail of a file, never the whole of it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "HEAD_BYTES",
    "check_content",
    "check_fits",
    "check_jpeg",
    "check_png",
    "head_problem",
    "sniff",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8\xff"
JPEG_EOI = b"\xff\xd9"
FITS_BLOCK = 2880
FITS_CARD = 80
#: Headers longer than this many blocks are not something Slooh writes; stop looking for END.
_MAX_HEADER_BLOCKS = 100
#: How far from the end a PNG's IEND / a JPEG's EOI may sit (writers may pad after them).
_PNG_TAIL = 1024
_JPEG_TAIL = 64 * 1024
_VALID_BITPIX = {8, 16, 32, 64, -32, -64}
#: Header cards may only hold the printable ASCII characters (FITS standard, section 4.1).
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


#: how many first bytes :func:`head_problem` needs to judge a file
HEAD_BYTES = 16
_SIGNATURES = {"PNG": PNG_SIGNATURE, "JPEG": JPEG_SOI, "FITS": b"SIMPLE  ="}


def head_problem(head: bytes, fmt: str) -> str | None:
    """Why a file starting with ``head`` cannot be a ``fmt`` file (``None``: it can).

    The download check: cheap, on the first bytes in memory, so an error page saved under an
    image's name is caught before it is ever moved into place. Formats without a known
    signature pass.
    """
    signature = _SIGNATURES.get(fmt.upper())
    if signature is None or head.startswith(signature):
        return None
    if len(head) < len(signature) and signature.startswith(head):
        return f"{fmt} file is only {len(head)} bytes long"
    return _not_a(fmt.upper(), head)


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file look like, for messages ("looks like HTML")."""
    text = head[:64].lstrip().lower()
    signatures = (
        (head.startswith(PNG_SIGNATURE), "PNG"),
        (head.startswith(JPEG_SOI), "JPEG"),
        (head.startswith(b"SIMPLE  ="), "FITS"),
        (head.startswith((b"GIF87a", b"GIF89a")), "GIF"),
        (text.startswith((b"<!doctype html", b"<html")), "HTML (an error page?)"),
        (text.startswith(b"<?xml"), "XML"),
        (text.startswith((b"{", b"[")), "JSON"),
    )
    return next((name for matched, name in signatures if matched), None)


def _not_a(kind: str, head: bytes) -> str:
    looks = sniff(head)
    return f"not a {kind} file" + (f" (looks like {looks})" if looks else "")


def check_content(path: Path, fmt: str, size: int) -> list[str]:
    """Problems with the content of ``path`` for its format (FITS, PNG, JPEG; others pass)."""
    checks = {"FITS": check_fits, "PNG": check_png, "JPEG": check_jpeg}
    check = checks.get(fmt.upper())
    if check is None:
        return []
    with path.open("rb") as handle:
        return check(handle, size)


def check_png(handle: BinaryIO, size: int) -> list[str]:
    """The PNG signature, an IHDR chunk first, and an IEND chunk at the end."""
    head = handle.read(16)
    if not head.startswith(PNG_SIGNATURE):
        return [_not_a("PNG", head)]
    if head[12:16] != b"IHDR":
        return ["PNG does not start with an IHDR chunk"]
    handle.seek(max(size - _PNG_TAIL, 0))
    if b"IEND" not in handle.read():
        return ["PNG has no IEND chunk at the end (truncated?)"]
    return []


def check_jpeg(handle: BinaryIO, size: int) -> list[str]:
    """The start-of-image marker; a missing end marker only when none is near the end.

    Inside entropy-coded data a 0xFF byte is always stuffed, so no FF D9 in the last 64 KiB
    means the file was cut short; padding after a real end marker is tolerated.
    """
    head = handle.read(16)
    if not head.startswith(JPEG_SOI):
        return [_not_a("JPEG", head)]
    handle.seek(max(size - _JPEG_TAIL, 0))
    if JPEG_EOI not in handle.read():
        return ["JPEG has no end-of-image marker (truncated?)"]
    return []


def check_fits(handle: BinaryIO, size: int) -> list[str]:
    """A primary header of 80-character ASCII cards: SIMPLE = T, BITPIX, NAXIS, END; and
    enough bytes after it for the data array the header describes."""
    first = handle.read(FITS_BLOCK)
    if not first.startswith(b"SIMPLE  ="):
        return [_not_a("FITS", first)]
    if len(first) < FITS_BLOCK:
        return [f"FITS file is shorter than one {FITS_BLOCK}-byte header block"]
    if _card_value(first[:FITS_CARD]) != "T":
        return ["FITS header does not say SIMPLE = T"]
    if first.translate(None, _PRINTABLE_ASCII):
        return ["FITS header holds bytes that are not printable ASCII (corrupt header)"]
    cards, blocks = _header_cards(handle, first)
    if cards is None:
        return ["FITS header has no END card (truncated?)"]
    problems = [
        f"FITS header has no {name} card" for name in ("BITPIX", "NAXIS") if name not in cards
    ]
    if not problems:
        problems = _check_data_size(cards, blocks * FITS_BLOCK, size)
    return problems


def _header_cards(handle: BinaryIO, first: bytes) -> tuple[dict[str, str] | None, int]:
    """Keyword -> value of the header's cards, and its length in blocks (``None``: no END)."""
    cards: dict[str, str] = {}
    block, blocks = first, 1
    while len(block) == FITS_BLOCK and blocks <= _MAX_HEADER_BLOCKS:
        for start in range(0, FITS_BLOCK, FITS_CARD):
            card = block[start : start + FITS_CARD]
            keyword = card[:8].decode("ascii", "replace").rstrip()
            if keyword == "END":
                return cards, blocks
            if card[8:10] == b"= ":
                cards.setdefault(keyword, _card_value(card))
        block, blocks = handle.read(FITS_BLOCK), blocks + 1
    return None, blocks


def _card_value(card: bytes) -> str:
    """The value field of a card, without its comment (good enough for numbers and T/F)."""
    return card[10:].decode("ascii", "replace").split("/", 1)[0].strip()


def _check_data_size(cards: dict[str, str], header_bytes: int, size: int) -> list[str]:
    try:
        bitpix, naxis = int(cards["BITPIX"]), int(cards["NAXIS"])
        axes = [int(cards.get(f"NAXIS{n}", "")) for n in range(1, naxis + 1)]
    except ValueError:
        return ["FITS header has unreadable BITPIX / NAXIS values"]
    if bitpix not in _VALID_BITPIX:
        return [f"FITS header has an invalid BITPIX {bitpix}"]
    data_bytes = abs(bitpix) // 8 * math.prod(axes) if naxis > 0 else 0
    needed = header_bytes + data_bytes
    if size < needed:
        return [f"FITS data is cut short: header and data need {needed} bytes, file has {size}"]
    return []
