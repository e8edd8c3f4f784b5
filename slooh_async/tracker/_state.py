"""SQL for the small tables: missions whose FITS listing is handled, and library-wide flags.

Every function takes a connection the caller already guards (lock and transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from ._records import to_iso
from ._sql import chunked, int64, placeholders

__all__ = ["checked_missions", "clear_fits_checked", "get_flag", "set_fits_checked", "set_flag"]


def checked_missions(conn: sqlite3.Connection) -> frozenset[int]:
    """Every mission recorded as handled."""
    return frozenset(row[0] for row in conn.execute("SELECT mission_id FROM missions"))


def set_fits_checked(conn: sqlite3.Connection, mission_id: int, count: int, now: datetime) -> None:
    """Record (or refresh) a mission as handled, with its number of FITS files (a mission id
    SQLite cannot store is not remembered: its FITS are simply listed again next time)."""
    if int64(mission_id) is None:
        return
    conn.execute(
        "INSERT INTO missions (mission_id, fits_checked_at, fits_count) VALUES (?, ?, ?)"
        " ON CONFLICT (mission_id) DO UPDATE SET"
        " fits_checked_at = excluded.fits_checked_at, fits_count = excluded.fits_count",
        (mission_id, to_iso(now), count),
    )


def clear_fits_checked(conn: sqlite3.Connection, mission_ids: Sequence[int]) -> None:
    """Forget missions, so their FITS listing is asked for again."""
    for chunk in chunked(_storable(mission_ids)):
        sql = f"DELETE FROM missions WHERE mission_id IN ({placeholders(len(chunk))})"
        conn.execute(sql, chunk)


def get_flag(conn: sqlite3.Connection, name: str, *, default: bool) -> bool:
    """A library-wide yes/no flag; ``default`` when it was never set."""
    row = conn.execute("SELECT value FROM library_state WHERE name = ?", (name,)).fetchone()
    return default if row is None else row[0] == "1"


def set_flag(conn: sqlite3.Connection, name: str, value: bool) -> None:
    """Set a library-wide yes/no flag."""
    conn.execute(
        "INSERT INTO library_state (name, value) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (name, "1" if value else "0"),
    )


def _storable(mission_ids: Sequence[int]) -> list[int]:
    """The distinct ids SQLite can hold (no stored mission has any other)."""
    return [mission for mission in dict.fromkeys(mission_ids) if int64(mission) is not None]
