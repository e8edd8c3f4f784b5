"""Times in UTC, the only kind the library stores (pure; shared by the tracker and media)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["as_utc", "parse_iso_utc"]


def as_utc(when: datetime) -> datetime:
    """``when`` in UTC; a naive datetime is taken to be UTC already."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def parse_iso_utc(text: object) -> datetime | None:
    """An ISO 8601 time in UTC; ``None`` for no text or text that does not parse."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        return None
