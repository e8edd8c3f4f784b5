"""Human messages for configuration problems: one line per problem, naming key, value and rule.

``download.threads: 0 is below the minimum 1 (in /home/ada/.config/slooh-async/config.json)``.
Values are shown as JSON, the way they are written in the config file (``"keep"``, ``true``,
``0``); a password is never shown.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["closest", "describe_error", "show_value"]

_MAX_SHOWN = 60

#: pydantic error type -> what is wrong with the value (ctx values fill the braces)
_RULES: dict[str, str] = {
    "greater_than_equal": "is below the minimum {ge}",
    "greater_than": "must be greater than {gt}",
    "less_than_equal": "is above the maximum {le}",
    "less_than": "must be less than {lt}",
    "int_parsing": "is not a whole number",
    "int_from_float": "is not a whole number",
    "int_type": "is not a whole number",
    "float_parsing": "is not a number",
    "float_type": "is not a number",
    "finite_number": "is not a finite number",
    "bool_parsing": "is not true or false",
    "bool_type": "is not true or false",
    "string_type": "is not a string",
    "string_too_short": "is too short (at least {min_length} characters)",
    "string_too_short_1": "must not be empty",
    "string_too_long": "is too long (at most {max_length} characters)",
    "literal_error": "is not allowed, expected {expected}",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "path_type": "is not a path (expected a string)",
    "missing": "is required",
}


def show_value(value: Any) -> str:
    """A value as it is written in the JSON file: ``"text"``, ``true``, ``null``, ``[1, 2]``."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def describe_error(error: Mapping[str, Any], raw: Mapping[str, Any], source: str | None) -> str:
    """One pydantic error as ``key: value rule`` plus where the value came from."""
    loc = tuple(error["loc"])
    key = ".".join(str(part) for part in loc)
    secret = any("password" in str(part) for part in loc)
    present, value = _lookup(raw, loc)
    shown = "(hidden)" if secret else show_value(value)
    rule = _rule(error)
    line = f"{key}: {shown} {rule}" if present else f"{key}: {rule}"
    return f"{line} ({_origin(source)})" if source else line


def closest(name: str, choices: Sequence[str]) -> str | None:
    """The choice most like ``name`` (a typo), if any is close enough."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    if not matches:
        lowered = {choice.lower(): choice for choice in choices}
        return lowered.get(name.lower())
    return matches[0]


def _rule(error: Mapping[str, Any]) -> str:
    kind = str(error["type"])
    ctx = {k: _number(v) for k, v in (error.get("ctx") or {}).items()}
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        kind = "string_too_short_1"
    if kind == "literal_error":
        ctx["expected"] = str(ctx.get("expected", "")).replace("'", '"')
    if kind in _RULES:
        try:
            return _RULES[kind].format(**ctx)
        except (KeyError, IndexError):
            pass
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _number(value: Any) -> Any:
    """``0.0`` -> ``0``: limits read as the user would write them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _origin(source: str) -> str:
    """``in /path/config.json``, ``from SLOOH_X``, ``from the command line``..."""
    if source.startswith("environment (") and source.endswith(")"):
        return f"from {source[len('environment (') : -1]}"
    if source in ("command line", "keyring"):
        return f"from the {source}"
    return f"in {source}"


def _lookup(raw: Mapping[str, Any], loc: tuple[int | str, ...]) -> tuple[bool, Any]:
    node: Any = raw
    for part in loc:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list | tuple) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False, None
    return True, node
