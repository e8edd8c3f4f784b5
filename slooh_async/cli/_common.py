"""What every command shares: global options, settings loading, consoles, errors to exit codes.

Kept free of heavy imports (httpx, pydantic...) so ``slooh --help`` answers at once.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from ..config import LoadedSettings

P = ParamSpec("P")
R = TypeVar("R")

log = logging.getLogger("slooh_async.cli")


@dataclass
class GlobalState:
    """Global options (``slooh --config X --debug download``, or after the command) and the
    output modes the command chose."""

    config_path: Path | None = None
    verbose: bool = False
    debug: bool = False
    quiet: bool = False
    json_output: bool = False
    #: ``-o SECTION.KEY=VALUE``: dotted key -> value (``None`` is null)
    options: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        """Back to the defaults, before a command's options are applied."""
        fresh = GlobalState()
        for name in ("config_path", "verbose", "debug", "quiet", "json_output", "options"):
            setattr(self, name, getattr(fresh, name))


STATE = GlobalState()

# Options several commands share (Annotated types keep each command's signature short).
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
DestOpt = Annotated[
    Path | None,
    typer.Option(
        "--dest",
        "-d",
        metavar="DIR",
        help="Library folder (sets folders.base_path).",
        file_okay=False,
    ),
]


def human_bytes(size: float) -> str:
    """``1.5 MB`` style sizes (decimal units, like file managers)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"  # pragma: no cover


def stderr_console() -> Console:
    """The console for progress, messages and errors (stdout stays clean for data)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def stdout_console() -> Console:
    """The console for tables and results."""
    from rich.console import Console

    return Console(highlight=False)


def fail(message: str, code: int) -> NoReturn:
    """One red line on stderr and the exit code; a traceback only with ``--debug``."""
    from rich.markup import escape

    from .._redact import redact

    stderr_console().print(f"[bold red]error:[/] {escape(redact(message))}", soft_wrap=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """A yellow warning line on stderr (not shown with --quiet or --json)."""
    if not STATE.quiet and not STATE.json_output:
        from rich.markup import escape

        stderr_console().print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the SloohError tree into exit codes; Ctrl-C into 130."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from .._exceptions import ConfigError, SloohError

        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except ConfigError as exc:
            if STATE.debug:
                raise
            from rich.markup import escape

            for problem in exc.problems[:-1]:
                stderr_console().print(f"[bold red]error:[/] {escape(problem)}", soft_wrap=True)
            fail(exc.problems[-1] if exc.problems else str(exc), exc.exit_code)
        except SloohError as exc:
            if STATE.debug:
                raise
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            stderr_console().print("[yellow]interrupted[/]")
            raise typer.Exit(130) from None
        except OSError as exc:
            if STATE.debug:
                raise
            where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            fail(f"cannot use{where}: {exc.strerror or exc}", 5)

    return wrapper


def config_file() -> Path:
    """The config file in use: ``--config``, ``$SLOOH_CONFIG`` or the user config folder."""
    from ..config import default_config_path

    return STATE.config_path or default_config_path()


def load(
    overrides: Mapping[str, Any] | None = None,
    *,
    require_login: bool = False,
    config_path: Path | None = None,
) -> LoadedSettings:
    """Settings from every source; warnings for unknown keys go to stderr.

    ``overrides`` are the command's own options (``--threads``: ``None`` when not given);
    they beat ``-o`` settings. ``config_path`` replaces the ``--config`` file (``slooh demo``
    brings its own).
    """
    from ..config import load_settings

    loaded = load_settings(
        config_path or STATE.config_path, overrides=overrides, options=STATE.options
    )
    for message in loaded.warnings:
        warn(message)
    if require_login and not (loaded.settings.slooh.username and loaded.settings.slooh.password):
        from .._exceptions import ConfigError

        raise ConfigError(
            "no Slooh credentials: run `slooh configure`, or set SLOOH_USERNAME and "
            f"SLOOH_PASSWORD, or add slooh.username/slooh.password to {loaded.config_path}"
        )
    return loaded


def json_mode(json_: bool) -> None:
    """``--json``: stdout carries one JSON document; logging keeps to errors."""
    if json_:
        STATE.json_output = True
        setup_logging()


def print_json(data: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def setup_logging() -> None:
    """Console logging by verbosity, a rotating log file, secrets redacted everywhere."""
    from ._logging import configure_logging

    if STATE.debug:
        level = logging.DEBUG
    elif STATE.verbose:
        level = logging.INFO
    elif STATE.quiet or STATE.json_output:
        level = logging.ERROR
    else:
        level = logging.WARNING
    configure_logging(level)
