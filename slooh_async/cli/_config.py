"""Commands about settings and the account: ``configure``, ``config show|path``, ``test``.

Module level stays light (typer only): ``slooh --help`` imports this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._common import (
    JsonOpt,
    config_file,
    handle_errors,
    load,
    plain_output,
    print_json,
    print_lines,
    stderr_console,
    stdout_console,
)
from ._options import with_global_options

if TYPE_CHECKING:
    from ..config import LoadedSettings, Settings

__all__ = ["config_app", "configure"]

NOT_SET = "(not set)"

config_app = typer.Typer(
    help="Show the effective configuration and where it lives.", no_args_is_help=True
)


# --------------------------------------------------------------------------- config show / path


#: ``config show --json``'s keys (``error`` and ``exit_code`` come on top)
SHOW_KEYS = ("config_path", "config_exists", "log_file", "settings", "warnings")


@config_app.command("show")
@with_global_options
@handle_errors(json_keys=SHOW_KEYS)
def show(json_: JsonOpt = False) -> None:
    """Show every setting, its value and where it came from (the password is masked).

    Example: slooh config show
    """
    loaded = load()
    if json_:
        print_json(settings_document(loaded))
        return
    _print_settings(loaded)


@config_app.command("path")
@with_global_options
@handle_errors(json_keys=("path", "exists", "log_file"))
def path(json_: JsonOpt = False) -> None:
    """Print the config file's path, and whether it exists.

    Example: slooh config path
    """
    from ._logging import log_file_path

    where = config_file()
    if json_:
        print_json(
            {"path": str(where), "exists": where.is_file(), "log_file": str(log_file_path())}
        )
        return
    typer.echo(str(where))
    if not where.is_file():
        stderr_console().print("(does not exist yet: run [bold]slooh configure[/] to create it)")


def setting_rows(loaded: LoadedSettings) -> list[tuple[str, Any, str]]:
    """``(dotted key, JSON-ready value, source)`` for every setting; the password masked."""
    from ..config import SECTIONS

    rows: list[tuple[str, Any, str]] = []
    for section in SECTIONS:
        values = getattr(loaded.settings, section)
        for key in type(values).model_fields:
            dotted = f"{section}.{key}"
            rows.append((dotted, _plain(dotted, getattr(values, key)), loaded.source_of(dotted)))
    return rows


def settings_document(loaded: LoadedSettings) -> dict[str, Any]:
    """What ``slooh config show --json`` prints."""
    from ._logging import log_file_path

    sections: dict[str, dict[str, Any]] = {}
    for dotted, value, source in setting_rows(loaded):
        section, key = dotted.split(".", 1)
        sections.setdefault(section, {})[key] = {"value": value, "source": source}
    return {
        "config_path": str(loaded.config_path),
        "config_exists": loaded.config_exists,
        "log_file": str(log_file_path()),
        "settings": sections,
        "warnings": loaded.warnings,
    }


def _plain(key: str, value: Any) -> Any:
    """A JSON-ready value; the password is ``"***"`` (or ``None`` when not set)."""
    if key == "slooh.password":
        return "***" if value is not None else None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _shown(key: str, value: Any, settings: Settings) -> str:
    """How a value reads in the table."""
    import json

    if value is None:
        if key == "folders.template":
            return f"{NOT_SET}: organize_by gives {settings.folders.folder_template}"
        if key == "tracker.path":
            return f"{NOT_SET}: {settings.tracker_path}"
        return NOT_SET
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{name}={folder}" for name, folder in value.items())
    return json.dumps(value)


def _short_source(source: str, loaded: LoadedSettings) -> str:
    """``config file`` (its path is the title), ``env SLOOH_X``, or the source as is."""
    if source == str(loaded.config_path):
        return "config file"
    if source.startswith("environment (") and source.endswith(")"):
        return f"env {source[len('environment (') : -1]}"
    return source


def _print_settings(loaded: LoadedSettings) -> None:
    from rich.markup import escape
    from rich.table import Table

    from ._logging import log_file_path

    if plain_output():  # a pipe: ``key<TAB>value<TAB>source``, one setting a line
        print_lines(
            (key, _shown(key, value, loaded.settings), source)
            for key, value, source in setting_rows(loaded)
        )
        err = stderr_console()
        err.print(f"Settings from {loaded.config_path}", markup=False, soft_wrap=True)
        err.print(f"Log file: {log_file_path()}", markup=False, soft_wrap=True)
        return

    state = "" if loaded.config_exists else " [yellow](not created yet)[/]"
    table = Table(
        title=f"Settings from {escape(str(loaded.config_path))}{state}", title_justify="left"
    )
    table.add_column("Key", style="bold", no_wrap=True)
    table.add_column("Value", overflow="fold")
    table.add_column("Source", style="dim", overflow="fold")
    for key, value, source in setting_rows(loaded):
        shown = _short_source(source, loaded)
        table.add_row(
            key,
            escape(_shown(key, value, loaded.settings)),
            escape(shown) if source == "default" else f"[green]{escape(shown)}[/]",
        )
    console = stdout_console()
    console.print(table)
    console.print(f"Log file: {escape(str(log_file_path()))}", soft_wrap=True)


# --------------------------------------------------------------------------- configure


@handle_errors
def configure(
    no_keyring: Annotated[
        bool,
        typer.Option(
            "--no-keyring", help="Keep the password in the config file, not the OS keyring."
        ),
    ] = False,
) -> None:
    """Set up your Slooh account and download folder (interactive).

    Asks for your username, password (hidden), download folder, batch size, threads and rate
    limit, with the current values as defaults; saves the config file (readable only by you) and
    the password in the OS keyring when there is one. Without a terminal, use the environment
    variables SLOOH_USERNAME / SLOOH_PASSWORD or edit the config file.

    Example: slooh configure
    """
    from ._configure import run_configure

    run_configure(no_keyring=no_keyring)
