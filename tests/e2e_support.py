"""Shared pieces of the end-to-end tests: a fake Slooh on loopback and a library to sync."""

from __future__ import annotations

import hashlib
import json
import os
import select
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_config_support import finish, isolate
from typer.testing import CliRunner, Result

from slooh_async.cli import app
from slooh_async.fake_server import FakeConfig, FakeSlooh, Faults
from slooh_async.organizer import is_part_name

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Library:
    """A configured library folder bound to one fake server."""

    root: Path
    config: Path
    server: FakeSlooh

    def run(self, *args: str) -> Result:
        """`slooh ARGS` in-process, as a user would type it."""
        return CliRunner().invoke(app, list(args), catch_exceptions=False)

    def run_json(self, *args: str) -> tuple[int, dict[str, Any]]:
        result = self.run(*args, "--json")
        return result.exit_code, json.loads(result.stdout)

    def files(self) -> list[Path]:
        """Every finished file in the library (no tracker, no .part)."""
        return sorted(
            p
            for p in self.root.rglob("*")
            if p.is_file() and ".slooh" not in p.parts and not is_part_name(p)
        )

    def parts(self) -> list[Path]:
        return [p for p in self.root.rglob("*.part") if ".slooh" not in p.parts]

    def digests(self) -> Counter[str]:
        return Counter(hashlib.sha256(p.read_bytes()).hexdigest() for p in self.files())


def faults_off(server: FakeSlooh) -> Iterator[FakeSlooh]:
    """A module's shared server for one test: faults off before and after, an empty log
    (the body of a fixture: ``yield from faults_off(fake)``)."""
    server.set_faults(Faults())
    server.clear_log()
    yield server
    server.set_faults(Faults())


@contextmanager
def slow_server(pictures: int, seed: int) -> Iterator[FakeSlooh]:
    """Files slow enough (40 kB at 60 kB/s) that a run is still going when interrupted."""
    config = FakeConfig(pictures=pictures, seed=seed, file_size=40_000)
    with FakeSlooh(config).running() as srv:
        srv.set_faults(Faults(slow_bytes_per_s=60_000, scope="downloads"))
        yield srv


def expected_digests(server: FakeSlooh, *, fits: bool = True) -> Counter[str]:
    """The bytes a complete download must hold, one entry per file."""
    return Counter(item.digest() for item in server.catalog.expected_files(include_fits=fits))


def make_library(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: FakeSlooh,
    *,
    gallery: dict[str, Any] | None = None,
    **download: Any,
) -> Library:
    """A config file pointing at ``server``; quick retries, no rate limit unless asked.

    The gallery is not refreshed after each run (``gallery.auto`` off) unless ``gallery``
    says otherwise (``{}``: the defaults): tests of downloads count the library's files and
    need not pay for a gallery build.
    """
    isolate(monkeypatch, tmp_path)
    root = tmp_path / "library"
    settings = {"rate_limit": 0, "retry_delay": 0.05, "max_retries": 4, "threads": 4, **download}
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "slooh": {
                    "base_url": server.base_url,
                    "username": server.config.username,
                    "password": server.config.password,
                },
                "download": settings,
                "folders": {"base_path": str(root)},
                "gallery": {"auto": False} if gallery is None else gallery,
            }
        )
    )
    config.chmod(0o600)  # as slooh configure writes it: a password nobody else may read
    monkeypatch.setenv("SLOOH_CONFIG", str(config))
    return Library(root, config, server)


def library_fixture(**download: Any) -> Any:
    """A ``library`` fixture on the module's ``server`` fixture: :func:`make_library` with
    these download settings, the CLI's logging undone after the test."""

    @pytest.fixture
    def library(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeSlooh
    ) -> Iterator[Library]:
        yield make_library(tmp_path, monkeypatch, server, **download)
        finish()

    return library


def slooh_process(
    library: Library, *args: str, windows_like: bool = False, **kwargs: Any
) -> subprocess.Popen[str]:
    """`python -m slooh_async ARGS` in a child process (for signals and locks); with
    ``windows_like``, through ``tests/windows_like.py``: without the POSIX facilities Windows
    lacks (loop signal handlers, ``O_NOFOLLOW``, ``os.writev``; one replace refused)."""
    env = {**os.environ, "SLOOH_CONFIG": str(library.config), "PYTHONUNBUFFERED": "1"}
    env.update(kwargs.pop("env", {}))
    command = [str(REPO / "tests" / "windows_like.py")] if windows_like else ["-m", "slooh_async"]
    return subprocess.Popen(
        [sys.executable, *command, *args],
        cwd=library.root.parent,
        env=env,
        text=True,
        encoding="utf-8",
        errors="replace",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )


def wait_for_files(library: Library, count: int, timeout: float = 60) -> None:
    """Until ``count`` files are in the library (a run is under way)."""
    deadline = time.monotonic() + timeout
    while len(library.files()) < count:
        assert time.monotonic() < deadline, "the download never got going"
        time.sleep(0.05)


def sessions(library: Library) -> list[tuple[str, str]]:
    """(command, status) of every tracker session, oldest first."""
    with sqlite3.connect(library.root / ".slooh" / "tracker.sqlite3") as db:
        return list(db.execute("select command, status from sessions order by id"))


class Said:
    """What a child process wrote to stderr so far, read as it comes: a test acts on what
    the program said (a file done, a signal heard), not on time passing."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        self._fd = process.stderr.fileno()
        self.text = ""

    def wait_for(self, words: str, count: int = 1, timeout: float = 60.0) -> None:
        """Read until ``words`` appeared ``count`` times."""
        deadline = time.monotonic() + timeout
        while self.text.count(words) < count:
            left = deadline - time.monotonic()
            assert left > 0, f"never said {words!r} {count} times: {self.text[-500:]!r}"
            ready, _, _ = select.select([self._fd], [], [], left)
            if ready:
                chunk = os.read(self._fd, 65536)
                assert chunk, f"ended before saying {words!r}: {self.text[-500:]!r}"
                self.text += chunk.decode("utf-8", "replace")
