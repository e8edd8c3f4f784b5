"""Files the command line writes for the user (``slooh export -o``): whole or not at all, and
never in place of something that is not a file."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .._exceptions import StorageError, UsageError
from ..media import write_atomically

__all__ = ["write_replacing"]


def write_replacing(output: Path, write: Callable[[TextIO], int]) -> int:
    """Write ``output`` through ``write`` (which returns a count), whole or not at all.

    The text goes to a temporary file of a unique name beside ``output``, which is then
    renamed over it: a reader never sees half a file, and a failed write leaves what was
    there. Only a regular file is ever replaced: a link, a FIFO, a device or a folder at
    ``output`` is refused (:class:`UsageError`), and no other name (``output.part``...) is
    touched. A file replaced keeps its permissions; a new one gets the umask's.
    """
    mode = _existing_mode(output)
    new_mode = stat.S_IMODE(mode) if mode is not None else _new_file_mode()
    try:
        # a spreadsheet that has the file open: the replace is tried a while
        return write_atomically(output, write, encoding="utf-8", newline="", mode=new_mode)
    except OSError as exc:
        raise StorageError(f"cannot write {output}: {exc.strerror or exc}") from exc


def _existing_mode(output: Path) -> int | None:
    """The mode of the regular file at ``output`` (``None``: nothing there); anything else
    there is refused."""
    try:
        mode = os.lstat(output).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"cannot write {output}: {exc.strerror or exc}") from exc
    if stat.S_ISREG(mode):
        return mode
    kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
    raise UsageError(f"refusing to replace {output}: it is {kind} (choose another --output)")


def _new_file_mode() -> int:
    """The mode a new file gets under the process's umask (``mkstemp`` makes it 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
