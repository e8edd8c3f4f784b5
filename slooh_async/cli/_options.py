"""Options as people expect them: global options before or after the command, placeholders
that read as words (``DATE``, ``N``, ``DIR``), and validation messages in plain words.

The parsers raise ``typer.BadParameter`` with the same words as the config file's messages
("0 is below the minimum 1"); click prefixes the option's name. Module level stays light
(typer only): ``slooh --help`` imports this file.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NamedTuple, TypeVar

import typer

from ._common import STATE

__all__ = [
    "DATE_HELP",
    "ConfigOpt",
    "DebugOpt",
    "Setting",
    "SettingsOpt",
    "VerboseOpt",
    "apply_global_options",
    "one_of",
    "parse_date",
    "parse_setting",
    "whole",
    "with_global_options",
]

E = TypeVar("E", bound=StrEnum)

DATE_HELP = "YYYY-MM-DD, today, yesterday, or days/weeks ago: 7d, 2w"
_RELATIVE = re.compile(r"(\d{1,5})\s*([dw])", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Setting(NamedTuple):
    """One ``-o SECTION.KEY=VALUE``: the dotted key and the value as the config reads it."""

    key: str
    value: Any


def parse_date(text: str, *, today: date | None = None) -> date:
    """``2026-01-31``, ``today``, ``yesterday``, ``7d`` (days ago), ``2w`` (weeks ago).

    Relative dates count from today on this computer's calendar.
    """
    word = text.strip().lower()
    today = today or date.today()
    if word in ("today", "yesterday"):
        return today - timedelta(days=word == "yesterday")
    relative = _RELATIVE.fullmatch(word)
    if relative:
        count, unit = int(relative.group(1)), relative.group(2)
        return today - timedelta(days=count * (7 if unit == "w" else 1))
    if _ISO_DATE.fullmatch(word):
        try:
            return date.fromisoformat(word)
        except ValueError:
            raise typer.BadParameter(f"{text} is not a date (YYYY-MM-DD)") from None
    raise typer.BadParameter(f"{text} is not a date ({DATE_HELP})")


def whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """A parser of whole numbers from ``low`` to ``high``, in the config file's words."""

    def parse(text: str) -> int:
        try:
            number = int(str(text).strip())
        except ValueError:
            raise typer.BadParameter(f"{text} is not a whole number") from None
        if number < low:
            raise typer.BadParameter(f"{number} is below the minimum {low}")
        if high is not None and number > high:
            raise typer.BadParameter(f"{number} is above the maximum {high}")
        return number

    return parse


def one_of(choices: type[E]) -> Callable[[str], E]:
    """A parser of an enum's values (any case), in plain words when the value is not one."""

    def parse(text: str) -> E:
        try:
            return choices(str(text).strip().lower())
        except ValueError:
            allowed = ", ".join(str(choice.value) for choice in choices)
            raise typer.BadParameter(f"{text} is not one of: {allowed}") from None

    return parse


def parse_setting(text: str) -> Setting:
    """``download.threads=8`` -> ``Setting("download.threads", "8")``; the key is checked
    against the settings when they are loaded (with a did-you-mean)."""
    from ..config import option_value

    key, sep, value = text.partition("=")
    key = key.strip().lower()
    if not sep or "." not in key or not all(key.split(".")):
        raise typer.BadParameter(
            f"{text} is not SECTION.KEY=VALUE (for example download.threads=8)"
        )
    return Setting(key, option_value(value))


# --------------------------------------------------------------------------- global options

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        metavar="FILE",
        help="Config file (default: $SLOOH_CONFIG or the user config folder).",
        dir_okay=False,
    ),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Say more.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Everything, tracebacks included.")]
SettingsOpt = Annotated[
    list[Setting] | None,
    typer.Option(
        "--option",
        "-o",
        metavar="SECTION.KEY=VALUE",
        parser=parse_setting,
        help="Set any setting for this run (repeatable): -o download.threads=8.",
    ),
]
#: ``export`` has its own ``-o`` (the output file): there ``--option`` is spelled out
_LongSettingsOpt = Annotated[
    list[Setting] | None,
    typer.Option(
        "--option",
        metavar="SECTION.KEY=VALUE",
        parser=parse_setting,
        help="Set any setting for this run (repeatable).",
    ),
]


def apply_global_options(
    config: Path | None, verbose: bool, debug: bool, settings: list[Setting] | None
) -> None:
    """Record the global options given (before the command, then after it: later wins)."""
    if config is not None:
        STATE.config_path = config
    STATE.verbose = STATE.verbose or verbose
    STATE.debug = STATE.debug or debug
    for setting in settings or ():
        STATE.options[setting.key] = setting.value


_GLOBAL_NAMES = ("global_config", "global_verbose", "global_debug", "global_option")


def with_global_options(
    command: Callable[..., Any], *, short_option: bool = True
) -> Callable[..., Any]:
    """The command, also taking the global options after its name (``slooh stats --debug``).

    Typer reads a command's options from its signature: the returned function's signature is
    the command's plus the global options, which are applied before the command runs.
    ``short_option=False`` leaves ``-o`` to a command that has its own (``export -o FILE``).
    """
    signature = inspect.signature(command, eval_str=True)
    kinds = (ConfigOpt, VerboseOpt, DebugOpt, SettingsOpt if short_option else _LongSettingsOpt)
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, kind, default in zip(
            _GLOBAL_NAMES, kinds, (None, False, False, None), strict=True
        )
    ]

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        apply_global_options(*(kwargs.pop(name) for name in _GLOBAL_NAMES))
        return command(*args, **kwargs)

    parameters = [*signature.parameters.values(), *extra]
    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run
