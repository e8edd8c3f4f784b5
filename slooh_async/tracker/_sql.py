"""The SQL of the ``images`` table and the conversions between its rows and the value objects."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from ._paths import PathCodec
from ._records import ImageRecord, ImageRow, ImageStatus, Kind, from_iso, to_iso

__all__ = [
    "IMAGE_COLUMNS",
    "IMPORT_SQL",
    "MARK_PENDING_SQL",
    "RECORD_BATCH_SQL",
    "SELECT_IMAGES",
    "chunked",
    "int64",
    "placeholders",
    "record_params",
    "row_params",
    "row_to_record",
]

T = TypeVar("T")

#: Column order of the ``images`` table as read and written here (and as exported).
IMAGE_COLUMNS: tuple[str, ...] = (
    "key", "image_id", "mission_id", "kind", "title", "object_name", "telescope", "instrument",
    "format", "filter", "url", "filename", "path", "size", "hash", "hash_algorithm",
    "observed_at", "status", "attempts", "last_error", "first_seen", "last_seen",
    "downloaded_at", "session_id", "position",
)  # fmt: skip

#: SQLite allows 999 bound variables in old builds; stay below it for every ``IN (...)``.
CHUNK = 900

_COLUMN_LIST = ", ".join(IMAGE_COLUMNS)
_PLACEHOLDERS = ", ".join("?" for _ in IMAGE_COLUMNS)
_INSERT = f"INSERT INTO images ({_COLUMN_LIST}) VALUES ({_PLACEHOLDERS})"

SELECT_IMAGES = f"SELECT {_COLUMN_LIST} FROM images"

# Metadata from a fresh listing wins, but an empty or missing value never erases a known one.
_REFRESH_METADATA = """
    image_id = COALESCE(excluded.image_id, image_id),
    mission_id = COALESCE(excluded.mission_id, mission_id),
    kind = excluded.kind,
    title = COALESCE(NULLIF(excluded.title, ''), title),
    object_name = COALESCE(NULLIF(excluded.object_name, ''), object_name),
    telescope = COALESCE(NULLIF(excluded.telescope, ''), telescope),
    instrument = COALESCE(NULLIF(excluded.instrument, ''), instrument),
    format = COALESCE(NULLIF(excluded.format, ''), format),
    filter = COALESCE(excluded.filter, filter),
    url = COALESCE(NULLIF(excluded.url, ''), url),
    filename = COALESCE(NULLIF(excluded.filename, ''), filename),
    observed_at = COALESCE(excluded.observed_at, observed_at),
    position = COALESCE(excluded.position, position),
    last_seen = excluded.last_seen"""

# In an upsert's SET, bare column names are the row *before* the update, so every CASE below
# sees the old status even though status is assigned first. A done file is never downgraded:
# a failed forced re-download leaves the old file in place (downloads finish by os.replace),
# so it stays done with its old path, and only the error and attempts are recorded.
_KEEP_DONE = "status = 'done' AND excluded.status <> 'done'"
RECORD_BATCH_SQL = f"""{_INSERT}
ON CONFLICT (key) DO UPDATE SET {_REFRESH_METADATA},
    status = CASE WHEN {_KEEP_DONE} THEN status ELSE excluded.status END,
    path = CASE WHEN {_KEEP_DONE} THEN path ELSE COALESCE(excluded.path, path) END,
    size = COALESCE(excluded.size, size),
    hash = COALESCE(excluded.hash, hash),
    hash_algorithm = CASE WHEN excluded.hash IS NULL THEN hash_algorithm
                          ELSE excluded.hash_algorithm END,
    attempts = attempts + excluded.attempts,
    last_error = excluded.last_error,
    downloaded_at = CASE WHEN excluded.status = 'done'
                              AND (status <> 'done' OR downloaded_at IS NULL)
                         THEN excluded.downloaded_at ELSE downloaded_at END,
    session_id = COALESCE(excluded.session_id, session_id)"""

# A planned item: new keys become pending; known keys keep their status (done stays done).
MARK_PENDING_SQL = f"""{_INSERT}
ON CONFLICT (key) DO UPDATE SET {_REFRESH_METADATA},
    path = CASE WHEN status = 'done' THEN path ELSE COALESCE(excluded.path, path) END"""

# Imported records fill gaps: a new key is inserted, a pending/failed one is upgraded to done
# when the import found its file, and a done record is never touched.
IMPORT_SQL = f"""{_INSERT}
ON CONFLICT (key) DO UPDATE SET
    status = excluded.status,
    path = excluded.path,
    size = excluded.size,
    hash = COALESCE(excluded.hash, hash),
    hash_algorithm = COALESCE(excluded.hash_algorithm, hash_algorithm),
    last_error = NULL,
    downloaded_at = excluded.downloaded_at,
    session_id = COALESCE(excluded.session_id, session_id)
