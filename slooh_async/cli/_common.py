"""What every command shares: global options, settings loading, consoles, errors to exit codes.

Kept free of heavy imports (httpx, pydantic...) so ``slooh --help`` answers at once.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar, overload

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
    #: ``--json-lines``: events on stdout, one a line, the summary last
    json_lines: bool = False
    #: the command's ``--json`` keys and what they hold when it fails before its document
    json_keys: dict[str, Any] = field(default_factory=dict)
    #: the command's one JSON document is out (a second is never printed)
    json_printed: bool = False

    def reset(self) -> None:
        """Back to the defaults, before a command's options are applied."""
        fresh = GlobalState()
        for item in fields(self):  # every field: none leaks into the next command
            setattr(self, item.name, getattr(fresh, item.name))

    @property
    def machine(self) -> bool:
        """stdout belongs to a program (``--json`` or ``--json-lines``)."""
        return self.json_output or self.json_lines


STATE = GlobalState()

# Options several commands share (Annotated types keep each command's signature short).
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
#: not ``file_okay=False``: a library path that is a file is checked once the settings are
#: loaded, whichever source gave it, so that ``--json`` reports it like any other error
DestOpt = Annotated[
    Path | None,
    typer.Option("--dest", "-d", metavar="DIR", help="Library folder (sets folders.base_path)."),
]


def human_duration(seconds: float) -> str:
    """``under a minute``, ``12 min``, ``1 h 25 min``: how long, as a person says it."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def local_time(moment: datetime | str | None) -> str:
    """A moment as local time to the second (``2026-02-10 06:26:46``); ``""`` for none."""
    if moment is None or moment == "":
        return ""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if when.tzinfo is not None:
        when = when.astimezone()  # the user's own zone
    return when.strftime("%Y-%m-%d %H:%M:%S")


FORCE_INTERACTIVE_ENV = "SLOOH_FORCE_INTERACTIVE"


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal: the one test for stdout (tables or plain lines) and
    stderr (a live display or plain lines). ``TTY_COMPATIBLE=1`` (or ``0``) says what it is,
    as it does for Rich; ``FORCE_COLOR`` asks for colours, not for a live display in a log."""
    forced = os.environ.get("TTY_COMPATIBLE", "")
    if forced in ("0", "1"):
        return forced == "1"
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no stream (pythonw), or a closed one
        return False


def is_interactive() -> bool:
    """Whether a question can be asked: stdin is a terminal, or ``$SLOOH_FORCE_INTERACTIVE``
    is set (tests, expect scripts)."""
    if os.environ.get(FORCE_INTERACTIVE_ENV, "").strip().lower() in ("1", "true", "yes"):
        return True
    try:
        return bool(sys.stdin.isatty())
    except (AttributeError, ValueError):
        return False


def plain_output() -> bool:
    """True when stdout is not a terminal (a pipe, a file): listings print plain lines, one
    item a line, whole paths, tab-separated fields."""
    return not is_terminal(sys.stdout)


def print_lines(rows: Iterable[Iterable[Any]]) -> None:
    """Plain rows on stdout, fields joined by tabs (tabs and newlines in a field become
    spaces, so one row stays one line)."""
    out = sys.stdout
    for row in rows:
        fields = ("" if value is None else str(value) for value in row)
        write_text(out, "\t".join(f.replace("\t", " ").replace("\n", " ") for f in fields) + "\n")
    out.flush()


def write_text(out: Any, text: str) -> None:
    """Write ``text``; a character the stream's encoding cannot hold (a Windows code page
    redirected to a file) becomes an escape instead of a traceback."""
    try:
        out.write(text)
    except UnicodeEncodeError:
        encoding = getattr(out, "encoding", None) or "utf-8"
        out.write(text.encode(encoding, "backslashreplace").decode(encoding))


def stderr_console() -> Console:
    """The console for progress, messages and errors (stdout stays clean for data). In a
    pipe or a log a message stays one line however long (Rich would wrap it at 80 columns)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=not is_terminal(sys.stderr))


def stdout_console() -> Console:
    """The console for tables and results (one line a message in a pipe, as on stderr)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=not is_terminal(sys.stdout))


def fail(message: str, code: int) -> NoReturn:
    """One red line on stderr and the exit code; a traceback only with ``--debug``.

    With ``--json`` the command's document says it too (``error``, ``exit_code``), unless
    the command printed its document already.
    """
    from rich.markup import escape

    from .._redact import redact

    if STATE.machine and not STATE.json_printed:
        print_json({"error": redact(message)}, exit_code=code)
    stderr_console().print(f"[bold red]error:[/] {escape(redact(message))}", soft_wrap=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """A yellow warning line on stderr (not shown with --quiet or --json)."""
    if not STATE.quiet and not STATE.json_output:
        from rich.markup import escape

        stderr_console().print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True)


JsonKeys = Mapping[str, Any] | Iterable[str]


