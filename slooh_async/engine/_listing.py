"""The lister: what a run covers, page by page, handed to the pipeline as it is found.

The lister only lists. It asks the service for pages of pictures and each mission's FITS
frames, and hands every batch to a :class:`ListingSink` (the pipeline's producer), which plans,
records and reports it and answers with the outcome the lister needs to decide how far to go.

Incremental sync rests on the photoRoll being newest first: once a whole page is already in
the library (pictures done, their missions' FITS listed) and no earlier failure is waiting to
be seen again, the rest is in the library too, and listing stops. That shortcut is only
taken when the tracker says the last complete sync left no gaps (``incremental``).

A dead session answers ``getMissionFITS`` with an empty list, like a mission without FITS.
An empty answer is therefore only believed once a later answer of the same login had
content (sessions never come back to life), or after a final one-picture check.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import anyio
from pydantic import ValidationError

from .._exceptions import ServiceError
from ..api import PageInfo, Picture, SloohClient
from ..tracker import ImageRecord
from ._planning import DownloadRequest, picture_from_record

__all__ = ["GONE", "Known", "Lister", "ListingSink", "Outcome"]

log = logging.getLogger("slooh_async.listing")

#: last_error prefix of failed pictures a complete listing did not show any more
GONE = "gone:"
#: a mission this recent may still get its FITS files: an empty list is not final yet
_FITS_SETTLE = timedelta(days=3)


@dataclass(frozen=True)
class Outcome:
    """What the pipeline made of a batch: was all of it in the library, how many files were
    queued, and should listing stop (the ``--limit`` is reached, or the run is stopping)."""

    all_done: bool
    queued: int
    stop: bool = False


@dataclass(frozen=True)
class Known:
    """What the library knew when the run started: files still to fetch, and the missions
    whose FITS listing was handled before (so a no-op sync does not ask for them again)."""

    outstanding: Sequence[ImageRecord] = ()
    checked_missions: frozenset[int] = frozenset()


class ListingSink(Protocol):
    """Where the lister hands what it finds."""

    async def found(self, pictures: list[Picture]) -> Outcome:
        """A page of pictures, or a mission's FITS frames: plan, record and report them."""
        ...

    async def mission_listed(self, mission_id: int, count: int) -> None:
        """A mission's FITS listing is complete with ``count`` frames (remember it)."""
        ...

    async def gone(self, keys: Sequence[str]) -> None:
        """Failed pictures a complete listing no longer shows: Slooh removed them."""
        ...

    def page(self, info: PageInfo) -> None:
        """A page of a scan came back (for the display)."""
        ...

    def warn(self, message: str) -> None:
        """Something the user must know: the listing stopped early, and why."""
        ...


class _MissionIndex:
    """``fitsIsAvailable`` per mission, read lazily from the paged mission list.

    One getMissionImages page answers for 50 missions, where getMissionFITS answers for
    one: missions that say they have no FITS are not asked. Unknown missions (not in the
    list, or no flag) are asked directly.
    """

    def __init__(self, client: SloohClient, batch_size: int, sink: ListingSink) -> None:
        self._pages = client.iter_missions(batch_size, on_page=sink.page)
        self._known: dict[int, bool | None] = {}
        self._exhausted = False

    async def fits_available(self, mission_id: int) -> bool | None:
        while mission_id not in self._known and not self._exhausted:
            try:
                mission = await anext(self._pages)
            except StopAsyncIteration:
                self._exhausted = True
                break
            except (ServiceError, ValidationError) as exc:
                # only an optimisation: without the list, every mission is asked directly
                log.info("mission list unavailable (%s); asking each mission for FITS", exc)
                self._exhausted = True
                break
            if mission.mission_id:
                self._known[mission.mission_id] = mission.fits_available
        return self._known.get(mission_id)

    async def aclose(self) -> None:
        await self._pages.aclose()


@dataclass(frozen=True)
class _Unconfirmed:
    """A mission whose FITS list came back empty, not yet proven genuine."""

    mission_id: int
    parent: Picture
    generation: int
    sequence: int


