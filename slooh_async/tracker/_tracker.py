"""The :class:`Tracker`: the library's SQLite memory of every file, failure and session.

Synchronous on purpose: the async pipeline calls it through ``anyio.to_thread``. One connection
(``check_same_thread=False``) is shared by all threads and guarded by a ``threading.Lock``;
every write method is one transaction, so a crash leaves either all of a batch or none of it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import filelock

from .._exceptions import StorageError
from ..media import FitsSummary
from . import _headers, _sessions, _state
from ._lock import acquire_library_lock
from ._paths import PathCodec
from ._records import (
    IMAGE_STATUSES,
    Header,
    ImageRecord,
    ImageRow,
    SessionRecord,
    utc_now,
)
from ._schema import open_database, schema_version, storage_errors
from ._sql import (
    IMPORT_SQL,
    MARK_PENDING_SQL,
    RECORD_BATCH_SQL,
    SELECT_IMAGES,
    chunked,
    placeholders,
    record_params,
    row_params,
    row_to_record,
)
from ._stats import TrackerStats, compute_stats

__all__ = ["Tracker"]

log = logging.getLogger("slooh_async.tracker")

#: Rows fetched per query while iterating, so 100,000 records never sit in memory at once.
_PAGE = 1000
_FULL_SCAN = "needs_full_scan"


class Tracker:
    """The library's memory. Open with :meth:`open`; use as a context manager."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        db_path: Path,
        base_path: Path,
        process_lock: filelock.BaseFileLock | None,
    ) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._codec = PathCodec(base_path)
        self._process_lock = process_lock
        self._own_sessions: set[int] = set()
        self._closed = False
        self.db_path = db_path

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(
        cls, db_path: Path, *, base_path: Path, lock: bool = True, read_only: bool = False
    ) -> Tracker:
        """Open (create, migrate) the tracker at ``db_path`` for the library at ``base_path``.

        With ``lock`` the process takes the library's lock first and raises
        :class:`LibraryLockedError` when another process holds it; sessions a crash left
        ``running`` are then marked ``interrupted``. Commands that only read pass
        ``lock=False``; with ``read_only`` the tracker must exist and is opened without ever
        writing (a library on a read-only disk or folder), so it is neither created nor
        migrated.
        """
        db_path = Path(db_path)
        if read_only:
            conn = open_database(db_path, read_only=True)
            return cls(conn, db_path=db_path, base_path=base_path, process_lock=None)
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the tracker folder {db_path.parent}: {exc}") from exc
        process_lock = acquire_library_lock(db_path, base_path) if lock else None
        try:
            conn = open_database(db_path)
        except BaseException:
            if process_lock is not None:
                process_lock.release()
            raise
        tracker = cls(conn, db_path=db_path, base_path=base_path, process_lock=process_lock)
        if process_lock is not None:
            try:
                tracker._interrupt_stale_sessions()
            except BaseException:
                tracker.close()
                raise
        return tracker

    def __enter__(self) -> Tracker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Interrupt sessions this tracker left running, close the database, release the lock."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if self._own_sessions:
                    self._conn.execute("BEGIN IMMEDIATE")
                    _sessions.interrupt_running(self._conn, sorted(self._own_sessions))
                    self._conn.execute("COMMIT")
                if self._process_lock is not None:
                    # May write statistics: only the lock holder, never a read-only command.
                    self._conn.execute("PRAGMA optimize")
            except sqlite3.Error as exc:
                # a damaged tracker was reported by the operation that found it
                damaged = getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_CORRUPT
                level = logging.DEBUG if damaged else logging.WARNING
                log.log(level, "tracker %s: could not finish cleanly: %s", self.db_path, exc)
            finally:
                self._conn.close()
                if self._process_lock is not None:
                    self._process_lock.release()

    @property
    def base_path(self) -> Path:
        """The library folder that relative paths are stored against."""
        return self._codec.base_path

    @property
    def schema_version(self) -> int:
        """The database's schema version (``PRAGMA user_version``)."""
        with self._read() as conn:
            return schema_version(conn)

    # ------------------------------------------------------------------ guarded access

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, storage_errors(self.db_path):
            if self._closed:
                raise RuntimeError("the tracker is closed")
            yield self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed whole or rolled back whole."""
        with self._read() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # Also after a failed COMMIT (disk full): never leave a transaction open.
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise

    def _interrupt_stale_sessions(self) -> None:
        with self._write() as conn:
            count = _sessions.interrupt_running(conn)
        if count:
            log.warning(
                "tracker %s: %d session(s) left running were interrupted", self.db_path, count
            )

    # ------------------------------------------------------------------ sessions

    def start_session(self, command: str) -> int:
        """Record the start of a run; returns its id for :meth:`finish_session`."""
        with self._write() as conn:
            session_id = _sessions.start_session(conn, command, utc_now())
            self._own_sessions.add(session_id)
        return session_id

    def finish_session(
        self,
        session_id: int,
        status: Literal["completed", "interrupted", "failed"],
        *,
        downloaded: int,
        failed: int,
        skipped: int,
        bytes: int,
    ) -> None:
        """Close a session with its final status and counts."""
        if status not in ("completed", "interrupted", "failed"):
            raise ValueError(f"a session cannot end as {status!r}")
        with self._write() as conn:
            counts = (downloaded, failed, skipped, bytes)
            if not _sessions.finish_session(conn, session_id, status, counts, utc_now()):
                raise KeyError(f"no session {session_id}")
            self._own_sessions.discard(session_id)

    def sessions(self, limit: int | None = None) -> list[SessionRecord]:
        """Sessions, newest first."""
        with self._read() as conn:
            return _sessions.list_sessions(conn, limit)

    def import_session(self, session: _sessions.LegacySession) -> tuple[int, bool]:
        """Add a finished session from another tool once; ``(id, created)``."""
        with self._write() as conn:
            return _sessions.insert_legacy_session(conn, session)

    # ------------------------------------------------------------------ lookups

    def statuses(self, keys: Sequence[str]) -> dict[str, str]:
        """``{key: status}`` for the keys the tracker knows (unknown keys are absent)."""
        result: dict[str, str] = {}
        with self._read() as conn:
            for chunk in chunked(_unique(keys)):
                sql = f"SELECT key, status FROM images WHERE key IN ({placeholders(len(chunk))})"
                result.update(conn.execute(sql, chunk).fetchall())
        return result

    def records(self, keys: Sequence[str]) -> dict[str, ImageRecord]:
        """``{key: record}`` for the keys the tracker knows."""
        result: dict[str, ImageRecord] = {}
        with self._read() as conn:
            for chunk in chunked(_unique(keys)):
                sql = f"{SELECT_IMAGES} WHERE key IN ({placeholders(len(chunk))})"
                for row in conn.execute(sql, chunk):
                    result[row[0]] = row_to_record(row, self._codec)
        return result

    def get(self, key: str) -> ImageRecord | None:
        """The record of one key, or ``None``."""
        return self.records([key]).get(key)

    def path_owners(self, paths: Sequence[Path]) -> dict[Path, str]:
        """Which key owns each of ``paths`` (paths no record uses are absent)."""
        wanted: dict[str, list[Path]] = {}
        for path in paths:
            wanted.setdefault(self._codec.encode(path), []).append(path)
        owners: dict[Path, str] = {}
        with self._read() as conn:
            for chunk in chunked(list(wanted)):
                sql = f"SELECT path, key FROM images WHERE path IN ({placeholders(len(chunk))})"
                for stored, key in conn.execute(sql, chunk):
                    owners.update(dict.fromkeys(wanted[stored], key))
        return owners

    def outstanding(self) -> list[ImageRecord]:
        """Records still to fetch: ``pending`` or ``failed``."""
        return [*self.iter_records("pending"), *self.iter_records("failed")]

    def failed(self) -> list[ImageRecord]:
        """Records whose last attempt failed."""
        return list(self.iter_records("failed"))

    def iter_records(self, status: str | None = None) -> Iterator[ImageRecord]:
        """Every record (or those with ``status``) in key order, fetched a page at a time.

        The lock is held per page, never across a ``yield``, so the caller may use the
        tracker (even write to it) while iterating.
        """
        _check_status(status)
        after = ""
        while True:
            page = self._page(status, after)
            yield from page
            if len(page) < _PAGE:
                return
            after = page[-1].key

    def _page(self, status: str | None, after: str) -> list[ImageRecord]:
        where, params = "key > ?", [after]
        if status is not None:
            where += " AND status = ?"
            params.append(status)
        sql = f"{SELECT_IMAGES} WHERE {where} ORDER BY key LIMIT {_PAGE}"
        with self._read() as conn:
            return [row_to_record(row, self._codec) for row in conn.execute(sql, params)]

    def count(self, status: str | None = None) -> int:
        """How many records (with ``status``, if given)."""
        _check_status(status)
        sql, params = "SELECT count(*) FROM images", list[str]()
        if status is not None:
            sql, params = sql + " WHERE status = ?", [status]
        with self._read() as conn:
            return int(conn.execute(sql, params).fetchone()[0])

    # ------------------------------------------------------------------ writes

    def record_batch(self, rows: Sequence[ImageRow]) -> None:
        """Record what happened to each file, all in one transaction (upsert by key)."""
        if not rows:
            return
        now = utc_now()
        params = [row_params(row, self._codec, now, row.status) for row in rows]
        headers = _headers.row_headers(rows)
        with self._write() as conn:
            conn.executemany(RECORD_BATCH_SQL, params)
            if headers:
                _headers.store_headers(conn, headers, now)

    def mark_pending(self, rows: Sequence[ImageRow]) -> None:
        """Remember planned files: unknown keys become ``pending``, known ones keep their status."""
        if not rows:
            return
        now = utc_now()
        params = [row_params(row, self._codec, now, "pending") for row in rows]
        with self._write() as conn:
            conn.executemany(MARK_PENDING_SQL, params)

    def mark_for_redownload(self, keys: Sequence[str], reason: str | None = None) -> int:
        """Set records back to ``pending`` (``verify --fix``); returns how many changed."""
        changed = 0
        with self._write() as conn:
            for chunk in chunked(_unique(keys)):
                cursor = conn.execute(
                    f"UPDATE images SET status = 'pending', last_error = ?"
                    f" WHERE key IN ({placeholders(len(chunk))})",
                    (reason, *chunk),
                )
                changed += cursor.rowcount
        return changed

    def update_paths(self, moves: Sequence[tuple[str, Path]]) -> None:
        """Record new locations of files (after a move or a re-organisation)."""
        params = [(self._codec.encode(path), key) for key, path in moves]
        with self._write() as conn:
            conn.executemany("UPDATE images SET path = ? WHERE key = ?", params)

    def forget(self, keys: Sequence[str]) -> int:
        """Delete records, so the next download treats those files as new; returns the count."""
        removed = 0
        with self._write() as conn:
            for chunk in chunked(_unique(keys)):
                sql = f"DELETE FROM images WHERE key IN ({placeholders(len(chunk))})"
                removed += conn.execute(sql, chunk).rowcount
        return removed

    def import_records(self, records: Sequence[ImageRecord]) -> int:
        """Add complete records from another source; never touches a ``done`` record.

        New keys are inserted; a pending or failed record is upgraded when the imported one is
        ``done``. Returns how many records were inserted or upgraded.
        """
        now = utc_now()
        params = [record_params(record, self._codec, now) for record in records]
        with self._write() as conn:
            before = conn.total_changes
            conn.executemany(IMPORT_SQL, params)
            return conn.total_changes - before

    # ------------------------------------------------------------------ FITS headers

    def fits_headers(self, keys: Sequence[str] | None = None) -> dict[str, Header]:
        """The stored FITS headers of ``keys`` (all when ``None``): each a ``FitsSummary``,
        or why that header could not be read (text)."""
        with self._read() as conn:
            return _headers.load_headers(conn, keys)

    def fits_summaries(self) -> dict[str, FitsSummary]:
        """Every stored header that could be read, by key."""
        return {k: h for k, h in self.fits_headers().items() if isinstance(h, FitsSummary)}

    def fits_headers_missing(self) -> list[ImageRecord]:
        """``done`` FITS frames whose header was never read (the backfill's work)."""
        with self._read() as conn:
            rows = conn.execute(_headers.MISSING_RECORDS_SQL)
            return [row_to_record(row, self._codec) for row in rows]

    def store_fits_headers(self, headers: Mapping[str, Header]) -> int:
        """Store headers (replacing any held for those keys) in one transaction; keys the
        tracker does not hold are skipped. Returns how many were stored."""
        if not headers:
            return 0
        with self._write() as conn:
            return _headers.store_headers(conn, headers, utc_now())

    # ------------------------------------------------------------------ mission FITS state

    def checked_missions(self) -> frozenset[int]:
        """Every mission whose FITS listing was handled (one query, for a run's start)."""
        with self._read() as conn:
            return _state.checked_missions(conn)

    def set_fits_checked(self, mission_id: int, count: int) -> None:
        """Remember that a mission's ``count`` FITS files were all handled."""
        with self._write() as conn:
            _state.set_fits_checked(conn, mission_id, count, utc_now())

    def set_fits_checked_many(self, checked: Sequence[tuple[int, int]]) -> None:
        """:meth:`set_fits_checked` for ``(mission_id, count)`` pairs, in one transaction."""
        now = utc_now()
        with self._write() as conn:
            for mission_id, count in checked:
                _state.set_fits_checked(conn, mission_id, count, now)

    def clear_fits_checked(self, mission_ids: Sequence[int]) -> None:
        """Forget the FITS state of missions, so their listing is fetched again."""
        with self._write() as conn:
            _state.clear_fits_checked(conn, mission_ids)

    # ------------------------------------------------------------------ library state

    def needs_full_scan(self) -> bool:
        """Whether the next run must list the whole account (not only what is new).

        True for a new library and until a run that listed everything completes; a run sets
        it before it starts, so a crash or Ctrl-C leaves it set.
        """
        with self._read() as conn:
            return _state.get_flag(conn, _FULL_SCAN, default=True)

    def set_needs_full_scan(self, needed: bool) -> None:
        """Set or clear the full-scan flag (see :meth:`needs_full_scan`)."""
        self.set_flag(_FULL_SCAN, needed)

    def flag(self, name: str, *, default: bool) -> bool:
        """A named yes/no fact about the library (kept in ``library_state``)."""
        with self._read() as conn:
            return _state.get_flag(conn, name, default=default)

    def set_flag(self, name: str, value: bool) -> None:
        """Set a named yes/no fact about the library."""
        with self._write() as conn:
            _state.set_flag(conn, name, value)

    # ------------------------------------------------------------------ stats

    def stats(self, top: int = 10, recent: int = 5) -> TrackerStats:
        """Totals and breakdowns for ``slooh stats`` (``top`` objects, ``recent`` sessions)."""
        with self._read() as conn:
            return compute_stats(conn, top=top if top > 0 else -1, recent=max(recent, 0))


# ---------------------------------------------------------------------- helpers


def _unique(items: Sequence[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def _check_status(status: str | None) -> None:
    if status is not None and status not in IMAGE_STATUSES:
        raise ValueError(f"unknown status {status!r}, expected one of {', '.join(IMAGE_STATUSES)}")
