"""Putting a finished file in place with ``os.replace``, patient with Windows.

On Windows a file cannot be replaced (nor its temporary source renamed) while another program
holds it open: an image viewer showing the old version, the search indexer, an antivirus
reading the file it just saw being written. ``os.replace`` then raises ``PermissionError``.
Most of these holds last a moment, so the move is tried again a few times over about a
second and a half; after that :class:`FileInUseError` names the file and the likely cause, and
the caller keeps its temporary file for a later run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import anyio

__all__ = ["FileInUseError", "replace_file", "retry_in_use"]

T = TypeVar("T")

#: tries of a replace refused with ``PermissionError``, and the pause in seconds between them
REPLACE_TRIES = 6
REPLACE_PAUSE = 0.3


class FileInUseError(PermissionError):
    """A file could not be replaced after a few tries: another program most likely holds it."""

    def __init__(self, target: Path | str, cause: PermissionError) -> None:
        super().__init__(
            cause.errno, "access denied (is it open in another program?)", os.fspath(target)
        )

    def __str__(self) -> str:
        return f"cannot replace {self.filename}: {self.strerror}"


def replace_file(source: Path | str, target: Path | str) -> None:
    """``os.replace(source, target)``, tried again while refused; :class:`FileInUseError`
    in the end. Blocks for up to ~1.5 s: call it off the event loop."""
    for attempt in range(1, REPLACE_TRIES + 1):
        try:
            os.replace(source, target)
            return
        except PermissionError as exc:
            if attempt == REPLACE_TRIES:
                raise FileInUseError(target, exc) from exc
        time.sleep(REPLACE_PAUSE)


async def retry_in_use(attempt: Callable[[], Awaitable[T]], target: Path | str) -> T:
    """Await ``attempt()`` (a move into ``target``, e.g. ``os.replace`` in a worker thread)
    until it is not refused with ``PermissionError``, pausing with ``anyio.sleep`` between
    tries; :class:`FileInUseError` in the end."""
    for tries in range(1, REPLACE_TRIES + 1):
        try:
            return await attempt()
        except PermissionError as exc:
            if tries == REPLACE_TRIES:
                raise FileInUseError(target, exc) from exc
        await anyio.sleep(REPLACE_PAUSE)
    raise AssertionError("unreachable")  # pragma: no cover