@overload
def handle_errors(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def handle_errors(
    *, json_keys: JsonKeys | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def handle_errors(
    func: Callable[P, R] | None = None, /, *, json_keys: JsonKeys | None = None
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Turn the SloohError tree into exit codes; Ctrl-C into 130; a closed stdout into a
    quiet end.

    The command's ``--json``/``--json-lines``/``--quiet`` options are read here, before
    anything can fail, and logging is set up by them and the global options (the one
    place it is), so that a failure is reported the way the user asked: with
    ``--json``, one document with the command's ``json_keys`` (null unless given a value),
    ``error`` and ``exit_code``, whatever went wrong and wherever.
    """

    def decorate(command: Callable[P, R]) -> Callable[P, R]:
        keys = _json_template(json_keys)

        @functools.wraps(command)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            STATE.json_output = STATE.json_output or bool(kwargs.get("json_"))
            STATE.json_lines = STATE.json_lines or bool(kwargs.get("json_lines"))
            STATE.quiet = STATE.quiet or bool(kwargs.get("quiet"))
            STATE.json_keys, STATE.json_printed = keys, False
            setup_logging()  # once, now that the command's own output options are known
            try:
                result = _guarded(command, *args, **kwargs)
            except typer.Exit as exc:
                _json_fallback(exc.exit_code)
                raise
            _json_fallback(0)
            return result

        return wrapper

    return decorate if func is None else decorate(func)


def _json_template(keys: JsonKeys | None) -> dict[str, Any]:
    if keys is None:
        return {}
    if isinstance(keys, Mapping):
        return dict(keys)
    return dict.fromkeys(keys)


def _json_fallback(code: int) -> None:
    """The one JSON document, if the command ended without printing it."""
    if STATE.machine and not STATE.json_printed:
        print_json({}, exit_code=code)


def _guarded(command: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    from .._exceptions import ConfigError, SloohError

    try:
        return command(*args, **kwargs)
    except typer.Exit:
        raise
    except BrokenPipeError:
        _stdout_closed()
    except ConfigError as exc:
        if STATE.debug:
            raise
        from rich.markup import escape

        from .._redact import redact

        if STATE.machine and not STATE.json_printed:  # every problem, not only the last
            print_json({"error": redact(str(exc))}, exit_code=exc.exit_code)
        for problem in exc.problems[:-1]:
            stderr_console().print(f"[bold red]error:[/] {escape(problem)}", soft_wrap=True)
        fail(exc.problems[-1] if exc.problems else str(exc), exc.exit_code)
    except SloohError as exc:
        if STATE.debug:
            raise
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        if STATE.machine and not STATE.json_printed:
            print_json({"error": "interrupted"}, exit_code=130)
        stderr_console().print("[yellow]interrupted[/]")
        raise typer.Exit(130) from None
    except OSError as exc:
        if STATE.debug:
            raise
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        fail(f"cannot use{where}: {exc.strerror or exc}", 5)


def _stdout_closed() -> NoReturn:
    """The reader of stdout went away (``slooh export | head -1``): nothing more can be said,
    and nothing went wrong. stdout is pointed at the null device so that the final flush
    does not fail again; the command ends with 0."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # no real descriptor (tests): nothing to do
        pass
    STATE.json_printed = True  # there is nobody to print it to
    raise typer.Exit(0)


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

    if config_path is None and STATE.config_path is not None:
        _check_config_exists(STATE.config_path)
    loaded = load_settings(
        config_path or STATE.config_path, overrides=overrides, options=STATE.options
    )
    for message in loaded.warnings:
        warn(message)
    _check_library(loaded.settings.folders.base_path, loaded.source_of("folders.base_path"))
    if require_login and not (loaded.settings.slooh.username and loaded.settings.slooh.password):
        from .._exceptions import ConfigError

        raise ConfigError(
            "no Slooh credentials: run `slooh configure`, or set SLOOH_USERNAME and "
            f"SLOOH_PASSWORD, or add slooh.username/slooh.password to {loaded.config_path}"
        )
    return loaded


def _check_config_exists(path: Path) -> None:
    """``--config`` names the file to use: one that is not there is a typo, not a default."""
    if not path.exists():
        from .._exceptions import ConfigError

        raise ConfigError(
            f"config file {path} (--config) does not exist: check the path, or create it "
            f"with `slooh --config {path} configure`"
        )


def _check_library(base: Path, source: str) -> None:
    """A library path that is a file is a configuration error (exit 2), wherever it came
    from (``--dest``, ``SLOOH_BASE_PATH``, the config file)."""
    if base.exists() and not base.is_dir():
        from .._exceptions import ConfigError

        raise ConfigError(
            f"the library folder {base} is a file, not a folder (folders.base_path, from {source})"
        )


def print_json(data: Mapping[str, Any], *, exit_code: int = 0) -> None:
    """The command's one JSON document on stdout, with every key of the command (a key the
    command could not fill is null), ``error`` (null when none) and ``exit_code``.

    With ``--json-lines`` it is the last line, ``{"event": "summary", ...}``. Printed once:
    a second call does nothing.
    """
    if STATE.json_printed:
        return
    STATE.json_printed = True
    document = {**STATE.json_keys, **data}
    document.setdefault("error", None)
    document["exit_code"] = exit_code
    if STATE.json_lines:
        line = json.dumps({"event": "summary", **document}, default=str, ensure_ascii=False)
        write_text(sys.stdout, line + "\n")
    else:
        text = json.dumps(document, indent=2, default=str, ensure_ascii=False)
        write_text(sys.stdout, text + "\n")
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
