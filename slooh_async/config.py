"""Validated, immutable settings and the layered loader that builds them.

Sources, lowest to highest: defaults, the JSON config file, the environment (``SLOOH_*``),
then command-line options. :func:`load_settings` merges them into one raw mapping, validates it
once, and remembers which source gave each value (for ``slooh config show``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from ._exceptions import ConfigError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PRODUCT_ID",
    "DownloadSettings",
    "FolderSettings",
    "LoadedSettings",
    "Settings",
    "SloohSettings",
    "TrackerSettings",
    "default_config_path",
    "load_settings",
]

DEFAULT_BASE_URL = "https://app.slooh.com"
DEFAULT_PRODUCT_ID = "adfb3d74-e551-11e9-a8f4-06b2ab7e8ae4"
KEYRING_SERVICE = "slooh-async"

_FROZEN = ConfigDict(frozen=True, extra="ignore", validate_default=True)


class SloohSettings(BaseModel):
    """How to reach the service and who to log in as."""

    model_config = _FROZEN

    base_url: str = DEFAULT_BASE_URL
    username: str | None = None
    password: SecretStr | None = None
    product_id: str = DEFAULT_PRODUCT_ID
    locale: str = "en"

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("username")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("password")
    @classmethod
    def _blank_password_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value() else None


class DownloadSettings(BaseModel):
    """How much to fetch at once, how fast, and what to do with what is already there."""

    model_config = _FROZEN

    batch_size: int = Field(50, ge=1, le=200)
    threads: int = Field(4, ge=1, le=64)
    rate_limit: int = Field(30, ge=0, le=6000)
    download_rate_limit: int = Field(0, ge=0, le=60000)
    timeout: float = Field(300, gt=0, le=3600)
    max_retries: int = Field(3, ge=0, le=50)
    retry_delay: float = Field(5, ge=0, le=600)
    skip_existing: bool = True
    check_tracker: bool = True
    handle_duplicates: Literal["skip", "overwrite", "rename"] = "skip"
    verify_hash: bool | Literal["md5", "sha256"] = False
    fits: bool = True
    queue_size: int = Field(0, ge=0, le=10000)

    @property
    def hash_algorithm(self) -> Literal["md5", "sha256"]:
        """The digest computed while streaming: the configured one, SHA-256 by default."""
        return self.verify_hash if isinstance(self.verify_hash, str) else "sha256"

    @property
    def queue_bound(self) -> int:
        """Capacity of the job stream between the lister and the workers."""
        return self.queue_size or 2 * self.threads


class FolderSettings(BaseModel):
    """Where the library lives and how it is laid out."""

    model_config = _FROZEN

    base_path: Path = Path("SloohImages")
    template: str | None = None
    filename_template: str = "{telescope}_{filename}"
    organize_by: Literal["object", "date", "telescope"] = "object"
    unknown_object: str = Field("Unknown", min_length=1, max_length=100)
    object_preference: tuple[str, ...] = ("M", "NGC", "IC", "C")
    max_path_length: int = Field(240, ge=60, le=4096)
    format_names: dict[str, str] = Field(
        default_factory=lambda: {"FITS": "FITS", "PNG": "Pictures", "JPEG": "JPEG"}
    )

    @field_validator("base_path", mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        if isinstance(value, str | Path):
            text = str(value).strip()
            if not text:
                raise ValueError("must not be empty")
            return Path(os.path.abspath(os.path.expanduser(text)))
        return value

    @field_validator("template", "filename_template")
    @classmethod
    def _check_template(cls, value: str | None, info: Any) -> str | None:
        if value is None:
            return None
        from .organizer import validate_template

        validate_template(value, kind="filename" if info.field_name == "filename_template" else "folder")
        return value

    @field_validator("object_preference")
    @classmethod
    def _check_preference(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from .organizer import validate_object_preference

        return tuple(validate_object_preference(list(value)))

    @field_validator("format_names")
    @classmethod
    def _check_format_names(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = {"FITS", "PNG", "JPEG"}
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"unknown format {unknown[0]!r}, allowed: FITS, PNG, JPEG")
        merged = {"FITS": "FITS", "PNG": "Pictures", "JPEG": "JPEG", **value}
        for name, folder in merged.items():
            if not folder.strip() or folder.strip() in {".", ".."} or "/" in folder or "\\" in folder:
                raise ValueError(f"{name}: {folder!r} is not a valid folder name")
        return merged

    @property
    def folder_template(self) -> str:
        """The folder template in force: ``template`` or the ``organize_by`` preset."""
        from .organizer import PRESET_TEMPLATES

        return self.template or PRESET_TEMPLATES[self.organize_by]


class TrackerSettings(BaseModel):
    """Where the tracker database lives (default: inside the library)."""

    model_config = _FROZEN

    path: Path | None = None

    @field_validator("path", mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        if isinstance(value, str | Path) and str(value).strip():
            return Path(os.path.abspath(os.path.expanduser(str(value).strip())))
        return None if value in ("", None) else value


class Settings(BaseModel):
    """Every setting slooh-async reads, validated and frozen."""

    model_config = _FROZEN

    slooh: SloohSettings = Field(default_factory=SloohSettings)
    download: DownloadSettings = Field(default_factory=DownloadSettings)
    folders: FolderSettings = Field(default_factory=FolderSettings)
    tracker: TrackerSettings = Field(default_factory=TrackerSettings)

    @property
    def tracker_path(self) -> Path:
        """The tracker database file: ``tracker.path`` or ``<base_path>/.slooh/tracker.sqlite3``."""
        return self.tracker.path or self.folders.base_path / ".slooh" / "tracker.sqlite3"


# --------------------------------------------------------------------------- loading

SOURCE_DEFAULT = "default"
SOURCE_ENV = "environment"
SOURCE_CLI = "command line"
SOURCE_KEYRING = "keyring"

#: Environment variables with a short name; any key also works as SLOOH_<SECTION>__<KEY>.
ENV_ALIASES: dict[str, tuple[str, str]] = {
    "SLOOH_USERNAME": ("slooh", "username"),
    "SLOOH_PASSWORD": ("slooh", "password"),
    "SLOOH_BASE_URL": ("slooh", "base_url"),
    "SLOOH_PRODUCT_ID": ("slooh", "product_id"),
    "SLOOH_BASE_PATH": ("folders", "base_path"),
    "SLOOH_TRACKER_PATH": ("tracker", "path"),
}
SECTIONS: dict[str, type[BaseModel]] = {
    "slooh": SloohSettings,
    "download": DownloadSettings,
    "folders": FolderSettings,
    "tracker": TrackerSettings,
}


@dataclass(frozen=True)
class LoadedSettings:
    """Validated settings plus where they came from and what looked wrong."""

    settings: Settings
    config_path: Path
    config_exists: bool
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$SLOOH_CONFIG`` or ``config.json`` in the platform's user config folder."""
    env = os.environ if env is None else env
    if env.get("SLOOH_CONFIG"):
        return Path(os.path.expanduser(env["SLOOH_CONFIG"]))
    from platformdirs import user_config_path

    return user_config_path("slooh-async", appauthor=False) / "config.json"


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse the JSON config file; errors name the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a JSON object with sections")
    return data


