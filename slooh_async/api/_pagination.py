"""Paging state of one scan, as a pure object: where the next page starts, when to stop,
which items were already yielded, and whether an empty answer smells of a silent expiry."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["STALE_SESSION_SECONDS", "PageCursor", "PageInfo"]

#: a first page that comes back empty from a session older than this is double-checked
STALE_SESSION_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class PageInfo:
    """One page of a scan as it came back: what was listed, how far along, what the service
    said of the total (``None`` when it did not say)."""

    what: str
    page: int
    pages: int | None
    items: int
    total: int | None


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

    def advance(self, count: int, total_count: int | None) -> None:
        """Account for a page of ``count`` items; ``total_count`` as the service said it."""
        self.pages += 1
        self.page_first = self.first
        if total_count is not None and (total_count > 0 or not self.had_items):
            self.total = total_count
        if count <= 0:
            self.done = True
            return
        self.had_items = True
        self.first += count
        if self.total is not None and self.first > self.total:
            self.done = True

    def info(self, what: str, items: int) -> PageInfo:
        """The page just received, for a progress callback."""
        return PageInfo(what, self.pages, self.pages_expected, items, self.total)

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
