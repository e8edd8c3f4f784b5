"""The organizer's one error."""

from __future__ import annotations

from .._exceptions import SloohError

__all__ = ["PathError"]


class PathError(SloohError, ValueError):
    """No safe destination can be built: it would leave ``base_path`` (a link inside the library
    pointing elsewhere), it cannot fit ``max_path_length``, or no free ``name (n)`` is left."""

    exit_code = 2
