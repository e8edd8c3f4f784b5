"""The tracker's value objects: what it stores about a file, a run, and what the pipeline reports.

Everything here is plain data (frozen dataclasses) plus the two conversions every layer needs:
UTC datetimes to and from the ISO 8601 text the database stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .._utc import as_utc, parse_iso_utc
from ..media import FitsSummary
from ..organizer import object_name

if TYPE_CHECKING:
    from ..api import Picture

__all__ = [
    "FINISHED_STATUSES",
    "IMAGE_STATUSES",
    "Header",
    "ImageRecord",
    "ImageRow",
    "ImageStatus",
    "Kind",
    "SessionRecord",
    "SessionStatus",
    "from_iso",
    "to_iso",
    "utc_now",
]

ImageStatus = Literal["done", "failed", "pending"]
SessionStatus = Literal["running", "completed", "interrupted", "failed"]
Kind = Literal["picture", "fits"]

IMAGE_STATUSES: tuple[ImageStatus, ...] = ("done", "failed", "pending")
FINISHED_STATUSES: tuple[SessionStatus, ...] = ("completed", "interrupted", "failed")

#: A frame's header as the tracker keeps it: its summary, or why it could not be read.
Header = FitsSummary | str


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC (the only kind of time the tracker stores)."""
    return datetime.now(UTC)


def to_iso(when: datetime | None) -> str | None:
    """ISO 8601 text in UTC; naive datetimes are taken to be UTC already."""
    if when is None:
        return None
    return as_utc(when).isoformat()


def from_iso(text: str | None) -> datetime | None:
    """The inverse of :func:`to_iso`; ``None`` for ``NULL`` or text that does not parse."""
    return parse_iso_utc(text)


def _is_fits(kind: str, format: str) -> bool:
    """A FITS frame by its kind, else by its format (a legacy import may know only that);
    ``FITS_DONE`` of ``_headers`` says the same in SQL."""
    return kind == "fits" or format.upper() == "FITS"


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """Everything the tracker knows about one file; ``path`` is absolute when read back."""

    key: str
    status: ImageStatus
    kind: Kind = "picture"
    image_id: int | None = None
    mission_id: int | None = None
    title: str = ""
    object_name: str = ""
    telescope: str = ""
    instrument: str = ""
    format: str = ""
    filter: str | None = None
    url: str = ""
    filename: str = ""
    path: Path | None = None
    size: int | None = None
    hash: str | None = None
    hash_algorithm: str | None = None
    observed_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    downloaded_at: datetime | None = None
    session_id: int | None = None
    position: int | None = None

    @property
    def is_fits(self) -> bool:
        """Whether the file is a FITS frame (its header can be read)."""
        return _is_fits(self.kind, self.format)


@dataclass(frozen=True, slots=True)
class ImageRow:
    """What the pipeline reports about one file after trying it (or when it plans it).

    ``attempts`` counts the tries of *this* run: the tracker adds it to the stored count.
    A ``done`` FITS frame may carry its header (``fits_header``: what it says, or why it
    could not be read): the tracker stores it in the same transaction, replacing what it
    held for the key.
    """

    key: str
    status: ImageStatus
    kind: Kind = "picture"
    image_id: int | None = None
    mission_id: int | None = None
    title: str = ""
    object_name: str = ""
    telescope: str = ""
    instrument: str = ""
    format: str = ""
    filter: str | None = None
    url: str = ""
    filename: str = ""
    observed_at: datetime | None = None
    position: int | None = None
    path: Path | None = None
    size: int | None = None
    hash: str | None = None
    hash_algorithm: str | None = None
    error: str | None = None
    attempts: int = 0
    session_id: int | None = None
    fits_header: Header | None = None

    @property
    def is_fits(self) -> bool:
        """Whether the file is a FITS frame (its header can be read)."""
        return _is_fits(self.kind, self.format)

    @classmethod
    def from_picture(
        cls,
        picture: Picture,
        *,
        status: ImageStatus,
        path: Path | None = None,
        size: int | None = None,
        hash: str | None = None,
        hash_algorithm: str | None = None,
        error: str | None = None,
        attempts: int = 0,
        session_id: int | None = None,
    ) -> ImageRow:
        """A row carrying ``picture``'s metadata plus the outcome of handling it."""
        return cls(
            key=picture.key,
            status=status,
            kind=picture.kind,
            image_id=picture.image_id,
            mission_id=picture.mission_id,
            title=picture.title,
            object_name=object_name(picture.title),
            telescope=picture.telescope,
            instrument=picture.instrument,
            format=picture.format,
            filter=picture.filter,
            url=picture.url,
            filename=picture.filename,
            observed_at=picture.observed_at,
            position=picture.position,
            path=path,
            size=size,
            hash=hash,
            hash_algorithm=hash_algorithm,
            error=error,
            attempts=attempts,
            session_id=session_id,
        )


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One run of a command that changed the library (or one imported from the legacy tool)."""

    id: int
    started_at: datetime | None
    ended_at: datetime | None
    status: SessionStatus
    command: str
    downloaded: int = 0
    failed: int = 0
    skipped: int = 0
    bytes: int = 0
    legacy_key: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO 8601 times) for ``stats --json`` and scripts."""
        return {
            "id": self.id,
            "started_at": to_iso(self.started_at),
            "ended_at": to_iso(self.ended_at),
            "status": self.status,
            "command": self.command,
            "downloaded": self.downloaded,
            "failed": self.failed,
            "skipped": self.skipped,
            "bytes": self.bytes,
            "legacy": self.legacy_key is not None,
        }
