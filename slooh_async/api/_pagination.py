"""Paging state of one scan, as a pure object: where the next page starts, when to stop,
which items were already yielded, and whether an empty answer smells of a silent expiry.

A scan always ends: past ``totalCount``, at an empty page, at a page that brings nothing new
(a service that ignores ``firstImageNumber`` sends the same page forever), or at a page cap
(``totalCount`` missing or absurd, and pages that never run dry). The last two are not the
listing's natural end: :attr:`PageCursor.stop_reason` says why it stopped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["MAX_LISTED", "STALE_SESSION_SECONDS", "PageCursor", "PageInfo"]

#: a first page that comes back empty from a session older than this is double-checked
STALE_SESSION_SECONDS = 60.0
#: no scan lists more items than this (whatever totalCount says): twenty times the largest
#: Slooh account seen
MAX_LISTED = 500_000


@dataclass(frozen=True, slots=True)
class PageInfo:
    """One page of a scan as it came back: what was listed, how far along, what the service
    said of the total (``None`` when it did not say)."""

    what: str
    page: int
    pages: int | None
    items: int
    total: int | None
    #: why the scan stopped before its natural end (said once, with the last page)
    problem: str | None = None


@dataclass
class PageCursor:
    """Advance ``first`` by the items received; stop past ``totalCount`` or on an empty page."""

    start: int = 1
    batch_size: int = 50
    first: int = 0
    pages: int = 0
    total: int | None = None
    had_items: bool = False
    done: bool = False
    page_first: int = 0
    #: why the scan stopped early (a repeated page, the page cap, a broken answer), if it did
    stop_reason: str | None = None
    _seen: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self.start = max(1, self.start)
        self.first = self.page_first = self.start

    def looks_expired(self, items: int, total_count: int | None, session_age: float) -> bool:
        """True when an answer is empty where items were expected: log in again and repeat."""
        if items:
            return False
        if self.had_items or (self.total and total_count == 0):
            return True
        return self.pages == 0 and session_age > STALE_SESSION_SECONDS

    def advance(self, count: int, total_count: int | None, fresh: int | None = None) -> None:
        """Account for a page of ``count`` items, ``fresh`` of them not seen before (``None``:
        all); ``total_count`` as the service said it."""
        self.pages += 1
        self.page_first = self.first
        if total_count is not None and (total_count > 0 or not self.had_items):
            self.total = total_count
        if count <= 0:
            self.done = True
            return
        self.had_items = True
        self.first += count
        if fresh == 0:
            self.stop(
                f"page {self.pages} brought nothing new (the service sent items already "
                "listed: it may ignore paging)"
            )
        elif self.total is not None and self.first > self.total:
            self.done = True
        elif self.pages >= self.page_cap:
            said = f"totalCount {self.total}" if self.total is not None else "no totalCount"
            self.stop(f"stopped after {self.pages} pages ({said}: the listing might never end)")

    def receive(self, keys: Sequence[str], total_count: int | None) -> list[int]:
        """Account for a page whose items have these keys; the offsets of those not seen
        before (the rest shifted in from an earlier page, or the page is a repeat)."""
        fresh = [offset for offset, key in enumerate(keys) if self.first_seen(key)]
        self.advance(len(keys), total_count, len(fresh))
        return fresh

    def stop(self, reason: str) -> None:
        """End the scan before its natural end, saying why."""
        self.done = True
        self.stop_reason = self.stop_reason or reason

    @property
    def page_cap(self) -> int:
        """The most pages a scan may take: :data:`MAX_LISTED` items' worth. A plausible
        ``totalCount`` ends the scan long before (``first`` passes it); the cap is for a
        count that is missing or absurd (10^9) beside pages that never run dry."""
        return math.ceil(MAX_LISTED / max(1, self.batch_size))

    def info(self, what: str, items: int) -> PageInfo:
        """The page just received, for a progress callback (with the stop reason, if any)."""
        problem = self.stop_reason if self.done else None
        return PageInfo(what, self.pages, self.pages_expected, items, self.total, problem)

    def first_seen(self, key: str) -> bool:
        """True the first time ``key`` shows up in this scan (items shift between pages)."""
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def position_of(self, offset: int) -> int:
        """1-based position of the ``offset``-th item of the page just received."""
        return self.page_first + offset

    @property
    def pages_expected(self) -> int | None:
        """Pages this scan will take in all, once ``totalCount`` is known."""
        if self.total is None:
            return None
        remaining = max(0, self.total - self.first + 1)
        return self.pages + (0 if self.done else math.ceil(remaining / self.batch_size))
