"""The ``slooh`` command: a Typer app whose commands are sync and call ``anyio.run``.

Exit codes: 0 ok, 1 some files failed, 2 usage or configuration error, 3 authentication
failed, 4 service unreachable or kept failing, 5 local disk error, 6 not in your account
(an unknown mission, a telescope filter matching none), 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

import typer

from .._version import __version__
from . import _config, _gallery, _library, _login, _sync
from ._common import STATE
from ._options import (
    ConfigOpt,
    DebugOpt,
    SettingsOpt,
    VerboseOpt,
    apply_global_options,
    with_global_options,
)
from ._terminal import flush_output, setup_streams

__all__ = ["app", "main"]

EXIT_CODES = """Exit codes:

\b
  0    done
  1    some files failed (they are recorded: slooh retry fetches them)
  2    usage or configuration error, or another slooh is using the library
  3    the service refused the login
  4    the service cannot be reached or kept failing
  5    the local disk refused: full, read-only, permission denied
  6    not in your account: an unknown mission, a telescope matching none
  130  interrupted (Ctrl-C, SIGTERM)

\b
Global options work before or after the command: slooh stats --debug.
Shell completion: slooh --install-completion (bash, zsh, fish, PowerShell)."""

app = typer.Typer(
    name="slooh",
    help="Download every image you took on the Slooh telescopes, organized, verified, in sync.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: Rich help costs ~0.2 s of imports per call
    context_settings={"help_option_names": ["-h", "--help"]},
    # --install-completion / --show-completion: typer imports its completion code with the
    # app anyway, so the options cost nothing measurable on `slooh --help`
    add_completion=True,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"slooh-async {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
    option: SettingsOpt = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Global options go before or after the command: ``slooh --config my.json download``."""
    STATE.reset()  # one process may run several commands (tests, embedding)
    apply_global_options(config, verbose, debug, option)


def _summary(command: Callable[..., Any]) -> str:
    """The first paragraph of the command's docstring: the command list shows it whole
    (click would cut it to fit one line)."""
    text = (command.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(text.split())


def _add(name: str, command: Callable[..., Any], *, short_option: bool = True) -> None:
    app.command(name, short_help=_summary(command))(
        with_global_options(command, short_option=short_option)
    )


_add("download", _sync.download)
_add("mission", _sync.mission)
_add("retry", _sync.retry)
_add("test", _login.test)
_add("configure", _config.configure)
app.add_typer(_config.config_app, name="config", short_help=_config.config_app.info.help)
_add("stats", _library.stats)
_add("verify", _library.verify)
_add("import-tracker", _library.import_tracker)
_add("export", _library.export, short_option=False)
_add("reorganize", _library.reorganize)
_add("gallery", _gallery.gallery)
_add("demo", _sync.demo)


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
