"""The live display on a real pseudo-terminal, at 120 and 80 columns, against the fake Slooh.

What a person sees: every line fits the width, the status line says what the run waits for
and for how long, a dry run draws no bar, typed keys are not echoed, the terminal is given
back as it was, and a "no" to ``--all`` changes nothing.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Library, make_library
from rich.cells import cell_len
from test_config_support import finish

from slooh_async.fake_server import FakeConfig, FakeSlooh, Faults

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
termios = pytest.importorskip("termios")
pty = pytest.importorskip("pty")
fcntl = pytest.importorskip("fcntl")

#: Become a session leader's controlling terminal, then run slooh (as in a shell).
LAUNCHER = """
import os, runpy, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for target in (0, 1, 2):
    os.dup2(fd, target)
sys.argv = ["slooh", *sys.argv[2:]]
runpy.run_module("slooh_async", run_name="__main__")
"""
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


class Terminal:
    """``slooh ARGS`` on a pty of ``columns`` x 30, read expect-style."""

    def __init__(self, columns: int, *args: str) -> None:
        import struct

        self.columns = columns
        self.master, self.slave = pty.openpty()
        size = struct.pack("HHHH", 30, columns, 0, 0)
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, size)
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env["TERM"] = "xterm-256color"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, os.ttyname(self.slave), *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env=env,
        )  # fmt: skip
        self.raw = ""

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                self.raw += os.read(self.master, 65536).decode("utf-8", "replace")
            except OSError:  # the child closed its side
                pass

    def expect(self, pattern: str, timeout: float = 30.0, *, since: int = 0) -> re.Match[str]:
        """Read until ``pattern`` (a regex) shows up after offset ``since``."""
        deadline = time.monotonic() + timeout
        while not (found := re.search(pattern, self.raw[since:])):
            assert time.monotonic() < deadline, f"never saw {pattern!r} in {self.text()!r}"
            assert self.proc.poll() is None, f"ended before {pattern!r}: {self.text()!r}"
            self._read(0.1)
        return found

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self, timeout: float = 30.0) -> int:
        """Read to the end; the exit code."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        code = self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        while select.select([self.master], [], [], 0.05)[0]:
            before = len(self.raw)
            self._read(0)
            if len(self.raw) == before:
                break
        return code

    def echo_on(self) -> bool:
        return bool(termios.tcgetattr(self.slave)[3] & termios.ECHO)

    def text(self) -> str:
        """What was written, without colours and cursor movements."""
        return _CONTROL.sub("", self.raw)

    def lines(self) -> list[str]:
        """Every line the terminal was given (frames are redrawn in place: each counts)."""
        return [part for line in self.text().split("\n") for part in line.split("\r")]

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self.slave, self.master):
            os.close(fd)


def serve(**faults: Any) -> FakeSlooh:
    config = FakeConfig(pictures=30, seed=1, file_size=40_000, faults=Faults(**faults))
    return FakeSlooh(config)


@pytest.fixture
def slow_server() -> Iterator[FakeSlooh]:
    """Downloads trickle at 20 kB/s: a file takes about 2 s, so the live display shows it."""
    with serve(slow_bytes_per_s=20_000).running() as srv:
        yield srv


def library_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeSlooh, **download: Any
) -> Library:
    return make_library(tmp_path, monkeypatch, server, threads=2, batch_size=10, **download)


def assert_fits(term: Terminal) -> None:
    wide = [line for line in term.lines() if cell_len(line) > term.columns]
    assert not wide, wide


def test_live_display_at_80_columns_fits_and_tells_the_rate_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_server: FakeSlooh
) -> None:
    """80 columns: the budget's estimate up front, "rate limit: next request in N s" while
    the budget holds requests back, names cut with "…", no line wider than the terminal,
    typed keys not echoed, and the terminal's echo back after Ctrl-C."""
    library_for(tmp_path, monkeypatch, slow_server, rate_limit=6)
    try:
        with Terminal(80, "download") as term:
            term.expect(r"rate limit 6/min: about \d+ min for ~[\d,]+ files")
            shown = term.expect(r"rate limit: next request in \d+\.\d s").end()
            term.type("zzz")
            term.expect(r"rate limit: next request in \d+\.\d s", since=shown + 200)
            assert term.echo_on() is False
            term.type("\x03")  # Ctrl-C, as the terminal sends it
            assert term.finish() == 130
            assert term.echo_on() is True
            assert "zzz" not in term.text()
            assert "…" in term.text() and "?rand=" not in term.text()
            assert_fits(term)
    finally:
        finish()


def test_a_second_ctrl_c_leaves_the_terminal_echoing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_server: FakeSlooh
) -> None:
    """Ctrl-C twice quits at once; typed keys echo again from the first (the run is
    stopping), all the same."""
    library_for(tmp_path, monkeypatch, slow_server, rate_limit=6)
    try:
        with Terminal(80, "download") as term:
            term.expect(r"rate limit: next request in")
            assert term.echo_on() is False
            term.type("\x03")
            term.expect("press Ctrl-C again")
            assert term.echo_on() is True  # stopping: keys echo before the second Ctrl-C
            term.type("\x03")
            assert term.finish() == 130
            assert term.echo_on() is True
    finally:
        finish()


def test_live_display_at_120_columns_tells_the_servers_pause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """429s with Retry-After (until the server's window frees): "the server asked to wait
    N s (M s left)" on the status line, which fits 120 columns."""
    with serve(api_max_per_minute=3, retry_after=30).running() as server:
        library_for(tmp_path, monkeypatch, server)
        try:
            with Terminal(120, "download") as term:
                term.expect(r"the server asked to wait \d+ s \(\d+ s left\)")
                term.type("\x03")
                assert term.finish() == 130
                assert_fits(term)
        finally:
            finish()


def test_a_dry_run_on_a_terminal_draws_no_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_server: FakeSlooh
) -> None:
    """Nothing is downloaded in a dry run: no progress bar is ever drawn; the plan ends with
    what the rate budget makes the real run cost."""
    library_for(tmp_path, monkeypatch, slow_server, rate_limit=30)
    try:
        with Terminal(80, "download", "--dry-run", "--no-fits") as term:
            assert term.finish() == 0, term.text()
            assert "Would download 30 files (nothing is downloaded in a dry run)" in term.text()
            assert "Would download 30 files into" in term.text()  # the plan's table
            assert "Files " not in term.text()  # the label of the bar
            assert re.search(
                r"rate limit 30/min: about 1 min for 30 files \(\d+ requests\)", term.text()
            )
            assert_fits(term)
    finally:
        finish()


def test_answering_no_to_all_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_server: FakeSlooh
) -> None:
    """`download --all`, "n": "aborted, nothing changed", exit 0, no tracker touched."""
    library = library_for(tmp_path, monkeypatch, slow_server)
    try:
        with Terminal(80, "download", "--all") as term:
            term.expect("Download every picture again")
            term.type("n\r")
            assert term.finish() == 0
            assert "aborted, nothing changed" in term.text()
        assert not library.root.exists()
    finally:
        finish()
