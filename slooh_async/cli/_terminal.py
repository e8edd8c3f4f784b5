"""The standard streams and the terminal, on every way out of the process.

:func:`setup_streams` runs first in the console entry point: names in any script (emoji,
accents) are printed as escapes instead of raising ``UnicodeEncodeError`` where stdout cannot
encode them (a legacy Windows console, a pipe in cp1252 or ASCII, ``PYTHONIOENCODING=ascii``).

A second Ctrl-C ends the process with ``os._exit``: no ``finally`` runs, so whatever put the
terminal in a special state (the live display hides the cursor and redraws in place)
registers its undoing with :func:`restored_on_quit`, and :func:`quit_now` runs it.
:class:`NoEcho` keeps typed keys out of the live display, and gives the terminal back in
its ``stop`` (one idempotent call, fit for every exit path).
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["NoEcho", "flush_output", "quit_now", "restored_on_quit", "setup_streams"]

log = logging.getLogger("slooh_async.cli")

_restorers: list[Callable[[], None]] = []


def setup_streams() -> None:
    """Let stdout and stderr write any text: what their encoding lacks becomes an escape
    (``\\u2014``), never an error. Their encoding itself is left as it is."""
    sys.stdout = _escaping(sys.stdout)
    sys.stderr = _escaping(sys.stderr)


def _escaping(stream: Any) -> Any:
    if not isinstance(stream, io.TextIOWrapper):  # None under pythonw; a test's capture
        return stream
    try:
        stream.reconfigure(errors="backslashreplace")
        return stream
    except OSError:
        pass
    # The stream believes it can seek but its file cannot (a terminal put where /dev/null
    # was, as launchers and schedulers do): reconfiguring fails on tell(). A new text
    # layer over the same bytes, told the truth, escapes instead.
    stream.flush()
    return io.TextIOWrapper(
        _Unseekable(stream.buffer),
        encoding=stream.encoding,
        errors="backslashreplace",
        line_buffering=stream.line_buffering,
        write_through=stream.write_through,
    )


class _Unseekable:
    """A binary stream that says it cannot seek, and is otherwise the stream it wraps."""

    def __init__(self, buffer: Any) -> None:
        self._buffer = buffer

    def seekable(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._buffer, name)


@contextmanager
def restored_on_quit(restore: Callable[[], None]) -> Iterator[None]:
    """While the block runs, ``restore`` (e.g. a live display's ``stop``) is called if the
    process has to end at once."""
    _restorers.append(restore)
    try:
        yield
    finally:
        _restorers.remove(restore)


def quit_now() -> None:
    """Put the terminal back (cursor shown, the line ended) and flush everything said so far;
    the process ends right after this (a second Ctrl-C)."""
    for restore in reversed(_restorers):
        try:
            restore()
        except Exception as exc:  # the others still deserve their turn
            log.debug("could not restore the terminal: %s", exc)
    flush_output()


def flush_output() -> None:
    """Flush the log handlers and the standard streams before the process ends."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None under pythonw and some schedulers
                stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said anyway
            pass


class NoEcho:
    """Keys typed while the display runs are not echoed into it (POSIX terminals; a no-op
    elsewhere, where nothing echoes unless a program reads). Only ``ECHO`` is turned off:
    Ctrl-C still interrupts, and what was typed stays for the shell."""

    def __init__(self, stream: Any = None) -> None:
        self._stream = stream if stream is not None else sys.stdin
        self._saved: list[Any] | None = None
        self._fd = -1

    def start(self) -> None:
        if self._saved is None:
            off = _echo_off(self._stream)
            if off is not None:
                self._fd, self._saved = off

    def stop(self) -> None:
        """Give the terminal back as it was (idempotent)."""
        saved, self._saved = self._saved, None
        if saved is not None:
            _echo_back(self._fd, saved)


if sys.platform != "win32":

    def _echo_off(stream: Any) -> tuple[int, list[Any]] | None:
        """Turn the terminal's echo off; what it was, to give back (``None``: not a tty)."""
        try:
            import termios
        except ImportError:  # a POSIX without it (some embedded builds)
            return None
        try:
            fd = stream.fileno()
            if not stream.isatty():
                return None
            saved = termios.tcgetattr(fd)
            quiet = list(saved)
            quiet[3] &= ~termios.ECHO
            termios.tcsetattr(fd, termios.TCSANOW, quiet)
        except (OSError, ValueError, AttributeError, termios.error):
            return None
        return fd, saved

    def _echo_back(fd: int, saved: list[Any]) -> None:
        import termios

        try:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        except (OSError, termios.error):
            pass

else:  # a Windows console echoes only for a program that reads: nothing to do

    def _echo_off(stream: Any) -> tuple[int, list[Any]] | None:
        return None

    def _echo_back(fd: int, saved: list[Any]) -> None:
        return None