@dataclass
class Lister:
    """Lists what a run covers and hands it, batch by batch, to a :class:`ListingSink`."""

    client: SloohClient
    request: DownloadRequest
    sink: ListingSink
    known: Known = field(default_factory=Known)
    batch_size: int = 50
    incremental: bool = True
    _missions_done: set[int] = field(default_factory=set)
    _index: _MissionIndex | None = None
    _unconfirmed: list[_Unconfirmed] = field(default_factory=list)
    _stopped: bool = False
    #: why the listing stopped before its natural end, when the service made it stop
    reason: str | None = None

    async def run(self) -> bool:
        """List everything the request covers; True when the listing ran to its natural end
        (every page a filter-free sync needs was seen)."""
        self._index = _MissionIndex(self.client, self.batch_size, self.sink)
        try:
            complete = await self._list()
            await self._settle_unconfirmed()
            return complete
        finally:
            with anyio.CancelScope(shield=True):
                await self._index.aclose()

    async def _list(self) -> bool:
        outstanding = self.known.outstanding
        retrying = self.request.only_keys is not None
        if retrying:
            outstanding = [r for r in outstanding if r.key in (self.request.only_keys or ())]
        waiting = {
            r.key
            for r in outstanding
            if r.kind != "fits" and (retrying or not (r.last_error or "").startswith(GONE))
        }
        fits_records = {r.mission_id: r for r in outstanding if r.kind == "fits" and r.mission_id}
        complete = False
        if retrying:  # FITS frames are found through their missions, no scan needed
            await self._fits_of_records(fits_records)
        if not retrying or waiting:
            complete = await self._scan(waiting, fits_records)
            if complete and waiting and not self.request.filtered:
                log.info("%d failed picture(s) are no longer listed by Slooh", len(waiting))
                await self.sink.gone(sorted(waiting))
        if not retrying and not self.request.mission_id:
            await self._fits_of_records(fits_records)
        return complete

    async def _fits_of_records(self, records: dict[int, ImageRecord]) -> None:
        for mission_id, record in records.items():
            if mission_id not in self._missions_done and not self._stopped:
                await self._mission_fits(mission_id, picture_from_record(record))

    async def _scan(self, waiting: set[str], fits_records: dict[int, ImageRecord]) -> bool:
        """List pictures page by page; True when the listing ran to its natural end."""
        incremental = self.incremental and not self.request.filtered
        retrying = self.request.only_keys is not None
        pages = self.client.iter_picture_pages(
            self.batch_size,
            self.request.mission_id or 0,
            self.request.start,
            on_page=self._page,
        )
        async with aclosing(pages):
            async for page in pages:
                outcome = await self._found(page)
                if self._stopped:
                    return False
                checked = retrying or await self._missions_of(page, fits_records)
                waiting.difference_update(p.key for p in page)
                if retrying and not waiting:
                    return False
                if self.request.since and all(self.request.older_than_since(p) for p in page):
                    return False
                if incremental and outcome.all_done and checked and not waiting:
                    log.info("a whole page was downloaded before: the rest is in the library")
                    return True
        return self.reason is None

    def _page(self, info: PageInfo) -> None:
        """A page came back: tell the sink, and warn (once) when the scan stopped early."""
        self.sink.page(info)
        if info.problem and self.reason is None:
            self.reason = info.problem
            log.info("listing stopped early: %s", info.problem)
            self.sink.warn(f"listing incomplete: {info.problem}")

    async def _found(self, pictures: list[Picture]) -> Outcome:
        outcome = await self.sink.found(pictures)
        self._stopped = self._stopped or outcome.stop
        return outcome

    async def _missions_of(
        self, page: list[Picture], fits_records: dict[int, ImageRecord]
    ) -> bool:
        """List FITS of the page's missions not handled before; True if none was new."""
        if self.request.fits == "without":
            return True
        parents: dict[int, Picture] = {}
        for picture in page:
            mission = picture.mission_id
            if mission and mission not in self._missions_done and self.request.wants_fits_of(
                picture
            ):
                parents.setdefault(mission, picture)
        relist = bool(self.request.mission_id) or self.request.redownload_all
        queued = 0
        for mission_id, parent in parents.items():
            self._missions_done.add(mission_id)
            checked = mission_id in self.known.checked_missions
            if (checked and mission_id not in fits_records and not relist) or self._stopped:
                continue
            if self._index and await self._index.fits_available(mission_id) is False:
                await self._fits_listed(mission_id, 0, parent)
                continue
            queued += await self._mission_fits(mission_id, parent)
        return queued == 0

    async def _mission_fits(
        self, mission_id: int, parent: Picture, *, verify_empty: bool = False
    ) -> int:
        """List one mission's FITS frames; how many were queued."""
        self._missions_done.add(mission_id)
        frames = [
            frame
            async for frame in self.client.iter_mission_fits(
                mission_id, parent, verify_empty=verify_empty
            )
        ]
        queued = 0
        if frames or verify_empty:
            if frames:
                queued = (await self._found(frames)).queued
            await self._fits_listed(mission_id, len(frames), parent)
        else:
            _, sequence = self.client.liveness()
            self._unconfirmed.append(
                _Unconfirmed(mission_id, parent, self.client.session_generation, sequence)
            )
        await self._confirm_empty()
        return queued

    async def _confirm_empty(self) -> None:
        """Empty FITS answers followed by content from the same login were genuine."""
        generation, sequence = self.client.liveness()
        for item in list(self._unconfirmed):
            if item.generation == generation and sequence > item.sequence:
                self._unconfirmed.remove(item)
                await self._fits_listed(item.mission_id, 0, item.parent)

    async def _settle_unconfirmed(self) -> None:
        """Check the session once for the empty answers left; list again what was doubtful."""
        if not self._unconfirmed or self._stopped:
            return
        generation = self.client.session_generation
        alive = await self.client.confirm_session()
        doubtful, self._unconfirmed = self._unconfirmed, []
        for item in doubtful:
            if alive and item.generation == generation:
                await self._fits_listed(item.mission_id, 0, item.parent)
            else:
                await self._mission_fits(item.mission_id, item.parent, verify_empty=True)

    async def _fits_listed(self, mission_id: int, count: int, parent: Picture) -> None:
        """Tell the sink a mission's FITS were listed and planned.

        A recent mission without FITS is asked again next time: they may still come.
        """
        if self._stopped:
            return
        when = parent.observed_at
        if count == 0 and when is not None and datetime.now(UTC) - when < _FITS_SETTLE:
            return
        await self.sink.mission_listed(mission_id, count)
