"""``slooh stats``: library totals and breakdowns, computed in one read snapshot.

Integration time, the figure astrophotographers count, is the sum of the ``EXPTIME`` of the
``done`` FITS frames (from the ``fits_headers`` table), per object and per filter. A frame's
filter is the tracker's short name (L, R, Ha...), else its header's ``FILTER``, as the gallery
shows it. Frames whose header was not read yet count as frames without exposure.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._headers import FITS_DONE, count_missing
from ._records import SessionRecord, from_iso, to_iso
from ._sessions import list_sessions

__all__ = [
    "UNKNOWN_GROUP",
    "Exposure",
    "GroupCount",
    "ObjectCount",
    "TrackerStats",
    "compute_stats",
]

#: The group name for files whose format, telescope or object is not known.
UNKNOWN_GROUP = "Unknown"


@dataclass(frozen=True, slots=True)
class GroupCount:
    """Downloaded files and their bytes in one group (a format, telescope or object)."""

    files: int
    bytes: int

    def to_json(self) -> dict[str, int]:
        """``{"files": n, "bytes": b}``."""
        return {"files": self.files, "bytes": self.bytes}


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


@dataclass(frozen=True, slots=True)
class ObjectCount:
    """An object's files and bytes, and its integration: in all and per filter."""

    files: int
    bytes: int
    exposure: Exposure = field(default_factory=Exposure)
    by_filter: dict[str, Exposure] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{files, bytes, frames, exposure_seconds, by_filter: {name: {frames, ...}}}``."""
        return {
            "files": self.files,
            "bytes": self.bytes,
            **self.exposure.to_json(),
            "by_filter": {name: count.to_json() for name, count in self.by_filter.items()},
        }


@dataclass(frozen=True, slots=True)
class TrackerStats:
    """What the library holds. File counts and bytes are of ``done`` files only."""

    total_images: int
    total_bytes: int
    failed: int
    pending: int
    sessions: int
    last_download: datetime | None
    success_rate: float | None
    total_objects: int
    by_format: dict[str, GroupCount] = field(default_factory=dict)
    by_telescope: dict[str, GroupCount] = field(default_factory=dict)
    by_object: dict[str, ObjectCount] = field(default_factory=dict)
    recent_sessions: list[SessionRecord] = field(default_factory=list)
    exposure: Exposure = field(default_factory=Exposure)
    by_filter: dict[str, Exposure] = field(default_factory=dict)
    headers_missing: int = 0

    def to_json(self) -> dict[str, Any]:
        """The ``stats --json`` object (shape documented in docs/tracker.md)."""
        return {
            "total_images": self.total_images,
            "total_bytes": self.total_bytes,
            "failed": self.failed,
            "pending": self.pending,
            "sessions": self.sessions,
            "last_download": to_iso(self.last_download),
            "success_rate": self.success_rate,
            "total_objects": self.total_objects,
            "by_format": _groups_json(self.by_format),
            "by_telescope": _groups_json(self.by_telescope),
            "by_object": {name: count.to_json() for name, count in self.by_object.items()},
            "recent_sessions": [session.to_json() for session in self.recent_sessions],
            "total_frames": self.exposure.frames,
            "total_exposure_seconds": round(self.exposure.seconds, 3),
            "by_filter": {name: count.to_json() for name, count in self.by_filter.items()},
            "fits_headers_missing": self.headers_missing,
        }


def _groups_json(groups: dict[str, GroupCount]) -> dict[str, dict[str, int]]:
    return {name: count.to_json() for name, count in groups.items()}


def compute_stats(conn: sqlite3.Connection, *, top: int, recent: int) -> TrackerStats:
    """All figures from one read transaction, so they agree with each other."""
    conn.execute("BEGIN")
    try:
        by_status = {
            status: (files, size)
            for status, files, size in conn.execute(
                "SELECT status, count(*), COALESCE(sum(size), 0) FROM images GROUP BY status"
            )
        }
        done, done_bytes = by_status.get("done", (0, 0))
        failed = by_status.get("failed", (0, 0))[0]
        last = conn.execute(
            "SELECT max(downloaded_at) FROM images WHERE status = 'done'"
        ).fetchone()[0]
        objects = conn.execute(
            "SELECT count(DISTINCT object_name) FROM images WHERE status = 'done'"
        ).fetchone()[0]
        integration = _integration(conn)
        return TrackerStats(
            total_images=done,
            total_bytes=done_bytes,
            failed=failed,
            pending=by_status.get("pending", (0, 0))[0],
            sessions=conn.execute("SELECT count(*) FROM sessions").fetchone()[0],
            last_download=from_iso(last),
            success_rate=round(done / (done + failed), 4) if done + failed else None,
            total_objects=objects,
            by_format=_group_by(conn, "format"),
            by_telescope=_group_by(conn, "telescope"),
            by_object=_objects(_group_by(conn, "object_name", limit=top), integration),
            recent_sessions=list_sessions(conn, limit=recent),
            exposure=_total(integration.values()),
            by_filter=_by_filter(integration),
            headers_missing=count_missing(conn),
        )
    finally:
        conn.execute("COMMIT")


def _group_by(conn: sqlite3.Connection, column: str, limit: int = -1) -> dict[str, GroupCount]:
    """Done files grouped by ``column`` (a fixed column name, never user input), largest first."""
    rows = conn.execute(
        f"SELECT {column}, count(*) AS files, COALESCE(sum(size), 0) FROM images"
        f" WHERE status = 'done' GROUP BY {column} ORDER BY files DESC, {column} LIMIT ?",
        (limit,),
    )
    groups: dict[str, GroupCount] = {}
    for name, files, size in rows:
        label = (name or "").strip() or UNKNOWN_GROUP
        previous = groups.get(label, GroupCount(0, 0))
        groups[label] = GroupCount(previous.files + files, previous.bytes + size)
    return groups


#: (object, filter) -> frames and seconds, as :func:`_integration` reads them
_Integration = dict[tuple[str, str], Exposure]


def _integration(conn: sqlite3.Connection) -> _Integration:
    """Frames and exposure of the ``done`` FITS frames per (object, filter)."""
    sql = (
        "SELECT images.object_name,"
        " COALESCE(NULLIF(images.filter, ''), NULLIF(h.filter, ''), ''),"
        " count(*), COALESCE(sum(h.exptime), 0)"
        " FROM images LEFT JOIN fits_headers AS h ON h.key = images.key"
        f" WHERE {FITS_DONE}"  # its columns are the images table's alone
        " GROUP BY 1, 2"
    )
    found: _Integration = {}
    for name, band, frames, seconds in conn.execute(sql):
        group = (_label(name), _label(band))
        found[group] = found.get(group, Exposure()).plus(frames, float(seconds))
    return found


def _label(name: str | None) -> str:
    return (name or "").strip() or UNKNOWN_GROUP


def _total(counts: Iterable[Exposure]) -> Exposure:
    total = Exposure()
    for count in counts:
        total = total.plus(count.frames, count.seconds)
    return total


def _by_filter(integration: _Integration, name: str | None = None) -> dict[str, Exposure]:
    """Per filter (of the object ``name``, or of all), most exposure first."""
    groups: dict[str, Exposure] = {}
    for (object_name, band), count in integration.items():
        if name is None or object_name == name:
            groups[band] = groups.get(band, Exposure()).plus(count.frames, count.seconds)
    return dict(sorted(groups.items(), key=lambda kv: (-kv[1].seconds, -kv[1].frames, kv[0])))


def _objects(groups: dict[str, GroupCount], integration: _Integration) -> dict[str, ObjectCount]:
    """The top objects' counts with their integration."""
    objects: dict[str, ObjectCount] = {}
    for name, count in groups.items():
        by_filter = _by_filter(integration, name)
        objects[name] = ObjectCount(count.files, count.bytes, _total(by_filter.values()), by_filter)
    return objects
