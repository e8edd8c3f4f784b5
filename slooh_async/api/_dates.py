"""Observation time from the service's ``displayDate`` / ``displayTime`` strings (pure)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ["parse_display_date", "parse_display_datetime", "parse_display_time"]

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_WORDY = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(?:UTC|UT|GMT|Z)?$", re.I)


def _month(word: str) -> int | None:
    return _MONTHS.get(word[:3].lower())


def parse_display_date(text: str | None) -> tuple[int, int, int] | None:
    """``(year, month, day)`` from ``Feb. 7, 2026``, ``February 7, 2026``, ``Sept. 7, 2026``,
    ``2026-02-07`` or ``02/07/2026`` (month first, as the US web app writes); else ``None``."""
    if not text:
        return None
    text = " ".join(text.split())
    parts: tuple[int | None, int, int] | None = None
    if match := _WORDY.match(text):
        parts = (_month(match[1]), int(match[2]), int(match[3]))
    elif match := _DAY_FIRST.match(text):
        parts = (_month(match[2]), int(match[1]), int(match[3]))
    elif match := _ISO.match(text):
        parts = (int(match[2]), int(match[3]), int(match[1]))
    elif match := _SLASHED.match(text):
        parts = (int(match[1]), int(match[2]), int(match[3]))
    if parts is None:
        return None
    month, day, year = parts
    if month is None:
        return None
    try:
        datetime(year, month, day)
    except ValueError:
        return None
    return year, month, day


def parse_display_time(text: str | None) -> tuple[int, int, int] | None:
    """``(hour, minute, second)`` from ``20:15:30 UTC`` or ``20:15 UTC``; else ``None``."""
    if not text:
        return None
    match = _TIME.match(text.strip())
    if match is None:
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def parse_display_datetime(date: str | None, time: str | None) -> datetime | None:
    """The UTC observation time; midnight when only the date parses, ``None`` without a date."""
    day = parse_display_date(date)
    if day is None:
        return None
    clock = parse_display_time(time) or (0, 0, 0)
    return datetime(*day, *clock, tzinfo=UTC)
