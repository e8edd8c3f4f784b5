"""``slooh test``: can we log in and list your pictures? (Also offered by ``slooh configure``.)"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ._common import (
    JsonOpt,
    handle_errors,
    load,
    print_json,
    stdout_console,
)

if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["LoginReport", "print_login_report", "run_login_check", "test"]

#: ``slooh test`` caps each request at this many seconds (a listing page can take ~17 s).
TEST_TIMEOUT = 60.0
NOT_SET = "(not set)"


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
    from ..api import RateLimiter, RetryPolicy
    from ..engine import client_from_settings

    quick = settings.model_copy(
        update={
            "download": settings.download.model_copy(
                update={"timeout": min(settings.download.timeout, TEST_TIMEOUT)}
            )
        }
    )
    retry = RetryPolicy(max_retries=1, base_delay=0.5, max_delay=1.0, max_retry_after=5.0)
    # the four calls go out at once: a burst within the per-minute budget
    limiter = RateLimiter(settings.download.rate_limit)
    async with client_from_settings(quick, retry=retry, limiter=limiter) as client:
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


#: ``slooh test --json``: the report's keys; ``ok`` is false when the check failed
TEST_KEYS: dict[str, Any] = {
    "ok": False,
    "account": None,
    "tier": None,
    "picture_count": None,
    "first_picture": None,
    "latency_seconds": None,
    "base_url": None,
}


@handle_errors(json_keys=TEST_KEYS)
def test(json_: JsonOpt = False) -> None:
    """Check that slooh can log in and list your pictures.

    Exit codes: 0 ok, 2 no credentials or bad settings, 3 login refused, 4 service unreachable.

    Example: slooh test
    """
    settings = load(require_login=True).settings
    report = run_login_check(settings)
    if json_:
        print_json(asdict(report))
    else:
        print_login_report(report)


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
