"""SQL for the ``sessions`` table: one row per run, which always ends with a final status.

Every function takes a connection the caller already guards (lock and transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from ._records import SessionRecord, SessionStatus, from_iso, to_iso

__all__ = [
    "LegacySession",
    "finish_session",
    "insert_legacy_session",
    "interrupt_running",
    "list_sessions",
    "start_session",
]

_COLUMNS = (
    "id, started_at, ended_at, status, command, downloaded, failed, skipped, bytes, legacy_key"
)


@dataclass(frozen=True, slots=True)
class LegacySession:
    """A finished session imported from another tool, identified by ``legacy_key``."""

    legacy_key: str
    started_at: datetime
    ended_at: datetime | None
    command: str
    downloaded: int = 0
    failed: int = 0
    bytes: int = 0


def start_session(conn: sqlite3.Connection, command: str, now: datetime) -> int:
    """Insert a ``running`` session and return its id."""
    cursor = conn.execute(
        "INSERT INTO sessions (started_at, status, command) VALUES (?, 'running', ?)",
        (to_iso(now), command),
    )
    return int(cast(int, cursor.lastrowid))


def finish_session(
    conn: sqlite3.Connection,
    session_id: int,
    status: SessionStatus,
    counts: tuple[int, int, int, int],
    now: datetime,
) -> bool:
    """Close a session with its status and ``(downloaded, failed, skipped, bytes)``."""
    cursor = conn.execute(
        "UPDATE sessions SET status = ?, ended_at = ?, downloaded = ?, failed = ?, skipped = ?,"
        " bytes = ? WHERE id = ?",
        (status, to_iso(now), *counts, session_id),
    )
    return cursor.rowcount > 0


def interrupt_running(conn: sqlite3.Connection, session_ids: Sequence[int] | None = None) -> int:
    """Mark ``running`` sessions (all, or just ``session_ids``) as ``interrupted``.

    A crashed run never wrote its counts, so they are rebuilt from the images it recorded, and
    its end is taken as the last time it recorded anything.
    """
    where = "status = 'running'"
    params: list[Any] = []
    if session_ids is not None:
        if not session_ids:
            return 0
        where += f" AND id IN ({', '.join('?' * len(session_ids))})"
        params.extend(session_ids)
    cursor = conn.execute(
        f"""
        UPDATE sessions SET
            status = 'interrupted',
            ended_at = COALESCE(
                (SELECT max(last_seen) FROM images WHERE images.session_id = sessions.id),
                started_at),
            downloaded = downloaded + (SELECT count(*) FROM images
                WHERE images.session_id = sessions.id AND status = 'done'
                  AND downloaded_at >= sessions.started_at),
            failed = failed + (SELECT count(*) FROM images
                WHERE images.session_id = sessions.id AND status = 'failed'),
            bytes = bytes + (SELECT COALESCE(sum(size), 0) FROM images
                WHERE images.session_id = sessions.id AND status = 'done'
                  AND downloaded_at >= sessions.started_at)
        WHERE {where}
        """,
        params,
    )
    return cursor.rowcount


def insert_legacy_session(conn: sqlite3.Connection, session: LegacySession) -> tuple[int, bool]:
    """Insert an imported session once: ``(id, True)`` when new, ``(existing id, False)`` if not."""
    row = conn.execute(
        "SELECT id FROM sessions WHERE legacy_key = ?", (session.legacy_key,)
    ).fetchone()
    if row is not None:
        return int(row[0]), False
    cursor = conn.execute(
        "INSERT INTO sessions (started_at, ended_at, status, command, downloaded, failed,"
        " bytes, legacy_key) VALUES (?, ?, 'completed', ?, ?, ?, ?, ?)",
        (
            to_iso(session.started_at),
            to_iso(session.ended_at),
            session.command,
            session.downloaded,
            session.failed,
            session.bytes,
            session.legacy_key,
        ),
    )
    return int(cast(int, cursor.lastrowid)), True


def list_sessions(conn: sqlite3.Connection, limit: int | None = None) -> list[SessionRecord]:
    """Sessions newest first (by start time, then id)."""
    sql = f"SELECT {_COLUMNS} FROM sessions ORDER BY started_at DESC, id DESC"
    params: tuple[int, ...] = ()
    if limit is not None:
        sql += " LIMIT ?"
        params = (max(limit, 0),)
    return [_to_record(row) for row in conn.execute(sql, params)]


def _to_record(row: Sequence[Any]) -> SessionRecord:
    return SessionRecord(
        id=row[0],
        started_at=from_iso(row[1]),
        ended_at=from_iso(row[2]),
        status=cast(SessionStatus, row[3]),
        command=row[4],
        downloaded=row[5],
        failed=row[6],
        skipped=row[7],
        bytes=row[8],
        legacy_key=row[9],
    )
