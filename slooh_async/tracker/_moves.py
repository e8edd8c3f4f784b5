"""Moving a file into the library without ever overwriting a different file."""

from __future__ import annotations

import errno
import filecmp
import os
import shutil
from contextlib import suppress
from pathlib import Path

from ..media import replace_file
from ..organizer import part_path

__all__ = ["MoveFailed", "move_file"]


class MoveFailed(Exception):
    """A file could not be moved; it is still at its old place."""


def move_file(source: Path, destination: Path) -> bool:
    """Move ``source`` to ``destination``; ``False`` when they already are the same file.

    A byte-identical file already at ``destination`` counts as moved (the source is removed);
    a different one is never overwritten: :class:`MoveFailed` is raised instead.
    """
    try:
        if destination.exists():
            if os.path.samefile(source, destination):
                return False
            if not filecmp.cmp(source, destination, shallow=False):
                raise MoveFailed(f"{destination} already exists with different content")
            source.unlink()
            return True
        destination.parent.mkdir(parents=True, exist_ok=True)
        _rename_or_copy(source, destination)
    except OSError as exc:
        raise MoveFailed(f"{exc.strerror or exc}") from exc
    return True


def _rename_or_copy(source: Path, destination: Path) -> None:
    try:
        os.rename(source, destination)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        _copy_across_devices(source, destination)


def _copy_across_devices(source: Path, destination: Path) -> None:
    """Copy under a temporary name first, so a crash never leaves half a file at the target."""
    part = part_path(destination)
    try:
        shutil.copy2(source, part)
        replace_file(part, destination)
    except BaseException:
        with suppress(OSError):
            part.unlink()
        raise
    source.unlink()
