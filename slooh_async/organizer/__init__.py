"""Organizer (placeholder: being written)."""

from __future__ import annotations

from typing import Literal

PRESET_TEMPLATES = {
    "object": "{object}/{telescope}/{format}",
    "date": "{year}/{month}/{day}/{object}",
    "telescope": "{telescope}/{object}/{format}",
}


def validate_template(template: str, *, kind: Literal["folder", "filename"]) -> None:
    """Placeholder."""


def validate_object_preference(preference: list[str]) -> list[str]:
    """Placeholder."""
    return preference


def object_name(title: str) -> str:
    """Placeholder."""
    return title.strip() or "Unknown"
