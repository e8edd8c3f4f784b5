"""The public surface of ``slooh_async``: complete, lazy, and the same objects as the packages'."""

from __future__ import annotations

import importlib
import subprocess
import sys

import slooh_async
from slooh_async import _exceptions


def test_all_lists_every_public_name() -> None:
    """__all__ is the exception tree, the lazily loaded classes and __version__: no more, no
    less, and every name resolves."""
    exceptions = {
        name
        for name, value in vars(_exceptions).items()
        if isinstance(value, type) and issubclass(value, Exception) and not name.startswith("_")
    }
    lazy = set(slooh_async._LAZY)
    assert set(slooh_async.__all__) == exceptions | lazy | {"__version__"}
    for name in slooh_async.__all__:
        assert getattr(slooh_async, name) is not None, name


def test_lazy_names_are_the_packages_own_objects() -> None:
    """slooh_async.SloohClient is slooh_async.api.SloohClient, and so on for every lazy name."""
    for name, package in slooh_async._LAZY.items():
        module = importlib.import_module(package, "slooh_async")
        assert getattr(slooh_async, name) is getattr(module, name), name


def test_importing_the_package_loads_neither_httpx_nor_pydantic() -> None:
    """`import slooh_async` (and so `slooh --help`) does not pay for httpx or pydantic."""
    code = "import sys, slooh_async; print(sorted({'httpx', 'pydantic'} & set(sys.modules)))"
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert shown.stdout.strip() == "[]"
