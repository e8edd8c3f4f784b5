"""The layered loader: defaults < the JSON config file < ``SLOOH_*`` < command-line options.

:func:`load_settings` merges the sources into one raw mapping, validates it once, and
remembers which source gave each value (for ``slooh config show``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .._exceptions import ConfigError
from .._redact import register_secret
from ._errors import describe_error
from ._settings import SECTIONS, Settings
from ._sources import SOURCE_DEFAULT, RawSettings, default_config_path, read_config_file

__all__ = [
    "ENV_ALIASES",
    "LoadedSettings",
    "load_settings",
    "schema",
    "validate_settings",
]

#: Environment variables with a short name; any key also works as SLOOH_<SECTION>__<KEY>.
ENV_ALIASES: dict[str, tuple[str, str]] = {
    "SLOOH_USERNAME": ("slooh", "username"),
    "SLOOH_PASSWORD": ("slooh", "password"),
    "SLOOH_BASE_URL": ("slooh", "base_url"),
    "SLOOH_PRODUCT_ID": ("slooh", "product_id"),
    "SLOOH_BASE_PATH": ("folders", "base_path"),
    "SLOOH_TRACKER_PATH": ("tracker", "path"),
}


@dataclass(frozen=True)
class LoadedSettings:
    """Validated settings plus where they came from and what looked wrong."""

    settings: Settings
    config_path: Path
    config_exists: bool
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def source_of(self, key: str) -> str:
        """Where ``"section.key"`` came from: a file path, ``environment (VAR)``, ``default``..."""
        return self.sources.get(key, SOURCE_DEFAULT)


def schema() -> dict[str, list[str]]:
    """Every section and its keys, in documentation order."""
    return {name: list(model.model_fields) for name, model in SECTIONS.items()}


def load_settings(
    config_path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    use_keyring: bool = True,
) -> LoadedSettings:
    """Merge defaults < config file < environment < ``options`` < ``overrides``; validate once.

    ``options`` are the ``-o SECTION.KEY=VALUE`` settings of the command line (``None`` is
    null). ``overrides`` maps dotted keys (``"download.threads"``) to the values of a
    command's own options; ``None`` values are ignored so unset options fall through to lower
    sources. The keyring is asked for the password only when a username is set and no source
    gave a password.
    """
    env = os.environ if env is None else env
    path = config_path or default_config_path(env)
    raw = RawSettings(schema(), ENV_ALIASES)
    warnings = raw.add_file(path, read_config_file(path))
    if (config_path is not None or env.get("SLOOH_CONFIG")) and not path.exists():
        warnings.append(f"config file {path} does not exist (using defaults and environment)")
    warnings.extend(raw.add_env(env))
    raw.add_options(options or {})
    # the command's own options (--threads...): None is "not given"; they beat -o
    raw.add_options({key: value for key, value in (overrides or {}).items() if value is not None})
    if use_keyring:
        raw.add_keyring()
    try:
        settings = validate_settings(raw.values, sources=raw.sources)
    except ConfigError:
        for message in warnings:  # a typo is often the cause: say it next to the errors
            logging.getLogger("slooh_async.config").warning("%s", message)
        raise
    if settings.slooh.password is not None:
        register_secret(settings.slooh.password.get_secret_value())
    return LoadedSettings(settings, path, path.is_file(), raw.sources, warnings)


def validate_settings(
    raw: Mapping[str, Any], *, sources: Mapping[str, str] | None = None
) -> Settings:
    """Validate a raw mapping; every problem becomes one line naming key, value and rule.

    With ``sources`` (dotted key -> source), each line also says where the bad value came from.
    """
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        where = sources or {}
        problems = [
            describe_error(error, raw, where.get(".".join(str(p) for p in error["loc"][:2])))
            for error in exc.errors()
        ]
        raise ConfigError("; ".join(problems), problems) from None
