"""``slooh stats``: library totals and breakdowns, computed in one read snapshot."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._records import SessionRecord, from_iso, to_iso
from ._sessions import list_sessions

__all__ = ["UNKNOWN_GROUP", "GroupCount", "TrackerStats", "compute_stats"]

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
    by_object: dict[str, GroupCount] = field(default_factory=dict)
    recent_sessions: list[SessionRecord] = field(default_factory=list)

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
            "by_object": _groups_json(self.by_object),
            "recent_sessions": [session.to_json() for session in self.recent_sessions],
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
            by_object=_group_by(conn, "object_name", limit=top),
            recent_sessions=list_sessions(conn, limit=recent),
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
