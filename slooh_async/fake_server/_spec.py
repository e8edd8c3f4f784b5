"""What a fake file is made of: its spec, its layout, and the shared random bytes of padding."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from functools import cache

__all__ = ["MIN_SIZE", "UNIT", "BodySpec", "Layout", "ascii_text", "noise"]

UNIT = 64 * 1024
#: The smallest size each format can be built at (header, image and trailer).
MIN_SIZE = {"PNG": 1024, "JPEG": 1024, "FITS": 2 * 2880}
_BLOCK_SIZE = 1 << 20


@dataclass(frozen=True, slots=True)
class BodySpec:
    """What a file's bytes depend on (and nothing else).

    ``scene`` seeds the mission's field of view: the frames and pictures of one mission share
    it, so their stars line up and R, G and B frames make a colour composite.
    """

    format: str
    size: int
    body_seed: int
    filename: str
    title: str
    telescope: str
    instrument: str
    product: str
    taken_at: datetime
    scene: int = 0


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


def noise(seed: int, salt: int, length: int) -> bytes:
    """``length`` bytes of the shared block at an offset chosen by ``seed`` (≤ 1 MiB - 64 KiB)."""
    offset = (seed * 2654435761 + salt * 40503) % (_BLOCK_SIZE - UNIT)
    return _random_block()[offset : offset + length]


def ascii_text(text: str) -> str:
    """Printable ASCII only (FITS headers and PNG text want it)."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text)
