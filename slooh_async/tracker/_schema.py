"""The tracker's SQLite schema and its forward migrations, keyed by ``PRAGMA user_version``.

``MIGRATIONS[n]`` takes a database from version ``n`` to ``n + 1``. A migration only ever adds
to what is there, and runs in one ``BEGIN IMMEDIATE`` transaction together with the new
``user_version``, so a crash mid-migration leaves the old version intact.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from .._exceptions import ConfigError, StorageError

__all__ = [
    "APPLICATION_ID",
    "FITS_HEADERS_VERSION",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "connect",
    "connect_read_only",
    "migrate",
    "open_database",
    "schema_version",
    "storage_errors",
]

log = logging.getLogger("slooh_async.tracker")

#: Marks the file as a slooh-async tracker (``PRAGMA application_id``), ASCII "SLOO".
APPLICATION_ID = 0x534C4F4F

_V1 = (
    f"PRAGMA application_id = {APPLICATION_ID}",
    """
    CREATE TABLE sessions (
        id          INTEGER PRIMARY KEY,
        started_at  TEXT NOT NULL,
        ended_at    TEXT,
        status      TEXT NOT NULL
                    CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
        command     TEXT NOT NULL DEFAULT '',
        downloaded  INTEGER NOT NULL DEFAULT 0,
        failed      INTEGER NOT NULL DEFAULT 0,
        skipped     INTEGER NOT NULL DEFAULT 0,
        bytes       INTEGER NOT NULL DEFAULT 0,
        legacy_key  TEXT UNIQUE
    )
    """,
    """
    CREATE TABLE images (
        key            TEXT PRIMARY KEY,
        image_id       INTEGER,
        mission_id     INTEGER,
        kind           TEXT NOT NULL DEFAULT 'picture' CHECK (kind IN ('picture', 'fits')),
        title          TEXT NOT NULL DEFAULT '',
        object_name    TEXT NOT NULL DEFAULT '',
        telescope      TEXT NOT NULL DEFAULT '',
        instrument     TEXT NOT NULL DEFAULT '',
        format         TEXT NOT NULL DEFAULT '',
        filter         TEXT,
        url            TEXT NOT NULL DEFAULT '',
        filename       TEXT NOT NULL DEFAULT '',
        path           TEXT,
        size           INTEGER,
        hash           TEXT,
        hash_algorithm TEXT,
        observed_at    TEXT,
        status         TEXT NOT NULL CHECK (status IN ('done', 'failed', 'pending')),
        attempts       INTEGER NOT NULL DEFAULT 0,
        last_error     TEXT,
        first_seen     TEXT NOT NULL,
        last_seen      TEXT NOT NULL,
        downloaded_at  TEXT,
        session_id     INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
        position       INTEGER
    )
    """,
    # path: name-clash detection and verify; status: outstanding() and stats.
    "CREATE INDEX images_path ON images (path)",
    "CREATE INDEX images_status ON images (status)",
    "CREATE INDEX images_session ON images (session_id)",
)

_V2 = (
    # One row per mission whose FITS listing was fully handled, so a no-op re-run does not
    # ask the service for it again.
    """
    CREATE TABLE missions (
        mission_id      INTEGER PRIMARY KEY,
        fits_checked_at TEXT NOT NULL,
        fits_count      INTEGER NOT NULL DEFAULT 0
    )
    """,
)

_V3 = (
    # Library-wide flags, e.g. whether the next run must list the whole account again.
    """
    CREATE TABLE library_state (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
)

#: The columns of ``fits_headers`` after its key (the migration's table and the read-only
#: stand-in of an older tracker, :func:`_read_as_is`, have the same).
_FITS_HEADERS = """
        date_obs   TEXT,
        exptime    REAL,
        filter     TEXT,
        object     TEXT,
        telescope  TEXT,
        instrument TEXT,
        ra_deg     REAL,
        dec_deg    REAL,
        naxis1     INTEGER,
        naxis2     INTEGER,
        bitpix     INTEGER,
        error      TEXT,
        read_at    TEXT NOT NULL"""

_V4 = (
    # What each FITS frame's header says (read once, when the file is finished or by the
    # backfill of `slooh verify` / `slooh gallery`): one row per image key, or the reason its
    # header could not be read (`error`). A table of its own rather than columns of `images`:
    # pictures have no header, the images upserts stay as they are, and a forgotten record
    # takes its header along (ON DELETE CASCADE).
    f"""
    CREATE TABLE fits_headers (
        key        TEXT PRIMARY KEY REFERENCES images (key) ON DELETE CASCADE,{_FITS_HEADERS}
    )
    """,
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4)
#: The first schema version with the ``fits_headers`` table (an older tracker opened
#: read-only gets an empty stand-in: its frames read as headers not yet read).
FITS_HEADERS_VERSION = 4
SCHEMA_VERSION = len(MIGRATIONS)
# TEMP: in the connection's own temporary database, so a read-only tracker file (mode=ro or
# immutable) is not touched; no foreign key, which could not point into the main database.
_STAND_IN_FITS_HEADERS = f"CREATE TEMP TABLE fits_headers (key TEXT PRIMARY KEY,{_FITS_HEADERS})"


