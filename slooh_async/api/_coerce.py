"""Liberal readings of the service's values: numbers as ints or numeric strings, ids that may
be ``""``, booleans as ``"true"``; and whether a page's list keeps the contract.

The models' small ``mode="before"`` validators (:mod:`._models`) are built from these.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = [
    "LooseBool",
    "LooseFloat",
    "LooseId",
    "LooseInt",
    "OptBool",
    "OptText",
    "Text",
    "as_int",
    "dicts_only",
    "list_problem",
]


def as_int(value: Any) -> int | None:
    """An int from an int, float or numeric string; ``None`` for ``""``, ``None`` or junk."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        try:
            return int(float(text))
        except ValueError:
            return None


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def _text_or_none(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value)


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def _as_id(value: Any) -> int | None:
    return as_int(value) or None


def _as_float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def dicts_only(value: Any) -> list[Any]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _shape(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def list_problem(data: Any, key: str = "imageList") -> str | None:
    """How a page's list breaks the contract, or ``None``: ``imageList`` must be a list of
    objects whenever the page says it holds items (``totalCount`` or ``imageCount``)."""
    if not isinstance(data, dict):
        return f"the answer was {_shape(data)}, not an object"
    items = data.get(key)
    claimed = max(as_int(data.get("totalCount")) or 0, as_int(data.get("imageCount")) or 0)
    if isinstance(items, list):
        if items and not any(isinstance(item, dict) for item in items):
            return f"{key} held {len(items)} entries and none of them was an object"
        return None
    if claimed <= 0:
        return None  # an empty account may leave the list out
    shown = "missing" if key not in data else _shape(items)
    return f"{key} was {shown} beside totalCount {claimed}"


# Liberal scalar types: what the service sends in any of its observed shapes.
LooseInt = Annotated[int | None, BeforeValidator(as_int)]
LooseId = Annotated[int | None, BeforeValidator(_as_id)]
LooseFloat = Annotated[float | None, BeforeValidator(_as_float)]
LooseBool = Annotated[bool, BeforeValidator(_as_bool)]
OptBool = Annotated[
    bool | None, BeforeValidator(lambda v: None if v in (None, "") else _as_bool(v))
]
Text = Annotated[str, BeforeValidator(_as_text)]
OptText = Annotated[str | None, BeforeValidator(_text_or_none)]
