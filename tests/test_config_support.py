"""Helpers shared by the config, CLI-config and logging tests (no tests here).

Every test that uses them runs with its own HOME, config, log file and in-memory keyring: no
test touches the real user's files or the OS keyring.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordSetError

from slooh_async.cli._common import STATE, GlobalState
from slooh_async.cli._logging import reset_logging


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring is untyped
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


class BrokenKeyring(MemoryKeyring):
    """A keyring that fails on every call, like a locked or crashed keyring daemon."""

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("keyring daemon crashed")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("locked")


def install_keyring(monkeypatch: pytest.MonkeyPatch, backend: KeyringBackend) -> None:
    """Use ``backend`` as the keyring for one test; the previous one comes back afterwards."""
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    keyring.set_keyring(backend)


def isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MemoryKeyring:
    """Own HOME, config dir, log file, working directory, CLI state; a memory keyring."""
    for name in list(os.environ):
        if name.startswith("SLOOH_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".state"))
    monkeypatch.setenv("SLOOH_CONFIG", str(tmp_path / "config.json"))
    monkeypatch.setenv("SLOOH_LOG_FILE", str(tmp_path / "logs" / "slooh.log"))
    monkeypatch.setenv("COLUMNS", "200")  # Rich tables unwrapped, so assertions see whole cells
    monkeypatch.chdir(tmp_path)
    fresh = GlobalState()
    for item in fields(GlobalState):
        monkeypatch.setattr(STATE, item.name, getattr(fresh, item.name))
    backend = MemoryKeyring()
    install_keyring(monkeypatch, backend)
    return backend


def finish() -> None:
    """Undo what the CLI did to logging, so later tests see plain propagation."""
    reset_logging()


def write_json(path: Path, data: Any) -> Path:
    """Write a config file for a test."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
