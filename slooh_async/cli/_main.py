"""The ``slooh`` command: a Typer app whose commands are sync and call ``anyio.run``.

Exit codes: 0 ok, 1 some files failed, 2 usage or configuration error, 3 authentication
failed, 4 service unreachable or kept failing, 5 local disk error, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from .._version import __version__
from . import _config, _library, _login, _sync
from ._common import STATE, setup_logging
from ._terminal import flush_output, setup_streams

__all__ = ["app", "main"]

app = typer.Typer(
    name="slooh",
    help="Download every image you took on the Slooh telescopes, organized, verified, in sync.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: Rich help costs ~0.2 s of imports per call
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"slooh-async {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file (default: $SLOOH_CONFIG or the user config folder).",
            dir_okay=False,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Say more.")] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Everything, tracebacks included.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Global options go before the command: ``slooh --config my.json download``."""
    STATE.reset()  # one process may run several commands (tests, embedding)
    STATE.config_path = config
    STATE.verbose = verbose
    STATE.debug = debug
    setup_logging()


app.command("download")(_sync.download)
app.command("mission")(_sync.mission)
app.command("retry")(_sync.retry)
app.command("test")(_login.test)
app.command("configure")(_config.configure)
app.add_typer(_config.config_app, name="config")
app.command("stats")(_library.stats)
app.command("verify")(_library.verify)
app.command("import-tracker")(_library.import_tracker)
app.command("export")(_library.export)
app.command("reorganize")(_library.reorganize)
app.command("demo")(_sync.demo)


def main() -> None:
    """Console entry point: run the command, then end the process at once (``os._exit``).

    Everything is flushed and closed before the process ends (the commands close their
    tracker, client and display themselves; the log handlers and standard streams here), so
    tearing the interpreter down object by object would only cost time: 0.1-0.2 s a run.
    ``atexit`` handlers do not run. To run a command inside another Python program, call
    ``app`` (a Typer app; ``typer.testing.CliRunner`` for tests), not ``main``.

    The standard streams are set up first: text they cannot encode is escaped, not an error.
    """
    setup_streams()
    # httpx imports its own command line (click, Rich, Pygments: ~70 ms) when they are
    # installed; this process never runs it. Rich still loads when the live display is drawn.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    _leave(code)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    if sys.stderr is not None:  # what the interpreter does with SystemExit("message")
        sys.stderr.write(f"{code}\n")
    return 1


def _leave(code: int) -> NoReturn:
    flush_output()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
