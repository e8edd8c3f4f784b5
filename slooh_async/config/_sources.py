"""Where raw settings come from: the JSON file, the environment, the command line, the keyring.

Nothing here knows the pydantic models: :class:`RawSettings` is given the schema (section ->
field names) and the environment aliases, merges the sources in order and remembers which one
gave each key. :mod:`._load` validates the result.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import IO, Any

from .._exceptions import ConfigError
from ..media import write_atomically
from ._errors import closest, show_value

__all__ = [
    "KEYRING_SERVICE",
    "OTHER_ENV",
    "SOURCE_CLI",
    "SOURCE_DEFAULT",
    "SOURCE_ENV",
    "SOURCE_KEYRING",
    "RawSettings",
    "default_config_path",
    "keyring_password",
    "option_value",
    "read_config_file",
    "store_keyring_password",
    "write_config_file",
]

KEYRING_SERVICE = "slooh-async"
SOURCE_DEFAULT = "default"
SOURCE_ENV = "environment"
SOURCE_CLI = "command line"
SOURCE_KEYRING = "keyring"

#: ``SLOOH_`` variables slooh reads that are not settings (never reported as typos)
OTHER_ENV = frozenset({"SLOOH_CONFIG", "SLOOH_LOG_FILE", "SLOOH_FORCE_INTERACTIVE"})

Schema = Mapping[str, Collection[str]]


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$SLOOH_CONFIG`` or ``config.json`` in the platform's user config folder."""
    env = os.environ if env is None else env
    if env.get("SLOOH_CONFIG"):
        return Path(os.path.expanduser(env["SLOOH_CONFIG"]))
    from platformdirs import user_config_path

    return user_config_path("slooh-async", appauthor=False) / "config.json"


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse the JSON config file (``{}`` when missing); errors name the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text file ({exc.reason})") from exc
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


