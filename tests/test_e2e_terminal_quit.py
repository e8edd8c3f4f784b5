"""A second Ctrl-C on a real terminal: the live display is ended properly before the process
quits (cursor shown, the prompt on a line of its own), with and without loop signal handlers."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import REPO, Library, make_library, sessions, wait_for_files
from test_config_support import finish

from slooh_async.fake_server import FakeConfig, FakeSlooh, Faults

pty = pytest.importorskip("pty")
pytestmark = pytest.mark.timeout(120)

HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"

#: Put the pty on stdin/stdout/stderr, take the POSIX facilities away if asked, run slooh.
LAUNCHER = """
import os, runpy, sys
sys.path.insert(0, sys.argv[1])
fd = os.open(sys.argv[2], os.O_RDWR)
for target in (0, 1, 2):
    os.dup2(fd, target)
if sys.argv[3] == "windows-like":
    import windows_like
    windows_like.take_posix_away()
sys.argv = ["slooh", *sys.argv[4:]]
runpy.run_module("slooh_async", run_name="__main__")
"""


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Library]:
    """Slow files (40 kB at 20 kB/s): the live display is up when Ctrl-C comes, and the
    downloads in flight outlast the pause between the two Ctrl-C."""
    config = FakeConfig(pictures=16, seed=5, file_size=40_000)
    with FakeSlooh(config).running() as server:
        server.set_faults(Faults(slow_bytes_per_s=20_000, scope="downloads"))
        yield make_library(tmp_path, monkeypatch, server, threads=3)
        finish()


class Terminal:
    """slooh on a pseudo-terminal; a thread keeps reading it (a full pty would block the
    program's writes). The parent keeps the slave side open too, so nothing written is lost
    when the program ends."""

    def __init__(self, library: Library, flavour: str, *args: str) -> None:
        self._master, self._slave = pty.openpty()
        env = {**os.environ, "SLOOH_CONFIG": str(library.config), "TERM": "xterm-256color"}
        tests = str(REPO / "tests")
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, tests, os.ttyname(self._slave), flavour, *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env=env, cwd=library.root.parent,
        )  # fmt: skip
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if ready:
                self._chunks.append(os.read(self._master, 65536))
            elif self.process.poll() is not None:
                return  # ended, and everything it wrote has been read

    def wait_for(self, words: str, timeout: float = 30) -> None:
        """Until the program has written ``words`` (polls what the reader thread got)."""
        deadline = time.monotonic() + timeout
        while words.encode() not in b"".join(self._chunks):
            assert time.monotonic() < deadline, f"never saw {words!r}"
            assert self.process.poll() is None, f"ended before saying {words!r}"
            time.sleep(0.01)

    def wait(self, timeout: float = 30) -> str:
        """Wait for the program to end; everything it wrote."""
        self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return b"".join(self._chunks).decode("utf-8", "replace")

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Never leave the child behind, even when an assertion failed."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        os.close(self._master)
        os.close(self._slave)


@pytest.mark.parametrize("flavour", ["posix", "windows-like"])
def test_second_ctrl_c_restores_the_terminal(library: Library, flavour: str) -> None:
    """After two Ctrl-C: exit 130 at once, the cursor shown again after the display hid it,
    the output ending with a new line, and the session recorded as interrupted."""
    with Terminal(library, flavour, "download") as terminal:
        wait_for_files(library, 1)
        terminal.process.send_signal(signal.SIGINT)
        terminal.wait_for("SIGINT: stopping")  # the first is heard: now the second
        terminal.process.send_signal(signal.SIGINT)
        seen = terminal.wait()
    assert terminal.process.returncode == 130, seen[-2000:]
    assert HIDE_CURSOR in seen, "the live display never started"
    assert seen.rfind(SHOW_CURSOR) > seen.rfind(HIDE_CURSOR)
    assert seen.replace(SHOW_CURSOR, "").endswith("\n")
    assert "quitting now" in seen
    assert sessions(library) == [("download", "interrupted")]
