"""Any byte range of any file, in constant memory: what downloads stream and tests compare.

Layouts (see :mod:`._formats`) are cached per file within a memory budget (building one
renders a picture of the sky: milliseconds worth keeping, for every file of a test catalog);
a range is walked piece by piece, handing out whole units (or groups of units) without
copying them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
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
#: The largest piece handed out of a prefix or tail (a FITS frame's image may be 512 KiB).
_PIECE = UNIT * _GROUP


#: Layouts kept, least recently used dropped first (a layout holds its prefix, unit and tail).
_CACHE_BYTES = 64 * 1024 * 1024


class _LayoutCache:
    """Layouts by spec, up to a number of bytes: the server's threads and tests share it."""

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._layouts: OrderedDict[BodySpec, Layout] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, spec: BodySpec) -> Layout:
        with self._lock:
            layout = self._layouts.get(spec)
            if layout is not None:
                self._layouts.move_to_end(spec)
                return layout
        layout = build_layout(spec)  # outside the lock: two threads may build one file, harmless
        with self._lock:
            if spec not in self._layouts:
                self._layouts[spec] = layout
                self._bytes += _held(layout)
            while self._bytes > self._budget and len(self._layouts) > 1:
                self._bytes -= _held(self._layouts.popitem(last=False)[1])
        return layout


def _held(layout: Layout) -> int:
    return len(layout.prefix) + len(layout.unit) + len(layout.tail)


_LAYOUTS = _LayoutCache(_CACHE_BYTES)


def layout_of(spec: BodySpec) -> Layout:
    """The (cached) layout of one file."""
    return _LAYOUTS.get(spec)


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
        stop = min(end, position + _PIECE)
        if position < units_start:
            piece = layout.prefix[position : min(stop, units_start)]
        elif position < tail_start:
            piece = _unit_piece(spec, layout, position - units_start, min(end, tail_start))
        else:
            piece = layout.tail[position - tail_start : stop - tail_start]
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
