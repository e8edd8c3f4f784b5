"""When what a command names is not in the account: ``slooh mission`` of an unknown id, a
``--telescope`` that matches none of the telescopes listed (exit 6, :class:`NotFoundError`).

The engine's summary says what the listing showed, filters aside (``listed``,
``telescopes``); what it did not show is not in the account when the listing ran to its end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import warn

if TYPE_CHECKING:
    from ..engine import RunSummary

__all__ = ["check_telescope", "require_mission"]


def _listed_everything(summary: RunSummary) -> bool:
    """The listing ran to its end: what it did not show is not in the account."""
    return summary.complete_scan and not summary.interrupted and summary.fatal is None


def require_mission(summary: RunSummary, mission_id: int) -> None:
    """An unknown mission id lists nothing at all: say so, not an all-zero summary (exit 6)."""
    from .._exceptions import NotFoundError

    if summary.listed == 0 and _listed_everything(summary):
        raise NotFoundError(f"no mission {mission_id} in your account")


def check_telescope(summary: RunSummary, telescope: str | None) -> None:
    """A ``--telescope`` that matched nothing names the telescopes the listing showed: an
    error (exit 6) when the whole roll was listed, else a warning (``--since`` stops early)."""
    from .._exceptions import NotFoundError

    if not telescope or summary.interrupted or summary.fatal is not None:
        return
    wanted = telescope.casefold()
    if any(wanted in name.casefold() for name in summary.telescopes):
        return
    known = ", ".join(summary.telescopes) or "none (nothing was listed)"
    if _listed_everything(summary):
        raise NotFoundError(
            f"no telescope matches {telescope!r}; your pictures were taken with: {known}"
        )
    warn(f"no picture listed was taken with a telescope matching {telescope!r} (listed: {known})")
