"""The terminal under a live display: typed keys are not echoed into it.

Kept apart from the display so that every exit path (a second Ctrl-C included) can give
the terminal back as it was with one idempotent call.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["NoEcho"]


class NoEcho:
    """Keys typed while the display runs are not echoed into it (POSIX terminals; a no-op
    elsewhere, where nothing echoes unless a program reads). Only ``ECHO`` is turned off:
    Ctrl-C still interrupts, and what was typed stays for the shell."""

    def __init__(self, stream: Any = None) -> None:
        self._stream = stream if stream is not None else sys.stdin
        self._saved: list[Any] | None = None
        self._fd = -1

    def start(self) -> None:
        try:
            import termios
        except ImportError:  # Windows
            return
        try:
            fd = self._stream.fileno()
            if not self._stream.isatty():
                return
            saved = termios.tcgetattr(fd)
            quiet = list(saved)
            quiet[3] &= ~termios.ECHO
            termios.tcsetattr(fd, termios.TCSANOW, quiet)
        except (OSError, ValueError, AttributeError, termios.error):
            return
        self._fd, self._saved = fd, saved

    def stop(self) -> None:
        """Give the terminal back as it was (idempotent)."""
        saved, self._saved = self._saved, None
        if saved is None:
            return
        import termios

        try:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, saved)
        except (OSError, termios.error):
            pass
