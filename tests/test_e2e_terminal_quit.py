"""A second Ctrl-C on a real terminal: the live display is ended properly before the process
quits (cursor shown, the prompt on a line of its own), with and without loop signal handlers."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import Library, make_library, sessions, wait_for_files
from pty_support import Terminal
from test_config_support import finish

from slooh_async.fake_server import FakeConfig, FakeSlooh, Faults

pytest.importorskip("pty")
pytestmark = pytest.mark.timeout(120)

HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"

@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Library]:
    """Slow files (40 kB at 20 kB/s): the live display is up when Ctrl-C comes, and the
    downloads in flight outlast the pause between the two Ctrl-C."""
    config = FakeConfig(pictures=16, seed=5, file_size=40_000)
    with FakeSlooh(config).running() as server:
        server.set_faults(Faults(slow_bytes_per_s=20_000, scope="downloads"))
        yield make_library(tmp_path, monkeypatch, server, threads=3)
        finish()


@pytest.mark.parametrize("flavour", ["posix", "windows-like"])
def test_second_ctrl_c_restores_the_terminal(library: Library, flavour: str) -> None:
    """After two Ctrl-C: exit 130 at once, the cursor shown again after the display hid it,
    the output ending with a new line, and the session recorded as interrupted."""
    env = {"SLOOH_CONFIG": str(library.config)}
    with Terminal("download", flavour=flavour, env=env, cwd=library.root.parent) as terminal:
        wait_for_files(library, 1)
        terminal.process.send_signal(signal.SIGINT)
        terminal.expect("SIGINT: stopping")  # the first is heard: now the second
        terminal.process.send_signal(signal.SIGINT)
        terminal.finish()
        seen = terminal.seen
    assert terminal.process.returncode == 130, seen[-2000:]
    assert HIDE_CURSOR in seen, "the live display never started"
    assert seen.rfind(SHOW_CURSOR) > seen.rfind(HIDE_CURSOR)
    assert seen.replace(SHOW_CURSOR, "").endswith("\n")
    assert "quitting now" in seen
    assert sessions(library) == [("download", "interrupted")]