WHERE images.status <> 'done' AND excluded.status = 'done'"""


#: SQLite's INTEGER is 64-bit signed
_INT64 = range(-(2**63), 2**63)


def int64(value: int | None) -> int | None:
    """``value`` when SQLite can store it as an INTEGER, else ``None``: an id of 40 digits from
    the service is kept in the key (text), never allowed to fail a whole batch."""
    return value if value is None or value in _INT64 else None


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items (for ``IN (...)`` lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def placeholders(count: int) -> str:
    """``?, ?, ?`` for ``count`` bound values."""
    return ", ".join("?" * count)


def row_params(
    row: ImageRow, codec: PathCodec, now: datetime, status: ImageStatus
) -> tuple[Any, ...]:
    """Bound values (in :data:`IMAGE_COLUMNS` order) for a pipeline row seen at ``now``."""
    now_text = to_iso(now)
    return (
        row.key, int64(row.image_id), int64(row.mission_id), row.kind, row.title, row.object_name,
        row.telescope, row.instrument, row.format, row.filter, row.url, row.filename,
        codec.encode(row.path) if row.path is not None else None,
        row.size, row.hash, row.hash_algorithm if row.hash else None, to_iso(row.observed_at),
        status, max(row.attempts, 0), row.error if status != "done" else None,
        now_text, now_text, now_text if status == "done" else None, row.session_id, row.position,
    )  # fmt: skip


def record_params(record: ImageRecord, codec: PathCodec, now: datetime) -> tuple[Any, ...]:
    """Bound values for a complete record (imports); missing times default to ``now``."""
    first_seen = to_iso(record.first_seen or now)
    return (
        record.key, int64(record.image_id), int64(record.mission_id), record.kind, record.title,
        record.object_name, record.telescope, record.instrument, record.format, record.filter,
        record.url, record.filename,
        codec.encode(record.path) if record.path is not None else None,
        record.size, record.hash, record.hash_algorithm, to_iso(record.observed_at),
        record.status, record.attempts, record.last_error, first_seen,
        to_iso(record.last_seen) or first_seen, to_iso(record.downloaded_at),
        record.session_id, record.position,
    )  # fmt: skip


def row_to_record(row: Sequence[Any], codec: PathCodec) -> ImageRecord:
    """An :class:`ImageRecord` from a row selected with :data:`SELECT_IMAGES`."""
    values = dict(zip(IMAGE_COLUMNS, row, strict=True))
    return ImageRecord(
        key=values["key"],
        status=cast(ImageStatus, values["status"]),
        kind=cast(Kind, values["kind"]),
        image_id=values["image_id"],
        mission_id=values["mission_id"],
        title=values["title"],
        object_name=values["object_name"],
        telescope=values["telescope"],
        instrument=values["instrument"],
        format=values["format"],
        filter=values["filter"],
        url=values["url"],
        filename=values["filename"],
        path=codec.decode(values["path"]) if values["path"] else None,
        size=values["size"],
        hash=values["hash"],
        hash_algorithm=values["hash_algorithm"],
        observed_at=from_iso(values["observed_at"]),
        attempts=values["attempts"],
        last_error=values["last_error"],
        first_seen=from_iso(values["first_seen"]),
        last_seen=from_iso(values["last_seen"]),
        downloaded_at=from_iso(values["downloaded_at"]),
        session_id=values["session_id"],
        position=values["position"],
    )
