"""What the first bytes of a file look like: the signatures every format check starts with."""

from __future__ import annotations

__all__ = [
    "FITS_BLOCK",
    "FITS_SIGNATURE",
    "HEAD_BYTES",
    "JPEG_EOI",
    "JPEG_SOI",
    "PNG_SIGNATURE",
    "head_problem",
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


#: how many first bytes :func:`head_problem` needs to judge a file
HEAD_BYTES = 16
_SIGNATURES = {"PNG": PNG_SIGNATURE, "JPEG": JPEG_SOI, "FITS": FITS_SIGNATURE}


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
    return not_a(fmt.upper(), head)
