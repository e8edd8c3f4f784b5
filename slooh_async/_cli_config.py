"""Commands about settings and the account: ``configure``, ``config show|path``, ``test``."""

from __future__ import annotations

import typer

config_app = typer.Typer(help="Show the effective configuration and where it lives.", no_args_is_help=True)


def configure() -> None:
    """Set up your Slooh account and download folder (interactive)."""
    raise typer.Exit(2)


def test() -> None:
    """Check that slooh can log in and list your pictures."""
    raise typer.Exit(2)
