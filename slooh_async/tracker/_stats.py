"""``slooh stats``: library totals and breakdowns, computed in one read snapshot.

Integration time, the figure astrophotographers count, is the sum of the ``EXPTIME`` of the
``done`` FITS frames (from the ``fits_headers`` table), per object and per filter, grouped as
the gallery groups them (:mod:`._integration`). Frames whose header was not read yet count as
frames without exposure.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._headers import FITS_DONE, count_missing
from ._integration import UNKNOWN_GROUP, Exposure, Integration, filter_label, object_label
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

@dataclass(frozen=True, slots=True)
class GroupCount:
    """Downloaded files and their bytes in one group (a format, telescope or object)."""

    files: int
    bytes: int

    def to_json(self) -> dict[str, int]:
        """``{"files": n, "bytes": b}``."""
        return {"files": self.files, "bytes": self.bytes}


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
        objects = _object_groups(conn)
        integration = _integration(conn)
        return TrackerStats(
            total_images=done,
            total_bytes=done_bytes,
            failed=failed,
            pending=by_status.get("pending", (0, 0))[0],
            sessions=conn.execute("SELECT count(*) FROM sessions").fetchone()[0],
            last_download=from_iso(last),
            success_rate=round(done / (done + failed), 4) if done + failed else None,
            total_objects=len(objects),
            by_format=_group_by(conn, "format"),
            by_telescope=_group_by(conn, "telescope"),
            by_object=_top_objects(objects, top, integration),
            recent_sessions=list_sessions(conn, limit=recent),
            exposure=integration.total(),
            by_filter=integration.by_filter(),
            headers_missing=count_missing(conn),
        )
    finally:
        conn.execute("COMMIT")


def _group_by(conn: sqlite3.Connection, column: str) -> dict[str, GroupCount]:
    """Done files grouped by ``column`` (a fixed column name, never user input), largest first."""
    rows = conn.execute(
        f"SELECT {column}, count(*) AS files, COALESCE(sum(size), 0) FROM images"
        f" WHERE status = 'done' GROUP BY {column} ORDER BY files DESC, {column}"
    )
    groups: dict[str, GroupCount] = {}
    for name, files, size in rows:
        label = (name or "").strip() or UNKNOWN_GROUP
        previous = groups.get(label, GroupCount(0, 0))
        groups[label] = GroupCount(previous.files + files, previous.bytes + size)
    return groups


def _object_groups(conn: sqlite3.Connection) -> dict[str, GroupCount]:
    """Done files per object (:func:`object_label`), largest first."""
    rows = conn.execute(
        "SELECT object_name, title, count(*), COALESCE(sum(size), 0) FROM images"
        " WHERE status = 'done' GROUP BY 1, 2"
    )
    groups: dict[str, GroupCount] = {}
    for name, title, files, size in rows:
        label = object_label(name, title)
        previous = groups.get(label, GroupCount(0, 0))
        groups[label] = GroupCount(previous.files + files, previous.bytes + size)
    return dict(sorted(groups.items(), key=lambda kv: (-kv[1].files, kv[0])))


def _integration(conn: sqlite3.Connection) -> Integration:
    """Frames and exposure of the ``done`` FITS frames per object and filter."""
    sql = (
        "SELECT images.object_name, images.title, images.filter, h.filter,"
        " count(*), COALESCE(sum(h.exptime), 0)"
        " FROM images LEFT JOIN fits_headers AS h ON h.key = images.key"
        f" WHERE {FITS_DONE}"  # its columns are the images table's alone
        " GROUP BY 1, 2, 3, 4"
    )
    integration = Integration()
    for name, title, band, header_band, frames, seconds in conn.execute(sql):
        integration.add(
            object_label(name, title), filter_label(band, header_band), frames, float(seconds)
        )
    return integration


def _top_objects(
    groups: dict[str, GroupCount], top: int, integration: Integration
) -> dict[str, ObjectCount]:
    """The ``top`` objects (all when negative) with their integration."""
    chosen = list(groups.items()) if top < 0 else list(groups.items())[:top]
    return {
        name: ObjectCount(count.files, count.bytes, integration.total(name),
                          integration.by_filter(name))
        for name, count in chosen
    }  # fmt: skip
