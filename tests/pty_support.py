"""``slooh`` on a real pseudo-terminal, for the tests of what a person at a terminal sees.

The child is a session leader whose controlling terminal is the pty (so getpass finds
/dev/tty, and a Ctrl-C typed on it is a SIGINT), with the pty on stdin, stdout and stderr.
A thread keeps reading the master side: a full pty would block the program's writes while a
test looks elsewhere (at the library's files, say). The parent keeps the slave side open
too: reading the master never fails with EIO because the child has not opened its side yet,
and nothing written is lost when the child ends.

POSIX only; importable anywhere (the tests using it skip themselves on Windows).
"""

from __future__ import annotations

import codecs
import os
import re
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

_T = TypeVar("_T")

TESTS = Path(__file__).resolve().parent

#: Become the controlling terminal of a new session, take the pty as stdin, stdout and
#: stderr, for the "windows-like" flavour take the POSIX facilities away first
#: (tests/windows_like.py), then run slooh as a shell would.
#: Arguments: the pty's name, the flavour, the tests folder, slooh's arguments.
LAUNCHER = """
import os, runpy, sys
tty, flavour, tests, *args = sys.argv[1:]
fd = os.open(tty, os.O_RDWR)
for target in (0, 1, 2):
    os.dup2(fd, target)
if flavour == "windows-like":
    sys.path.insert(0, tests)
    import windows_like
    windows_like.take_posix_away()
sys.argv = ["slooh", *args]
runpy.run_module("slooh_async", run_name="__main__")
"""
FLAVOURS = ("posix", "windows-like")

#: Colours, cursor movements and window titles.
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")

if sys.platform == "win32":  # never called there: the tests skip first

    def _open_pty(columns: int, rows: int) -> tuple[int, int, str]:
        raise NotImplementedError("needs a POSIX pseudo-terminal")

    def _echo_on(fd: int) -> bool:
        raise NotImplementedError("needs a POSIX pseudo-terminal")

else:
    import fcntl
    import pty
    import struct
    import termios

    def _open_pty(columns: int, rows: int) -> tuple[int, int, str]:
        """A pty of ``columns`` x ``rows``: its master, its slave and the slave's name."""
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        return master, slave, os.ttyname(slave)

    def _echo_on(fd: int) -> bool:
        return bool(termios.tcgetattr(fd)[3] & termios.ECHO)


class Terminal:
    """``slooh ARGS`` on a pty of ``columns`` x ``rows``, read expect-style.

    The environment is the test's, with ``TERM=xterm-256color``, without ``COLUMNS`` and
    ``LINES`` (the pty tells its size, as a terminal does), plus ``env``. The default width
    is wide enough that no prompt or message is wrapped.
    """

    def __init__(
        self,
        *args: str,
        columns: int = 200,
        rows: int = 30,
        flavour: str = "posix",
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        assert flavour in FLAVOURS, flavour
        self.columns = columns
        self._master, self._slave, name = _open_pty(columns, rows)
        environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        environ["TERM"] = "xterm-256color"
        environ.update(env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, name, flavour, str(TESTS), *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env=environ, cwd=cwd,
        )  # fmt: skip
        #: Everything the program wrote, control sequences included.
        self.seen = ""
        self._ended = False  # the program ended and all it wrote is in ``seen``
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        """Until the program ended and the pty stayed quiet for a moment afterwards."""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        ended = False
        while True:
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self._master, 65536)
                except OSError:  # no slave side left (not while the parent holds it)
                    break
                with self._changed:
                    self.seen += decoder.decode(chunk)
                    self._changed.notify_all()
            elif ended:
                break
            else:
                ended = self.process.poll() is not None  # then one more quiet wait
        with self._changed:
            self.seen += decoder.decode(b"", final=True)
            self._ended = True
            self._changed.notify_all()

    def _wait_until(self, found: Callable[[], _T | None], what: str, timeout: float) -> _T:
        """Until ``found()`` gives something, re-tried whenever output arrives."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while (result := found()) is None:
                assert not self._ended, f"ended before {what}: {self.text()!r}"
                left = deadline - time.monotonic()
                assert left > 0, f"never saw {what} in {self.text()!r}"
                self._changed.wait(left)
        return result

    def expect(self, text: str, timeout: float = 30.0, *, since: int = 0) -> int:
        """Wait until ``text`` shows up after offset ``since`` of ``seen``; where it ends."""

        def found() -> int | None:
            at = self.seen.find(text, since)
            return None if at < 0 else at + len(text)

        return self._wait_until(found, repr(text), timeout)

    def expect_regex(
        self, pattern: str, timeout: float = 30.0, *, since: int = 0
    ) -> re.Match[str]:
        """Wait until ``pattern`` matches after offset ``since`` of ``seen``; the match."""
        compiled = re.compile(pattern)
        return self._wait_until(lambda: compiled.search(self.seen, since), repr(pattern), timeout)

    def echo_on(self) -> bool:
        """Whether the terminal echoes typed keys (the program may have switched it off)."""
        return _echo_on(self._slave)

    def wait_for_no_echo(self, timeout: float = 10.0) -> None:
        """Until the program switched echo off (getpass is reading): the terminal says
        nothing when it does, so this looks every 10 ms or whenever output arrives."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.echo_on():
                assert time.monotonic() < deadline, "echo never went off"
                self._changed.wait(0.01)

    def type(self, keys: str) -> None:
        """Keys as the terminal sends them ("\\r" for Enter, "\\x03" for Ctrl-C)."""
        os.write(self._master, keys.encode())

    def send(self, line: str) -> None:
        """A line typed and Enter."""
        self.type(f"{line}\r")

    def finish(self, timeout: float = 30.0) -> int:
        """Wait for the program to end, with all it wrote read; its exit code."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        assert not self._reader.is_alive(), "the terminal never went quiet"
        return code

    def text(self) -> str:
        """What was written, without colours and cursor movements."""
        return _CONTROL.sub("", self.seen)

    def lines(self) -> list[str]:
        """Every line the terminal was given (frames are redrawn in place: each counts)."""
        return [part for line in self.text().split("\n") for part in line.split("\r")]

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
