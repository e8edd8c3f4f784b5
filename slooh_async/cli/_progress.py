"""Progress of work done in phases (the gallery's build, reading FITS headers): a Rich bar
on a terminal, one plain line per finished phase through a pipe, nothing when quiet.

Everything goes to stderr: stdout keeps the command's result (the gallery's URL, a table, a
JSON document). The callback is the gallery's ``progress(phase, done, total)``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from ._common import is_terminal, stderr_console

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["PHASES", "PhaseProgress", "phase_progress"]

#: What each phase does, in the words of the bar and the plain lines.
PHASES = {
    "verify": "Checking files",
    "headers": "Reading FITS headers",
    "previews": "Making previews",
    "pages": "Writing pages",
}


class PhaseProgress(Protocol):
    """``progress(phase, done, total)``."""

    def __call__(self, phase: str, done: int, total: int) -> None: ...


@contextmanager
def phase_progress(*, quiet: bool) -> Iterator[PhaseProgress]:
    """The callback for the current output: a bar (stderr is a terminal), plain lines (it
    is not), or nothing (``quiet``: ``--quiet`` or ``--json``)."""
    if quiet:
        yield _silent
        return
    if not is_terminal(sys.stderr):
        yield _PlainLines()
        return
    console = stderr_console()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    )
    with bar:
        yield _Bars(bar)


def _silent(phase: str, done: int, total: int) -> None:
    return None


class _PlainLines:
    """``Reading FITS headers: 12 of 12``, once a phase is over (a line per item would
    drown a log)."""

    def __call__(self, phase: str, done: int, total: int) -> None:
        if total and done >= total:
            label = PHASES.get(phase, phase)
            stderr_console().print(f"{label}: {done:,} of {total:,}", markup=False)


class _Bars:
    """A bar per phase, filled as the phase goes."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        task = self._tasks.get(phase)
        if task is None:
            label = PHASES.get(phase, phase)
            self._tasks[phase] = self._progress.add_task(label, total=total, completed=done)
        else:
            self._progress.update(task, completed=done, total=total)