def load_settings(
    config_path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    use_keyring: bool = True,
) -> LoadedSettings:
    """Merge defaults < config file < environment < ``overrides`` and validate once.

    ``overrides`` maps dotted keys (``"download.threads"``) to values from the command line;
    ``None`` values are ignored so unset options fall through to lower sources.
    """
    env = os.environ if env is None else env
    path = config_path or default_config_path(env)
    file_data = read_config_file(path)
    warnings = _unknown_keys(file_data, str(path))
    merged: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    sources: dict[str, str] = {}
    for section, values in file_data.items():
        if section in SECTIONS and isinstance(values, dict):
            for key, value in values.items():
                merged[section][key] = value
                sources[f"{section}.{key}"] = str(path)
        elif section in SECTIONS:
            raise ConfigError(f"{section}: must be a JSON object, got {_show(values)}")
    for (section, key), value in _env_values(env, warnings).items():
        merged[section][key] = value
        sources[f"{section}.{key}"] = SOURCE_ENV
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, key = dotted.split(".", 1)
        merged[section][key] = value
        sources[dotted] = SOURCE_CLI
    if use_keyring and not merged["slooh"].get("password") and merged["slooh"].get("username"):
        secret = keyring_password(str(merged["slooh"]["username"]))
        if secret:
            merged["slooh"]["password"] = secret
            sources["slooh.password"] = SOURCE_KEYRING
    settings = validate_settings(merged)
    return LoadedSettings(settings, path, path.is_file(), sources, warnings)


