"""Runs ``slooh`` as it runs on Windows: the POSIX facilities it lacks are taken away first.

``python tests/windows_like.py ARGS`` is ``python -m slooh_async ARGS`` with:

- the asyncio loop's ``add_signal_handler`` raising ``NotImplementedError`` (as the Windows
  loops do), so Ctrl-C has to arrive through ``signal.signal``;
- no ``os.O_NOFOLLOW`` and no ``os.writev``;
- ``os.replace`` of a finished ``.part`` refused with ``PermissionError`` the first
  ``SLOOH_TEST_REPLACE_REFUSALS`` times (default 1), as when an antivirus or an image viewer
  holds the file for a moment;
- with ``SLOOH_TEST_SLOW_RENAME=SECONDS``, each ``os.rename`` takes that long (a slow disk,
  so that a reorganization can be interrupted half-way).

The patches are applied before ``slooh_async`` is imported, like the platform would have them.
"""

from __future__ import annotations

import asyncio
import os
import runpy
import sys
import time
from typing import Any

_real_replace = os.replace
_real_rename = os.rename


def _refuse_signal_handlers(*args: Any, **kwargs: Any) -> None:
    raise NotImplementedError


def _make_replace(refusals: int) -> Any:
    left = [refusals]

    def replace(source: Any, target: Any, **kwargs: Any) -> None:
        if left[0] > 0 and os.fspath(source).endswith(".part"):
            left[0] -= 1
            raise PermissionError(13, "The process cannot access the file", os.fspath(target))
        _real_replace(source, target, **kwargs)

    return replace


def _make_rename(seconds: float) -> Any:
    def rename(source: Any, target: Any, **kwargs: Any) -> None:
        time.sleep(seconds)
        _real_rename(source, target, **kwargs)

    return rename


def take_posix_away() -> None:
    """Make this interpreter look like Windows to the code that runs in it."""
    loop_class: Any = asyncio.SelectorEventLoop
    loop_class.add_signal_handler = _refuse_signal_handlers
    loop_class.remove_signal_handler = _refuse_signal_handlers
    for name in ("O_NOFOLLOW", "writev"):
        if hasattr(os, name):
            delattr(os, name)
    os.replace = _make_replace(int(os.environ.get("SLOOH_TEST_REPLACE_REFUSALS", "1")))
    if slow := float(os.environ.get("SLOOH_TEST_SLOW_RENAME", "0")):
        os.rename = _make_rename(slow)


if __name__ == "__main__":
    take_posix_away()
    sys.argv = ["slooh", *sys.argv[1:]]
    runpy.run_module("slooh_async", run_name="__main__", alter_sys=True)
