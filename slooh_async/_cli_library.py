"""Commands about the library on disk: stats, verify, import-tracker, export, reorganize."""

from __future__ import annotations

import typer


def stats() -> None:
    """Totals of your library."""
    raise typer.Exit(2)


def verify() -> None:
    """Check every tracked file on disk."""
    raise typer.Exit(2)


def import_tracker() -> None:
    """Import the tracker of the earlier downloader."""
    raise typer.Exit(2)


def export() -> None:
    """Export the tracker's records."""
    raise typer.Exit(2)


def reorganize() -> None:
    """Move files to the current layout."""
    raise typer.Exit(2)
