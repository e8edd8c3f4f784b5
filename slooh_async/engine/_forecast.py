"""How long a run takes under the rate budget: a pure estimate, and a sink that keeps it.

Under a rate budget the time a run takes is set by how many requests it sends, not by the
speed of the connection: about one per file, one per listing page, one per mission whose FITS
list is asked (docs/configuration.md, "The rate budget"). :func:`estimate_run` turns those
counts into seconds. :class:`Forecast` counts them as a run reports its events and, until
listing ends, extrapolates the part of the photo roll not listed yet from the service's
``totalCount``: its figures are an estimate (``final`` False) until :class:`ListingEnded`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..api import budget_seconds
from ._events import Event, FileDone, FileFailed, FilePlanned, ListingEnded, ListingPage

__all__ = ["Estimate", "Forecast", "estimate_run"]

#: a session token and a login: what every run sends before its first listing page
LOGIN_REQUESTS = 2


@dataclass(frozen=True)
class Estimate:
    """What a run (or the rest of one) costs: files, requests and the least time they take.

    ``final`` is False while the counts are extrapolated (listing has not ended).
    """

    files: int
    requests: int
    seconds: float
    per_minute: int
    final: bool = True


def estimate_run(
    files: int,
    *,
    pages: int = 0,
    missions: int = 0,
    per_minute: int,
    download_per_minute: int | None = None,
    final: bool = True,
) -> Estimate:
    """The least time ``files`` downloads, ``pages`` listing pages and ``missions`` FITS
    lists take under the budget (``per_minute`` 0: no limit, 0 s).

    With ``download_per_minute`` (``download.download_rate_limit``) the downloads have their
    own budget and the API calls keep ``per_minute``: the slower of the two sets the time.
    """
    files, pages, missions = max(0, files), max(0, pages), max(0, missions)
    calls = pages + missions
    requests = files + calls
    if download_per_minute is None:
        seconds = budget_seconds(requests, per_minute)
    else:
        seconds = max(budget_seconds(calls, per_minute), budget_seconds(files, download_per_minute))
    return Estimate(files, requests, seconds, per_minute, final)


@dataclass
class Forecast:
    """Counts a run's events; says how many files it will download and what is left.

    ``expected`` is what the caller knows in advance (``slooh retry``: the failed files),
    ``limit`` the ``--limit``. Both bound the extrapolation while listing goes on.
    """

    expected: int | None = None
    limit: int | None = None
    pictures_total: int | None = None
    pictures_listed: int = 0
    picture_pages_expected: int | None = None
    picture_pages: int = 0
    pages: int = 0
    queued: int = 0
    finished: int = 0
    listing_over: bool = False
    _missions: set[str] = field(default_factory=set)

    def emit(self, event: Event) -> None:
        """Count one event of the run."""
        match event:
            case ListingPage(what=what, pages=pages, items=items, total=total):
                self.pages += 1
                if what == "pictures":
                    self.picture_pages += 1
                    self.pictures_listed += items
                    if total is not None:
                        self.pictures_total = total
                    if pages is not None:
                        self.picture_pages_expected = pages
            case FilePlanned(key=key, action=action):
                if key.startswith("fits:"):
                    self._missions.add(key.split(":", 2)[1])
                if action == "download":
                    self.queued += 1
            case FileDone() | FileFailed(worker=int()):
                self.finished += 1
            case ListingEnded():
                self.listing_over = True
            case _:
                pass

    @property
    def final(self) -> bool:
        """True once listing ended: the counts are known, not extrapolated."""
        return self.listing_over

    @property
    def missions(self) -> int:
        """Missions whose FITS were listed so far."""
        return len(self._missions)

    def _unlisted_share(self) -> float:
        """How many more pictures listing will bring, per picture listed so far."""
        if self.final or self.pictures_total is None or self.pictures_listed <= 0:
            return 0.0
        return max(0, self.pictures_total - self.pictures_listed) / self.pictures_listed

    @property
    def files(self) -> int:
        """Files the run will download: counted once listing ended, extrapolated before."""
        if self.final:
            return self.queued
        if self.expected is not None:
            files = max(self.expected, self.queued)
        else:
            files = self.queued + round(self.queued * self._unlisted_share())
        return files if self.limit is None else min(files, max(self.limit, self.queued))

    @property
    def total_pages(self) -> int:
        """Listing pages the run will take."""
        if self.final:
            return self.pages
        more = (self.picture_pages_expected or 0) - self.picture_pages
        return self.pages + max(0, more)

    @property
    def total_missions(self) -> int:
        """Missions whose FITS the run will list."""
        return self.missions + round(self.missions * self._unlisted_share())

    def whole(self, per_minute: int, download_per_minute: int | None = None) -> Estimate:
        """The whole run: its files, and the least time its requests take."""
        return estimate_run(
            self.files,
            pages=self.total_pages + LOGIN_REQUESTS,
            missions=self.total_missions,
            per_minute=per_minute,
            download_per_minute=download_per_minute,
            final=self.final,
        )

    def rest(self, per_minute: int, download_per_minute: int | None = None) -> Estimate:
        """What is left of the run: files not finished, pages and missions not listed."""
        return estimate_run(
            self.files - self.finished,
            pages=self.total_pages - self.pages,
            missions=self.total_missions - self.missions,
            per_minute=per_minute,
            download_per_minute=download_per_minute,
            final=self.final,
        )
