"""The ``slooh`` command line: a Typer app, one module per command group.

``main`` is the console entry point; ``app`` is the Typer app (``typer.testing.CliRunner``
runs it in-process). Module level stays light, so ``slooh --help`` answers at once.
"""

from __future__ import annotations

from ._main import app, main

__all__ = ["app", "main"]
