"""``slooh configure`` on a real pseudo-terminal: detected as interactive, password not echoed."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_config_support import finish, isolate

termios = pytest.importorskip("termios")
pty = pytest.importorskip("pty")

#: Become a session leader's controlling terminal (so getpass finds /dev/tty), then run slooh.
LAUNCHER = """
import os, runpy, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for target in (0, 1, 2):
    os.dup2(fd, target)
sys.argv = ["slooh", *sys.argv[2:]]
runpy.run_module("slooh_async", run_name="__main__")
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Own HOME, config and log file; the child gets keyring's "no backend"."""
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    yield
    finish()


class Terminal:
    """A child process on a pty, with expect-style reading."""

    def __init__(self, *args: str) -> None:
        # the parent keeps the slave open too: reading the master never fails with EIO just
        # because the child has not opened its side yet
        self.master, self.slave = pty.openpty()
        name = os.ttyname(self.slave)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, name, *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env=dict(os.environ),
        )  # fmt: skip
        self.seen = ""

    def expect(self, text: str, timeout: float = 20.0) -> None:
        """Read until ``text`` appeared."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {text!r} in {self.seen!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                self.seen += os.read(self.master, 4096).decode("utf-8", "replace")
            assert self.proc.poll() is None or ready, f"ended before {text!r}: {self.seen!r}"

    def wait_for_no_echo(self, timeout: float = 10.0) -> None:
        """Wait until the program switched echo off (getpass is reading)."""
        deadline = time.monotonic() + timeout
        while termios.tcgetattr(self.master)[3] & termios.ECHO:
            assert time.monotonic() < deadline, "echo never went off"
            time.sleep(0.01)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Never leave the child behind, even when an assertion failed."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self.slave, self.master):
            try:
                os.close(fd)
            except OSError:
                pass  # already closed by finish()

    def send(self, line: str) -> None:
        os.write(self.master, f"{line}\r".encode())

    def finish(self, timeout: float = 20.0) -> int:
        """Drain the output and return the exit code."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                self.seen += os.read(self.master, 4096).decode("utf-8", "replace")
        code = self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        while select.select([self.master], [], [], 0)[0]:
            self.seen += os.read(self.master, 4096).decode("utf-8", "replace")
        os.close(self.slave)
        os.close(self.master)
        return code


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_configure_on_a_real_terminal(tmp_path: Path) -> None:
    """On a tty configure asks without SLOOH_FORCE_INTERACTIVE and never echoes the password."""
    with Terminal("configure") as term:
        term.expect("Slooh username")
        term.send("ada")
        term.expect("Slooh password")
        term.wait_for_no_echo()
        term.send("Pty-Secret-5")
        term.expect("Download folder")
        term.send(str(tmp_path / "lib"))
        term.expect("Create it?")
        term.send("y")
        for question in ("batch size", "threads", "per minute"):
            term.expect(question)
            term.send("")
        term.expect("Test the login now?")
        term.send("n")
        assert term.finish() == 0, term.seen
    assert "Pty-Secret-5" not in term.seen
    assert "no usable keyring backend" in term.seen
    data = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert data["slooh"] == {"username": "ada", "password": "Pty-Secret-5"}
    assert data["folders"] == {"base_path": str(tmp_path / "lib")}


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_refused_login_asks_the_password_again_hidden(tmp_path: Path) -> None:
    """After a refused login test, configure asks the password again, hidden, and the new
    one logs in."""
    from slooh_async.fake_server import FakeConfig, FakeSlooh

    with FakeSlooh(FakeConfig(pictures=3, password="Right-Pw-9")).running() as server:
        (tmp_path / "config.json").write_text(
            json.dumps({"slooh": {"base_url": server.base_url}}), encoding="utf-8"
        )
        with Terminal("configure") as term:
            term.expect("Slooh username")
            term.send("demo")
            term.expect("Slooh password")
            term.wait_for_no_echo()
            term.send("Wrong-Pw-1")
            term.expect("Download folder")
            term.send(str(tmp_path))
            for question in ("batch size", "threads", "per minute", "Test the login now?"):
                term.expect(question)
                term.send("")
            term.expect("Type the username and password again?")
            term.send("y")
            term.expect("Slooh username")
            term.send("")
            term.expect("Slooh password")
            term.wait_for_no_echo()
            term.send("Right-Pw-9")
            term.expect("Login OK")
            assert term.finish() == 0, term.seen
    assert "Invalid username or password" in term.seen
    assert "Wrong-Pw-1" not in term.seen and "Right-Pw-9" not in term.seen
    data = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert data["slooh"]["password"] == "Right-Pw-9"