def validate_settings(raw: Mapping[str, Any]) -> Settings:
    """Validate a raw mapping; every problem becomes one line naming key, value and rule."""
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe(error, raw) for error in exc.errors()]
        raise ConfigError("; ".join(problems), problems) from None


def keyring_password(username: str) -> str | None:
    """The password stored in the OS keyring for ``username``, if a keyring answers."""
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            value = keyring.get_password(KEYRING_SERVICE, username)
        except (KeyringError, RuntimeError, OSError):
            return None
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    return value if isinstance(value, str) and value else None


def _env_values(env: Mapping[str, str], warnings: list[str]) -> dict[tuple[str, str], str]:
    values: dict[tuple[str, str], str] = {}
    for name, value in env.items():
        if not name.startswith("SLOOH_") or name == "SLOOH_CONFIG":
            continue
        if name in ENV_ALIASES:
            values[ENV_ALIASES[name]] = value
            continue
        section, sep, key = name[len("SLOOH_") :].lower().partition("__")
        if sep and section in SECTIONS and key in SECTIONS[section].model_fields:
            values[(section, key)] = _env_scalar(value)
        elif sep:
            warnings.append(f"environment variable {name} is not a known setting (ignored)")
    return values


def _env_scalar(value: str) -> Any:
    """Environment values are strings; JSON lists/objects are accepted for list settings."""
    stripped = value.strip()
    if stripped[:1] in "[{":
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return value
    return value


def _unknown_keys(data: Mapping[str, Any], origin: str) -> list[str]:
    warnings: list[str] = []
    for section, values in data.items():
        if section not in SECTIONS:
            hint = _closest(section, list(SECTIONS))
            warnings.append(f"{origin}: unknown section {section!r}{hint} (ignored)")
            continue
        if isinstance(values, dict):
            fields = list(SECTIONS[section].model_fields)
            for key in values:
                if key not in fields:
                    hint = _closest(key, fields)
                    warnings.append(f"{origin}: unknown key {section}.{key}{hint} (ignored)")
    return warnings


def _closest(name: str, choices: list[str]) -> str:
    import difflib

    match = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, Path) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _lookup(raw: Mapping[str, Any], loc: tuple[int | str, ...]) -> Any:
    node: Any = raw
    for part in loc:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list | tuple) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _describe(error: Any, raw: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    key = ".".join(str(p) for p in loc)
    value = _lookup(raw, loc)
    shown = "password" if "password" in key else _show(value)
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if "password" in key:
        return f"{key}: invalid value ({error['msg']})"
    messages = {
        "greater_than_equal": f"{shown} is below the minimum {ctx.get('ge')}",
        "greater_than": f"{shown} must be greater than {ctx.get('gt')}",
        "less_than_equal": f"{shown} is above the maximum {ctx.get('le')}",
        "less_than": f"{shown} must be less than {ctx.get('lt')}",
        "int_parsing": f"{shown} is not a whole number",
        "int_from_float": f"{shown} is not a whole number",
        "int_type": f"{shown} is not a whole number",
        "float_parsing": f"{shown} is not a number",
        "float_type": f"{shown} is not a number",
        "bool_parsing": f"{shown} is not true or false",
        "bool_type": f"{shown} is not true or false",
        "string_type": f"{shown} is not a string",
        "string_too_short": f"{shown} is too short (at least {ctx.get('min_length')})",
        "string_too_long": f"{shown} is too long (at most {ctx.get('max_length')})",
        "literal_error": f"{shown} is not allowed, expected {ctx.get('expected')}",
        "missing": "is required",
        "dict_type": f"{shown} must be a JSON object",
        "model_type": f"{shown} must be a JSON object",
        "tuple_type": f"{shown} must be a list",
        "list_type": f"{shown} must be a list",
    }
    if kind in messages:
        return f"{key}: {messages[kind]}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{key}: {shown} {message}" if value is not None else f"{key}: {message}"
