"""Writing the gallery's files: only when their bytes change, and atomically.

An unchanged page keeps its modification time, so a rebuild with nothing new touches
nothing (a sync tool sends nothing, a reader's browser cache stays warm); a page is written
next to its place and moved in, so a reader never sees half of one.
"""

from __future__ import annotations

from pathlib import Path

from ..media import write_atomically

__all__ = ["write_if_changed"]


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly that; True if written."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda handle: handle.write(data))
    return True
