"""Small files written whole or not at all: pages, previews, sidecars, exports, the config."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ._replace import replace_file

__all__ = ["write_atomically"]

T = TypeVar("T")


def write_atomically(
    path: Path,
    write: Callable[[Any], T],
    *,
    encoding: str | None = None,
    newline: str | None = None,
    mode: int | None = None,
    durable: bool = False,
) -> T:
    """Write ``path`` through ``write(handle)``: a temporary file of a unique name beside it,
    then :func:`replace_file` over it (patient where another program holds it open).

    A reader never sees half a file, a failed write leaves what was there and no temporary
    file. ``encoding`` opens the handle in text mode (else bytes); ``mode`` sets the
    permissions (else ``mkstemp``'s 0600); ``durable`` syncs the bytes to disk before the
    rename. Returns what ``write`` returns. Blocking: call it off the event loop.
    """
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        handle_mode = "w" if encoding else "wb"
        with os.fdopen(fd, handle_mode, encoding=encoding, newline=newline) as handle:
            result = write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        replace_file(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return result
