"""docs/configuration.md stays true to the code: every key, its default, every example."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from slooh_async.config import ENV_ALIASES, SECTIONS, RawSettings, schema, validate_settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
TEXT = DOC.read_text(encoding="utf-8")
KEYS = [f"{section}.{key}" for section, keys in schema().items() for key in keys]


def _default(dotted: str) -> Any:
    section, key = dotted.split(".")
    field = SECTIONS[section].model_fields[key]
    value = field.get_default(call_default_factory=True)
    if isinstance(value, Path):
        return str(value)
    return list(value) if isinstance(value, tuple) else value


def _row(dotted: str) -> list[str]:
    match = re.search(rf"^\| `{re.escape(dotted)}` \|(.*)$", TEXT, re.MULTILINE)
    assert match, f"docs/configuration.md has no table row for {dotted}"
    return [cell.strip() for cell in match.group(1).split(" | ")]


@pytest.mark.parametrize("dotted", KEYS)
def test_every_key_is_documented_with_its_default(dotted: str) -> None:
    """Each key has a row whose default is the model's default written as JSON."""
    default, value_range, meaning = _row(dotted)[:3]
    assert default == f"`{json.dumps(_default(dotted))}`"
    assert value_range and meaning


def _json_examples() -> list[dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)```", TEXT, re.DOTALL)
    documents = [json.loads(block) for block in blocks]
    return [doc for doc in documents if set(doc) <= set(SECTIONS)]


@pytest.mark.parametrize("example", _json_examples())
def test_every_config_example_is_valid(example: dict[str, Any]) -> None:
    """Every config-file example on the page validates, without unknown-key warnings."""
    raw = RawSettings(schema(), ENV_ALIASES)
    assert raw.add_file(DOC, example) == []
    validate_settings(example)


def test_examples_were_found() -> None:
    """The page has the full example and the three small ones."""
    assert len(_json_examples()) == 5


@pytest.mark.parametrize("variable", [*ENV_ALIASES, "SLOOH_CONFIG", "SLOOH_LOG_FILE"])
def test_every_environment_variable_is_documented(variable: str) -> None:
    """Each environment variable slooh reads appears on the page."""
    assert f"`{variable}`" in TEXT