def connect(db_path: Path) -> sqlite3.Connection:
    """Open ``db_path`` in autocommit mode (transactions are explicit) with WAL and a busy wait."""
    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False, timeout=10)
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            # Network filesystems refuse WAL; the rollback journal is slower but still safe.
            log.warning("tracker %s: WAL not available, using journal mode %s", db_path, mode)
        # NORMAL under WAL never corrupts; at worst the last commit is lost on power failure.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection, db_path: Path, *, target: int = SCHEMA_VERSION) -> int:
    """Apply the migrations the database lacks, up to ``target``; returns the version reached."""
    _check_identity(conn, db_path)
    while True:
        version = _check_version(conn, db_path)
        if version >= target:
            return version
        if _apply(conn, version):
            log.info("tracker %s migrated to schema version %d", db_path, version + 1)


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's ``PRAGMA user_version`` (0 for a new file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _check_version(conn: sqlite3.Connection, db_path: Path) -> int:
    """The database's schema version; refused when it is newer than this code understands."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"tracker {db_path} has schema version {version}, newer than this slooh-async "
            f"understands ({SCHEMA_VERSION}): upgrade slooh-async"
        )
    return version


def _apply(conn: sqlite3.Connection, version: int) -> bool:
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: a reader process without the library lock may have
        # migrated meanwhile; the caller's loop then sees the new version.
        if schema_version(conn) != version:
            conn.execute("ROLLBACK")
            return False
        for statement in MIGRATIONS[version]:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version + 1}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return True


def _check_identity(conn: sqlite3.Connection, db_path: Path) -> None:
    """Refuse to write our tables into somebody else's SQLite file."""
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app_id == APPLICATION_ID:
        return
    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    if app_id != 0 or tables:
        raise ConfigError(
            f"{db_path} is an SQLite database but not a slooh-async tracker; "
            "point tracker.path somewhere else"
        )


def open_database(db_path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Connect, configure and migrate (``read_only``: connect only, never write), turning
    SQLite failures into slooh errors."""
    with storage_errors(db_path):
        conn = connect_read_only(db_path) if read_only else connect(db_path)
        try:
            if read_only:
                _read_as_is(conn, _check_readable(conn, db_path))
            else:
                migrate(conn, db_path)
        except BaseException:
            conn.close()
            raise
        return conn


def connect_read_only(db_path: Path) -> sqlite3.Connection:
    """Open ``db_path`` for reading only (``mode=ro``): a library on a read-only disk, share
    or folder can still be looked at.

    A WAL database needs its ``-shm`` file, which a read-only folder (or a full disk) cannot
    hold: when SQLite cannot open it for that reason, it is opened ``immutable`` (no locking,
    no WAL: nobody can be writing to a folder nobody can write).
    """
    if not db_path.is_file():
        raise StorageError(f"tracker {db_path}: no such file")
    # the path percent-encoded, no authority: also right for C:\ and \\server\share paths
    uri = f"file:{quote(os.path.abspath(db_path), safe='/')}?mode=ro"
    conn = _connect_uri(uri)
    try:
        conn.execute("PRAGMA user_version").fetchone()
    except sqlite3.OperationalError as exc:
        conn.close()
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR):
            raise
        log.info("tracker %s: %s; opening it immutable", db_path, exc)
        conn = _connect_uri(f"{uri}&immutable=1")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _connect_uri(uri: str) -> sqlite3.Connection:
    return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)


def _check_readable(conn: sqlite3.Connection, db_path: Path) -> int:
    """A read-only open cannot migrate: refuse what this version cannot read; its version."""
    _check_identity(conn, db_path)
    version = _check_version(conn, db_path)
    if version == 0:
        raise ConfigError(f"{db_path} is not a slooh-async tracker (it holds no tables)")
    return version


def _read_as_is(conn: sqlite3.Connection, version: int) -> None:
    """An older tracker opened read-only gets an empty stand-in for the table it lacks, so
    every query works unchanged (its frames read as headers not read yet) and none has to
    ask for the version; then the connection writes nothing, the stand-in included."""
    if version < FITS_HEADERS_VERSION:
        conn.execute(_STAND_IN_FITS_HEADERS)
    conn.execute("PRAGMA query_only = ON")


@contextmanager
def storage_errors(db_path: Path) -> Iterator[None]:
    """Database failures become :class:`ConfigError` (not a tracker) or :class:`StorageError`.

    Integrity and programming errors are bugs and pass through unchanged.
    """
    try:
        yield
    except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
        raise
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_NOTADB:
            raise ConfigError(f"{db_path} is not a slooh-async tracker (not a database)") from exc
        if code is not None and code & 0xFF == sqlite3.SQLITE_CORRUPT:
            raise StorageError(
                f"tracker {db_path} is damaged ({exc}): move it aside and run `slooh download`, "
                "which finds the files already in the library and does not fetch them again "
                "(docs/troubleshooting.md, 'A damaged tracker')"
            ) from exc
        raise StorageError(f"tracker {db_path}: {exc}") from exc
    except OSError as exc:
        raise StorageError(f"tracker {db_path}: {exc}") from exc
