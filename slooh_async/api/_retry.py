"""Retry decisions as pure functions: what is worth retrying, and how long to wait.

Only named failures are retried (stamina's rule): transport errors and timeouts, HTTP 408,
429 and 5xx. The wait is the server's ``Retry-After`` when it gives one, else capped
exponential backoff with full jitter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = [
    "RETRYABLE_STATUS",
    "RetryPolicy",
    "backoff_delay",
    "is_retryable_status",
    "parse_retry_after",
]

#: HTTP statuses worth another try; every other 4xx is final.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})


def is_retryable_status(status: int) -> bool:
    """408, 429 and 5xx are transient; other statuses are answers."""
    return status in RETRYABLE_STATUS or 500 <= status <= 599


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(
    attempt: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Full-jitter exponential backoff: uniform in ``[base/2, min(cap, base * 2**attempt)]``.

    ``attempt`` counts from 0 (the wait after the first failure). The lower bound keeps a
    minimum pause so a flapping server is not hammered; ``base == 0`` means no wait (tests).
    """
    if base <= 0:
        return 0.0
    ceiling = min(cap, base * (2 ** min(attempt, 30)))
    floor = min(ceiling, base / 2)
    return (rng or random).uniform(floor, ceiling)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how long to wait between tries."""

    max_retries: int = 3
    base_delay: float = 5.0
    max_delay: float = 120.0
    #: the longest Retry-After honoured: a longer one (a misconfigured host asking for hours)
    #: is capped to this, so one answer can never stall the run silently
    max_retry_after: float = 120.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    @classmethod
    def no_wait(cls, max_retries: int = 3) -> RetryPolicy:
        """A policy that retries without sleeping (for tests), Retry-After included."""
        return cls(max_retries=max_retries, base_delay=0.0, max_delay=0.0, max_retry_after=0.0)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait before try ``attempt + 1``: Retry-After when given, else backoff."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return backoff_delay(attempt, base=self.base_delay, cap=self.max_delay, rng=self.rng)