def write_config_file(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as JSON atomically, readable by the owner only (0600; new folder 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)

    def dump(handle: IO[str]) -> None:
        json.dump(data, handle, indent=2, ensure_ascii=False, default=str)
        handle.write("\n")

    write_atomically(path, dump, encoding="utf-8", mode=0o600, durable=True)


class RawSettings:
    """The merged raw values of every source, and which source gave each key."""

    def __init__(self, schema: Schema, aliases: Mapping[str, tuple[str, str]]) -> None:
        self.schema = schema
        self.aliases = aliases
        self.values: dict[str, dict[str, Any]] = {name: {} for name in schema}
        self.sources: dict[str, str] = {}

    def _set(self, section: str, key: str, value: Any, source: str) -> None:
        self.values[section][key] = value
        self.sources[f"{section}.{key}"] = source

    def add_file(self, path: Path, data: Mapping[str, Any]) -> list[str]:
        """The file's known keys; warnings for unknown ones (typos), errors for bad sections."""
        bad = [
            f"{section}: {show_value(values)} must be a JSON object (in {path})"
            for section, values in data.items()
            if section in self.schema and not isinstance(values, dict)
        ]
        if bad:
            raise ConfigError("; ".join(bad), bad)
        for section, values in data.items():
            for key, value in values.items() if section in self.schema else ():
                if key in self.schema[section]:
                    self._set(section, key, value, str(path))
        return unknown_key_warnings(self.schema, data, str(path)) + exposed_password(path, data)

    def add_env(self, env: Mapping[str, str]) -> list[str]:
        """``SLOOH_<SECTION>__<KEY>`` and the short aliases; warnings for unknown names."""
        warnings: list[str] = []
        # aliases first, so the exact SLOOH_<SECTION>__<KEY> form wins when both are set
        ordered = sorted(env.items(), key=lambda item: (item[0] not in self.aliases, item))
        for name, value in ordered:
            target = self._env_target(name)
            if target is not None:
                self._set(*target, _env_scalar(value), f"{SOURCE_ENV} ({name})")
            elif name.startswith("SLOOH_") and name not in OTHER_ENV:
                warnings.extend(self._unknown_env(name))
        return warnings

    def _unknown_env(self, name: str) -> list[str]:
        """A warning for a ``SLOOH_`` name that sets nothing: always when it has the
        ``__`` of a setting, else only when it is one typo away from one (other programs may
        own other ``SLOOH_`` names). ``SLOOH_DOWNLOAD_THREADS`` misses one underscore."""
        # compared without the shared prefix, which would make every name look alike
        rest = name.removeprefix("SLOOH_")
        near = closest(rest, [n[6:] for n in self._env_names()]) or self._section_of(rest)
        hint = f"SLOOH_{near}" if near else None
        if "__" not in name and hint is None:
            return []
        also = f"; did you mean {hint}?" if hint else ""
        if hint and hint.replace("__", "_") == name:
            also += " (two underscores between section and key)"
        return [f"environment variable {name} is not a setting (ignored){also}"]

    def add_options(self, options: Mapping[str, Any]) -> None:
        """``-o SECTION.KEY=VALUE`` from the command line: every value counts, ``None`` is
        JSON ``null``; an unknown key is an error (a typo on the command line is not a file
        someone else may share)."""
        problems: list[str] = []
        for dotted, value in options.items():
            section, _, key = dotted.partition(".")
            if section in self.schema and key in self.schema[section]:
                self._set(section, key, value, SOURCE_CLI)
                continue
            known = [f"{name}.{k}" for name, keys in self.schema.items() for k in keys]
            hint = _key_hint(self.schema, section, key) if section in self.schema else None
            hint = hint or closest(dotted, known)
            also = f"; did you mean {hint!r}?" if hint else ""
            problems.append(f"unknown setting {dotted!r} (from the command line){also}")
        if problems:
            raise ConfigError("; ".join(problems), problems)

    def add_keyring(self) -> None:
        """The keyring's password, when a username is set and no source gave a password."""
        slooh = self.values["slooh"]
        username = slooh.get("username")
        if not slooh.get("password") and isinstance(username, str) and username.strip():
            secret = keyring_password(username.strip())
            if secret:
                self._set("slooh", "password", secret, SOURCE_KEYRING)

    def _env_target(self, name: str) -> tuple[str, str] | None:
        if name in self.aliases:
            return self.aliases[name]
        if not name.startswith("SLOOH_"):
            return None
        section, sep, key = name[len("SLOOH_") :].lower().partition("__")
        if sep and key in self.schema.get(section, ()):
            return section, key
        return None

    def _section_of(self, key: str) -> str | None:
        """``THREADS`` -> ``DOWNLOAD__THREADS``: a key named without its section."""
        sections = [name for name, keys in self.schema.items() if key.lower() in keys]
        return f"{sections[0].upper()}__{key.upper()}" if len(sections) == 1 else None

    def _env_names(self) -> list[str]:
        names = [
            f"SLOOH_{section.upper()}__{key.upper()}"
            for section, keys in self.schema.items()
            for key in keys
        ]
        return names + list(self.aliases)


def exposed_password(path: Path, data: Mapping[str, Any]) -> list[str]:
    """A warning when the file holds a password that other users of the machine can read.

    POSIX permission bits only: on Windows a file's readers are set by ACLs, which the
    user-profile folders already keep private.
    """
    slooh = data.get("slooh")
    password = slooh.get("password") if isinstance(slooh, dict) else None
    if os.name != "posix" or not isinstance(password, str) or not password:
        return []
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return []
    if not mode & 0o044:
        return []
    return [
        f"{path} holds a password and other users can read it (mode {mode:04o}): "
        f"run `chmod 600 {path}`, or move the password to the keyring with `slooh configure`"
    ]


def option_value(value: str) -> Any:
    """A ``-o KEY=VALUE`` value: read like an environment value, and ``null`` is JSON null
    (to unset a key for one run, e.g. ``-o download.download_rate_limit=null``)."""
    return None if value.strip() == "null" else _env_scalar(value)


def _env_scalar(value: str) -> Any:
    """Environment values are strings; JSON lists/objects are accepted for list settings."""
    stripped = value.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return value
    return value


def unknown_key_warnings(schema: Schema, data: Mapping[str, Any], origin: str) -> list[str]:
    """One warning per unknown section or key, with a did-you-mean for typos."""
    warnings: list[str] = []
    for section, values in data.items():
        if section not in schema:
            hint = closest(section, list(schema))
            also = f"; did you mean {hint!r}?" if hint else ""
            warnings.append(f"{origin}: unknown section {section!r} (ignored){also}")
            continue
        for key in values if isinstance(values, dict) else ():
            if key not in schema[section]:
                hint = _key_hint(schema, section, key)
                also = f"; did you mean {hint!r}?" if hint else ""
                warnings.append(f"{origin}: unknown key '{section}.{key}' (ignored){also}")
    return warnings


def _key_hint(schema: Schema, section: str, key: str) -> str | None:
    """A close key of the same section, else the same key in another section."""
    near = closest(key, list(schema[section]))
    if near:
        return f"{section}.{near}"
    for other, keys in schema.items():
        if key in keys:
            return f"{other}.{key}"
    return None


def keyring_password(username: str) -> str | None:
    """The password stored in the OS keyring for ``username``, if a keyring answers."""
    try:
        import keyring

        value = keyring.get_password(KEYRING_SERVICE, username)
    except Exception:  # a broken keyring must never stop a run: the other sources remain
        return None
    return value if isinstance(value, str) and value else None


def store_keyring_password(username: str, password: str) -> str | None:
    """Save the password in the OS keyring; ``None`` when saved, else why it was not."""
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring | null.Keyring) or (
            getattr(backend, "backends", None) == []
        ):
            return "no usable keyring backend on this system"
        keyring.set_password(KEYRING_SERVICE, username, password)
    except Exception as exc:  # any keyring failure: the caller falls back to the file
        return f"the keyring refused it ({type(exc).__name__})"
    return None
