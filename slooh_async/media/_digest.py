"""A file's digest, read in 1 MiB pieces (downloads check their bytes with it, verify too)."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["file_digest"]

_CHUNK = 1 << 20


def file_digest(path: Path, algorithm: str) -> str:
    """The hex digest of a file; ``ValueError`` for an algorithm hashlib does not know."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
