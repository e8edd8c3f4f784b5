"""Words the displays share: the rate budget's estimate, counts, time left, errors.

Kept apart from the displays themselves so that each display module imports it, and none
imports another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine import Forecast, Waiting
from ._common import human_duration

if TYPE_CHECKING:
    from ..engine import Estimate

__all__ = [
    "Budget",
    "budget_text",
    "count_text",
    "left_text",
    "short_error",
    "wait_text",
]

#: a URL's query (``?rand=...``) and fragment: noise on screen, whatever the service adds
_QUERY = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s?#]+)([?#][^\s'\")]*)", re.IGNORECASE)


@dataclass(frozen=True)
class Budget:
    """The rate budget of a run, for the estimates a display shows."""

    per_minute: int
    download_per_minute: int | None = None

    def whole(self, forecast: Forecast) -> Estimate:
        """The whole run's files and least time under this budget."""
        return forecast.whole(self.per_minute, self.download_per_minute)

    def rest(self, forecast: Forecast) -> Estimate:
        """What is left of the run under this budget."""
        return forecast.rest(self.per_minute, self.download_per_minute)


def short_error(text: str) -> str:
    """An error as the screen shows it: URLs without their query (``?rand=...``); the
    punctuation after a URL stays."""

    def cut(match: re.Match[str]) -> str:
        query = match.group(2)
        return match.group(1) + query[len(query.rstrip(":,;.")) :]

    return _QUERY.sub(cut, text)


def left_text(seconds: float) -> str:
    """``about 1 h 20 min left``, ``under a minute left``; ``""`` when nothing is left."""
    if seconds <= 0:
        return ""
    if seconds < 60:
        return "under a minute left"
    return f"about {human_duration(seconds)} left"


def count_text(count: int, final: bool) -> str:
    """``2,548``, or ``~2,548`` while it is an estimate."""
    return f"{'' if final else '~'}{count:,}"


def budget_text(estimate: Estimate) -> str:
    """``rate limit 30/min: about 1 h 25 min for 2,548 files`` (``~`` while listing goes on);
    without a limit, only the files."""
    noun = "file" if estimate.files == 1 else "files"
    files = f"{count_text(estimate.files, estimate.final)} {noun}"
    if estimate.per_minute <= 0:
        return f"no rate limit: {files}"
    took = human_duration(estimate.seconds)
    about = took if estimate.seconds < 60 else f"about {took}"
    return f"rate limit {estimate.per_minute}/min: {about} for {files}"


def wait_text(event: Waiting) -> str:
    """What a wait means, in words (for plain lines)."""
    seconds = f"{event.seconds:.0f} s" if event.seconds >= 10 else f"{event.seconds:.1f} s"
    if event.reason == "server":
        if event.scope == "one":
            return f"one download waits {seconds} (the server asked)"
        return f"waiting {seconds} (the server asked)"
    if event.reason == "login":
        return "the session ended: logging in again"
    return f"waiting {seconds} for the rate limit"
