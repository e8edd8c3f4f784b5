"""Any byte range of any file, in constant memory: what downloads stream and tests compare.

Layouts (see :mod:`._formats`) are cached per file, a few dozen at a time; a range is walked
piece by piece, handing out whole units (or groups of units) without copying them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache
from typing import Protocol

from ._formats import UNIT, BodySpec, Layout, build_layout

__all__ = ["HasSpec", "body_bytes", "body_digest", "iter_body", "layout_of"]


class HasSpec(Protocol):
    """Anything that carries a body spec (a catalog file)."""

    @property
    def spec(self) -> BodySpec: ...


def _spec_of(item: BodySpec | HasSpec) -> BodySpec:
    return item if isinstance(item, BodySpec) else item.spec


#: Whole units are handed out this many at a time (one send of 256 KiB).
_GROUP = 4


@lru_cache(maxsize=64)
def layout_of(spec: BodySpec) -> Layout:
    """The (cached) layout of one file."""
    return build_layout(spec)


@lru_cache(maxsize=16)
def _unit_group(spec: BodySpec) -> bytes:
    return layout_of(spec).unit * _GROUP


def iter_body(item: BodySpec | HasSpec, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """The bytes ``[start, end)`` of a file (a spec or a catalog file), pieces of ≤ 256 KiB."""
    spec = _spec_of(item)
    layout = layout_of(spec)
    end = layout.size if end is None else min(end, layout.size)
    position = max(0, start)
    units_start = len(layout.prefix)
    tail_start = units_start + len(layout.unit) * layout.count
    while position < end:
        if position < units_start:
            piece = layout.prefix[position : min(end, units_start)]
        elif position < tail_start:
            piece = _unit_piece(spec, layout, position - units_start, min(end, tail_start))
        else:
            piece = layout.tail[position - tail_start : end - tail_start]
        yield piece
        position += len(piece)


def _unit_piece(spec: BodySpec, layout: Layout, offset: int, stop_abs: int) -> bytes:
    """The piece starting ``offset`` bytes into the units, ending at most at ``stop_abs``."""
    index, inner = divmod(offset, UNIT)
    wanted = stop_abs - len(layout.prefix) - offset
    if inner == 0 and wanted >= UNIT * _GROUP and index + _GROUP <= layout.count:
        return _unit_group(spec)
    if inner == 0 and wanted >= UNIT:
        return layout.unit
    return layout.unit[inner : inner + wanted]


def body_bytes(item: BodySpec | HasSpec, start: int = 0, end: int | None = None) -> bytes:
    """The bytes ``[start, end)`` of a file (``end=None``: to the end); for tests."""
    return b"".join(iter_body(item, start, end))


def body_digest(item: BodySpec | HasSpec, algorithm: str = "sha256") -> str:
    """Hex digest of a whole file, computed piece by piece."""
    digest = hashlib.new(algorithm)
    for piece in iter_body(item):
        digest.update(piece)
    return digest.hexdigest()
