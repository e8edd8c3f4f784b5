"""Integration time, one rule for ``slooh stats`` and the gallery: the object and the filter a
frame counts under, and the frames and seconds of exposure per object and filter.

A frame's object is its ``object_name`` (the organizer's, from the title), else its title; its
filter the tracker's short name (L, R, Ha...), else its header's ``FILTER``; either is
``Unknown`` when nothing names it. Filters are listed most exposure first, then most frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["UNKNOWN_GROUP", "Exposure", "Integration", "filter_label", "object_label"]

#: The group name for files whose format, telescope, object or filter is not known.
UNKNOWN_GROUP = "Unknown"


def object_label(object_name: str | None, title: str | None = None) -> str:
    """The object a file counts under: its object name, else its title, else Unknown."""
    return (object_name or "").strip() or (title or "").strip() or UNKNOWN_GROUP


def filter_label(filter_name: str | None, header_filter: str | None = None) -> str:
    """The filter a frame counts under: the tracker's, else its header's, else Unknown."""
    return (filter_name or "").strip() or (header_filter or "").strip() or UNKNOWN_GROUP


@dataclass(frozen=True, slots=True)
class Exposure:
    """FITS frames and their total exposure (seconds) in one group."""

    frames: int = 0
    seconds: float = 0.0

    def plus(self, frames: int, seconds: float) -> Exposure:
        return Exposure(self.frames + frames, self.seconds + seconds)

    def to_json(self) -> dict[str, Any]:
        """``{"frames": n, "exposure_seconds": s}`` (to the millisecond)."""
        return {"frames": self.frames, "exposure_seconds": round(self.seconds, 3)}


class Integration:
    """Frames and exposure per object and per filter, grouped by object as they are added."""

    def __init__(self) -> None:
        self._objects: dict[str, dict[str, Exposure]] = {}

    def add(self, obj: str, band: str, frames: int = 1, seconds: float = 0.0) -> None:
        """Count ``frames`` frames of ``seconds`` in all under the labels ``obj`` and ``band``
        (:func:`object_label`, :func:`filter_label`)."""
        bands = self._objects.setdefault(obj, {})
        bands[band] = bands.get(band, Exposure()).plus(frames, seconds)

    def by_filter(self, obj: str | None = None) -> dict[str, Exposure]:
        """Per filter, of the object ``obj`` or of all: most exposure first, then most frames,
        then by name."""
        groups: dict[str, Exposure] = {}
        for bands in [self._objects.get(obj, {})] if obj is not None else self._objects.values():
            for band, count in bands.items():
                groups[band] = groups.get(band, Exposure()).plus(count.frames, count.seconds)
        return dict(sorted(groups.items(), key=lambda kv: (-kv[1].seconds, -kv[1].frames, kv[0])))

    def total(self, obj: str | None = None) -> Exposure:
        """The frames and exposure of the object ``obj``, or of all."""
        total = Exposure()
        for count in self.by_filter(obj).values():
            total = total.plus(count.frames, count.seconds)
        return total
