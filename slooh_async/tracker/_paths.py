"""How file paths are stored: relative to the library when inside it, so the library can move."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["PathCodec"]


@dataclass(frozen=True)
class PathCodec:
    """Turns absolute paths into stored text and back, relative to ``base_path``.

    Paths are normalised with ``os.path.abspath`` (not ``resolve``): a library reached through
    a symlink keeps relative entries, and nothing touches the disk.
    """

    base_path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_path", Path(os.path.abspath(self.base_path)))

    def encode(self, path: Path) -> str:
        """POSIX text relative to the library, or the absolute path when outside it."""
        absolute = Path(os.path.abspath(path))
        try:
            relative = absolute.relative_to(self.base_path)
        except ValueError:
            return str(absolute)
        return relative.as_posix() if relative.parts else str(absolute)

    def decode(self, stored: str) -> Path:
        """The absolute path for stored text (relative entries hang off the library)."""
        candidate = Path(stored)
        if candidate.is_absolute():
            return candidate
        return self.base_path.joinpath(*PurePosixPath(stored).parts)
