"""What the first bytes of a file look like: the signatures every format check starts with."""

from __future__ import annotations

__all__ = [
    "FITS_BLOCK",
    "FITS_SIGNATURE",
    "JPEG_EOI",
    "JPEG_SOI",
    "PNG_SIGNATURE",
    "not_a",
    "sniff",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8\xff"
JPEG_EOI = b"\xff\xd9"
FITS_BLOCK = 2880
FITS_SIGNATURE = b"SIMPLE  ="


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file look like, for messages ("looks like HTML")."""
    text = head[:64].lstrip().lower()
    signatures = (
        (head.startswith(PNG_SIGNATURE), "PNG"),
        (head.startswith(JPEG_SOI), "JPEG"),
        (head.startswith(FITS_SIGNATURE), "FITS"),
        (head.startswith((b"GIF87a", b"GIF89a")), "GIF"),
        (text.startswith((b"<!doctype html", b"<html")), "HTML (an error page?)"),
        (text.startswith(b"<?xml"), "XML"),
        (text.startswith((b"{", b"[")), "JSON"),
    )
    return next((name for matched, name in signatures if matched), None)


def not_a(kind: str, head: bytes) -> str:
    """``not a PNG file``, saying what the bytes look like when we can tell."""
    looks = sniff(head)
    return f"not a {kind} file" + (f" (looks like {looks})" if looks else "")
