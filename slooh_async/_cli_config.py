"""Commands about settings and the account: ``configure``, ``config show|path``, ``test``.

Module level stays light (typer only): ``slooh --help`` imports this file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._cli_common import (
    STATE,
    JsonOpt,
    handle_errors,
    load,
    print_json,
    setup_logging,
    stderr_console,
    stdout_console,
)

if TYPE_CHECKING:
    from .config import LoadedSettings, Settings

__all__ = ["LoginReport", "config_app", "configure", "run_login_check", "test"]

#: ``slooh test`` caps each request at this many seconds (a listing page can take ~17 s).
TEST_TIMEOUT = 60.0
NOT_SET = "(not set)"

config_app = typer.Typer(
    help="Show the effective configuration and where it lives.", no_args_is_help=True
)


def _json_mode(json_: bool) -> None:
    if json_:
        STATE.json_output = True
        setup_logging()


def config_file() -> Path:
    """The config file in use: ``--config``, ``$SLOOH_CONFIG`` or the user config folder."""
    from ._config_sources import default_config_path

    return STATE.config_path or default_config_path()


# --------------------------------------------------------------------------- config show / path


@config_app.command("show")
@handle_errors
def show(json_: JsonOpt = False) -> None:
    """Show every setting, its value and where it came from (the password is masked).

    Example: slooh config show
    """
    _json_mode(json_)
    loaded = load()
    if json_:
        print_json(settings_document(loaded))
        return
    _print_settings(loaded)


@config_app.command("path")
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
    from .config import SECTIONS

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
    from ._cli_configure import run_configure

    run_configure(no_keyring=no_keyring)


# --------------------------------------------------------------------------- test


@dataclass(frozen=True)
class LoginReport:
    """What ``slooh test`` found out (never a secret)."""

    ok: bool
    account: str | None
    tier: str | None
    picture_count: int | None
    first_picture: str | None
    latency_seconds: float | None
    base_url: str


def run_login_check(settings: Settings) -> LoginReport:
    """Log in, read the account and one picture; fail fast when the service is unreachable."""
    import anyio

    return anyio.run(_login_check, settings)


async def _login_check(settings: Settings) -> LoginReport:
    from ._ratelimit import RateLimiter
    from ._retry import RetryPolicy
    from .api import SloohClient

    quick = settings.model_copy(
        update={
            "download": settings.download.model_copy(
                update={"timeout": min(settings.download.timeout, TEST_TIMEOUT)}
            )
        }
    )
    retry = RetryPolicy(max_retries=1, base_delay=0.5, max_delay=1.0, max_retry_after=5.0)
    # the four calls go out at once; the per-minute window of rate_limit still holds
    limiter = RateLimiter(settings.download.rate_limit, burst=4)
    async with SloohClient.from_settings(quick, retry=retry, limiter=limiter) as client:
        login = await client.login()
        status = await client.get_user_gravity_status()
        latency = client.last_latency
        page = await client.get_pictures(1, 1)
    return LoginReport(
        ok=True,
        account=status.display_name or login.display_name or settings.slooh.username,
        tier=status.tier or login.plan_name or login.membership_type,
        picture_count=page.total_count if page.total_count is not None else len(page.pictures),
        first_picture=page.pictures[0].title.strip() if page.pictures else None,
        latency_seconds=round(latency, 3) if latency is not None else None,
        base_url=settings.slooh.base_url,
    )


@handle_errors
def test(json_: JsonOpt = False) -> None:
    """Check that slooh can log in and list your pictures.

    Exit codes: 0 ok, 2 no credentials or bad settings, 3 login refused, 4 service unreachable.

    Example: slooh test
    """
    from ._exceptions import SloohError

    _json_mode(json_)
    try:
        settings = load(require_login=True).settings
        report = run_login_check(settings)
    except SloohError as exc:
        if json_:
            print_json(_failure_document(exc))
        raise
    if json_:
        print_json(asdict(report))
    else:
        print_login_report(report)


def _failure_document(exc: Exception) -> dict[str, Any]:
    from ._redact import redact

    return {"ok": False, "error": redact(str(exc)), "exit_code": getattr(exc, "exit_code", 1)}


def print_login_report(report: LoginReport) -> None:
    """The small table of ``slooh test``."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="[green]Login OK[/]", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    latency = f"{report.latency_seconds:.3f} s" if report.latency_seconds is not None else "?"
    for label, value in (
        ("Account", report.account),
        ("Tier", report.tier),
        ("Pictures", report.picture_count),
        ("First picture", report.first_picture),
        ("API latency", latency),
        ("Service", report.base_url),
    ):
        table.add_row(label, escape(str(value)) if value is not None else NOT_SET)
    stdout_console().print(table)
