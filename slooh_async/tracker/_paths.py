"""How file paths are stored: relative to the library when inside it, so the library can move."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

__all__ = ["PathCodec"]


class PathCodec:
    """Turns absolute paths into stored text and back, relative to ``base_path``.

    Paths are normalised with ``os.path.abspath`` (not ``resolve``): a library reached through
    a symlink keeps relative entries, and nothing touches the disk. The work is done on strings
    because it runs for every row of every batch, where pathlib is several times slower.
    """

    __slots__ = ("_prefix", "base_path")

    def __init__(self, base_path: Path) -> None:
        self.base_path = Path(os.path.abspath(base_path))
        base = str(self.base_path)
        # normcase: on Windows "C:\\Lib" and "c:\\lib" are the same folder.
        self._prefix = os.path.normcase(base if base.endswith(os.sep) else base + os.sep)

    def encode(self, path: Path) -> str:
        """POSIX text relative to the library, or the absolute path when outside it."""
        absolute = os.path.abspath(path)
        if not os.path.normcase(absolute).startswith(self._prefix):
            return absolute
        relative = absolute[len(self._prefix) :]
        return relative.replace(os.sep, "/") if os.sep != "/" else relative

    def decode(self, stored: str) -> Path:
        """The absolute path for stored text (relative entries hang off the library)."""
        candidate = Path(stored)
        if candidate.is_absolute():
            return candidate
        return self.base_path.joinpath(*PurePosixPath(stored).parts)
