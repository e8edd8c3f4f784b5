"""``slooh configure``: ask for the account and the main settings, save them safely.

Current values (config file, keyring, defaults) are the prompts' defaults, valid ones only;
every answer is validated with the same rules and messages as the config file, and the
download folder must be a folder slooh can write in (created when asked to). Problems in the
file are reported before the first question; keys configure does not ask about can be reset
to their defaults then. The file keeps every other key it had, is written atomically with
mode 0600, and holds the password only when no OS keyring can (or ``--no-keyring``). A login
test that the service refuses offers to type the username and password again.
``SLOOH_FORCE_INTERACTIVE=1`` lets tests drive the prompts through a pipe.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from ._common import STATE, config_file, fail, is_interactive, stderr_console, warn

if TYPE_CHECKING:
    from rich.console import Console

    from ..config import LoadedSettings

__all__ = ["run_configure"]

#: (section, key, question) in the order asked; the password comes right after the username
_NUMBERS = (
    ("download", "batch_size", "Pictures per API page (batch size)"),
    ("download", "threads", "Parallel downloads (threads)"),
    ("download", "rate_limit", "Requests per minute to Slooh, downloads included (0 = no limit)"),
)


_ASKED = (
    "slooh.username",
    "slooh.password",
    "folders.base_path",
    *(f"{section}.{key}" for section, key, _ in _NUMBERS),
)


@dataclass
class _Answers:
    """What the user said, as it will be written to the file."""

    username: str = ""
    password: str | None = None
    base_path: str = ""
    numbers: dict[tuple[str, str], int] = field(default_factory=dict)


def run_configure(*, no_keyring: bool) -> None:
    """The whole ``slooh configure`` dialogue."""
    from ..config import read_config_file

    path = config_file()
    if not is_interactive():
        fail(
            "slooh configure asks questions and needs a terminal. Without one, set "
            "SLOOH_USERNAME and SLOOH_PASSWORD (and SLOOH_BASE_PATH for the download folder) "
            f"in the environment, or write the config file {path} by hand "
            "(see docs/configuration.md)",
            2,
        )
    raw = read_config_file(path)
    console = stderr_console()
    console.print(
        f"Configuring slooh-async in [bold]{escape(str(path))}[/]. "
        "Press Enter to keep the value in brackets."
    )
    try:
        invalid = _report_problems(console, raw, path)
        answers = _ask_all(console, raw, invalid, use_keyring=not no_keyring)
    except EOFError:
        fail("input ended before every question was answered; nothing was saved", 2)
    _save(path, raw, answers, no_keyring=no_keyring)
    _offer_login_test(console, path, raw, answers, no_keyring=no_keyring)


def _file_problems(raw: dict[str, Any], path: Path) -> dict[str, str]:
    """``"section.key"`` -> the config-file message, for every invalid value in the file."""
    from ..config import SECTIONS

    problems: dict[str, str] = {}
    for section, values in raw.items():
        if section not in SECTIONS or not isinstance(values, dict):
            continue
        for key, value in values.items():
            if key in SECTIONS[section].model_fields:
                problem = _problem(section, key, value)
                if problem is not None:
                    problems[f"{section}.{key}"] = f"{problem} (in {path})"
    return problems


def _report_problems(console: Console, raw: dict[str, Any], path: Path) -> set[str]:
    """Say what is wrong in the file before asking anything; offer to reset the keys no
    question will fix. Returns every invalid key (their values are not offered as defaults)."""
    from rich.prompt import Confirm

    from ..config import schema, unknown_key_warnings

    for message in unknown_key_warnings(schema(), raw, str(path)):  # typos: said up front
        warn(message)
    problems = _file_problems(raw, path)
    if not problems:
        return set()
    console.print("[yellow]The config file has problems:[/]")
    for key, message in problems.items():
        asked = " (asked below)" if key in _ASKED else ""
        console.print(f"  [red]{escape(message)}[/]{escape(asked)}", soft_wrap=True)
    others = [key for key in problems if key not in _ASKED]
    if not others:
        return set(problems)
    question = f"Reset {', '.join(others)} to the default (remove from the file)?"
    if Confirm.ask(question, console=console, default=True):
        for key in others:
            section, _, name = key.partition(".")
            raw[section].pop(name, None)
    return set(problems)


def _ask_all(
    console: Console, raw: dict[str, Any], invalid: set[str], *, use_keyring: bool
) -> _Answers:
    from ..config import SECTIONS

    def current(section: str, key: str) -> Any:
        values = raw.get(section)
        valid = f"{section}.{key}" not in invalid
        if valid and isinstance(values, dict) and values.get(key) not in (None, ""):
            return values[key]
        return SECTIONS[section].model_fields[key].default

    answers = _Answers()
    answers.username = _ask_text(
        console, "Slooh username", current("slooh", "username"), "slooh", "username", required=True
    )
    answers.password = _ask_password(
        console, answers.username, current("slooh", "password"), use_keyring=use_keyring
    )
    answers.base_path = _ask_folder(console, _folder(current("folders", "base_path")))
    for section, key, question in _NUMBERS:
        answers.numbers[(section, key)] = _ask_number(
            console, question, current(section, key), section, key
        )
    return answers


def _folder(value: Any) -> str:
    """The folder as shown and saved: ``~`` kept, anything relative made absolute."""
    text = str(value).strip()
    if text.startswith("~") or os.path.isabs(text):
        return text
    return os.path.abspath(text)


def _problem(section: str, key: str, value: Any) -> str | None:
    """The config-file message for this value, or ``None`` when it is valid."""
    from .._exceptions import ConfigError
    from ..config import validate_settings

    try:
        validate_settings({section: {key: value}})
    except ConfigError as exc:
        return exc.problems[0]
    return None


def _ask_text(
    console: Console, question: str, default: Any, section: str, key: str, *, required: bool
) -> str:
    from rich.prompt import Prompt

    while True:
        answer = Prompt.ask(question, console=console, default=default if default else ...)
        text = str(answer or "").strip()
        if key == "base_path" and text:
            text = _folder(text)
        problem = "a value is required" if required and not text else _problem(section, key, text)
        if problem is None:
            return text
        console.print(f"[red]{escape(problem)}[/]")


def _ask_folder(console: Console, default: str) -> str:
    """The download folder: a folder (created when missing and wanted) slooh can write in."""
    while True:
        folder = _ask_text(
            console, "Download folder", default, "folders", "base_path", required=True
        )
        problem = _folder_problem(console, folder)
        if problem is None:
            return folder
        if problem:
            console.print(f"[red]{escape(problem)}[/]")


def _folder_problem(console: Console, text: str) -> str | None:
    """Why ``text`` cannot be the library folder; ``""`` when the user declined to create it."""
    import tempfile

    from rich.prompt import Confirm

    folder = Path(os.path.expanduser(text))
    if folder.exists() and not folder.is_dir():
        return f"{text} is a file, not a folder"
    if not folder.exists():
        if not Confirm.ask(f"{text} does not exist. Create it?", console=console, default=True):
            return ""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"cannot create {text}: {exc.strerror or exc}"
    try:  # trying is the only check that holds on every system (ACLs, read-only mounts)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"cannot write in {text}: {exc.strerror or exc}"
    return None


def _ask_number(console: Console, question: str, default: Any, section: str, key: str) -> int:
    from rich.prompt import IntPrompt

    while True:
        answer = IntPrompt.ask(question, console=console, default=default)
        problem = _problem(section, key, answer)
        if problem is None:
            return int(answer)
        console.print(f"[red]{escape(problem)}[/]")


def _ask_password(
    console: Console, username: str, in_file: Any, *, use_keyring: bool
) -> str | None:
    """A new password, the current one (Enter), or ``None`` when there is none at all."""
    from rich.prompt import Prompt

    from ..config import keyring_password

    current = in_file if isinstance(in_file, str) and in_file else None
    if current is None and use_keyring:
        current = keyring_password(username)
    hidden = sys.stdin.isatty()  # getpass needs a terminal; a forced pipe reads plain lines
    hint = "Enter keeps the current one" if current else "Enter for none"
    answer = Prompt.ask(
        f"Slooh password ({hint})", console=console, password=hidden, default="", show_default=False
    )
    return str(answer) if answer else current


def _save(path: Path, raw: dict[str, Any], answers: _Answers, *, no_keyring: bool) -> None:
    from ..config import write_config_file

    slooh = _section(raw, "slooh")
    slooh["username"] = answers.username
    _section(raw, "folders")["base_path"] = answers.base_path
    for (section, key), value in answers.numbers.items():
        _section(raw, section)[key] = value
    note = _place_password(slooh, answers, path, no_keyring=no_keyring)
    write_config_file(path, raw)
    console = stderr_console()
    console.print(f"[green]Saved[/] {escape(str(path))} (readable only by you).")
    console.print(escape(note))


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    values = raw.get(name)
    if not isinstance(values, dict):
        if values is not None:
            warn(f"the {name!r} section of the config file was not an object; it is replaced")
        values = raw[name] = {}
    return values


def _place_password(
    slooh: dict[str, Any], answers: _Answers, path: Path, *, no_keyring: bool
) -> str:
    """Put the password in the keyring or the file section; say where it went."""
    from ..config import store_keyring_password

    password = answers.password
    if not password:
        slooh.pop("password", None)
        warn("no password saved: set SLOOH_PASSWORD or run slooh configure again")
        return "Password: not saved."
    if no_keyring:
        slooh["password"] = password
        return f"Password: saved in {path} (--no-keyring)."
    reason = store_keyring_password(answers.username, password)
    if reason is None:
        slooh.pop("password", None)
        return "Password: saved in the OS keyring."
    slooh["password"] = password
    warn(f"{reason}; the password is saved in the config file {path} instead")
    return f"Password: saved in {path}."


def _offer_login_test(
    console: Console, path: Path, raw: dict[str, Any], answers: _Answers, *, no_keyring: bool
) -> None:
    """Validate what is now in force, say what the environment overrides, offer a login test;
    a refused login offers to type the username and password again (and saves them)."""
    from .._exceptions import AuthenticationError
    from ._login import print_login_report, run_login_check

    loaded = _loaded()
    slooh = loaded.settings.slooh
    if not (slooh.username and slooh.password) or not _yes(console, "Test the login now?"):
        return
    while True:
        try:
            report = run_login_check(loaded.settings)
        except AuthenticationError as exc:
            console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            again = "Type the username and password again?"
            if not _yes(console, again, then=lambda: _ask_account(console, answers)):
                raise typer.Exit(exc.exit_code) from None
            _save(path, raw, answers, no_keyring=no_keyring)
            loaded = _loaded()
            continue
        print_login_report(report)
        return


def _yes(console: Console, question: str, then: Callable[[], None] | None = None) -> bool:
    """A yes (Enter) / no question; ended input counts as no. ``then`` runs on yes (its own
    questions too end on no when the input ends)."""
    from rich.prompt import Confirm

    try:
        if not Confirm.ask(question, console=console, default=True):
            return False
        if then is not None:
            then()
    except EOFError:
        return False
    return True


def _ask_account(console: Console, answers: _Answers) -> None:
    """The username (Enter keeps it) and a new password, after a refused login."""
    answers.username = _ask_text(
        console, "Slooh username", answers.username, "slooh", "username", required=True
    )
    answers.password = _ask_password(console, answers.username, None, use_keyring=False)


def _loaded() -> LoadedSettings:
    """The settings now in force; a saved value the environment overrides is pointed out.
    (The file's own warnings were said before the questions: not again.)"""
    from ..config import load_settings

    loaded = load_settings(STATE.config_path, options=STATE.options)
    for key in _ASKED:
        source = loaded.source_of(key)
        if source.startswith(("environment", "command line")):
            warn(f"{key} comes from the {source}, which overrides the value just saved")
    return loaded
