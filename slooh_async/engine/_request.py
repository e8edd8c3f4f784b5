"""What the user asked a run for: the filters and modes of one ``download``, ``mission`` or
``retry``, and whether a listed picture passes them (pure: no disk, no service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from ..api import Picture, format_of
from ..organizer import catalog_of, object_name

__all__ = ["DownloadRequest", "FitsMode"]

FitsMode = Literal["with", "without", "only"]


@dataclass(frozen=True)
class DownloadRequest:
    """What the user asked for: filters and modes of one run."""

    telescope: str | None = None
    object: str | None = None
    format: str | None = None
    since: date | None = None
    until: date | None = None
    limit: int | None = None
    start: int = 1
    dry_run: bool = False
    full_scan: bool = False
    redownload_all: bool = False
    fits: FitsMode = "with"
    mission_id: int | None = None
    only_keys: frozenset[str] | None = None

    @property
    def filtered(self) -> bool:
        """True when the run does not cover the whole library.

        ``--no-fits`` covers every picture: such a sync may stop early and counts as complete
        (the runner remembers that the FITS were not listed, see ``FITS_SYNCED``).
        """
        return bool(
            self.telescope
            or self.object
            or self.format
            or self.since
            or self.until
            or self.limit
            or self.start > 1
            or self.mission_id
            or self.only_keys is not None
            or self.fits == "only"
        )

    def matches(self, picture: Picture) -> bool:
        """Whether a listed picture (or FITS frame) passes the filters."""
        if self.only_keys is not None and picture.key not in self.only_keys:
            return False
        if self.fits == "only" and picture.kind != "fits":
            return False
        if self.fits == "without" and picture.kind == "fits":
            return False
        if self.format and picture.format != format_of(self.format):
            return False
        return self._target_matches(picture)

    def _target_matches(self, picture: Picture) -> bool:
        """Telescope, object and dates: what a FITS frame shares with its mission's pictures."""
        if self.telescope and self.telescope.casefold() not in picture.telescope.casefold():
            return False
        if self.object and not _object_matches(self.object, picture):
            return False
        return self._date_matches(picture)

    def _date_matches(self, picture: Picture) -> bool:
        if self.since is None and self.until is None:
            return True
        when = picture.observed_at
        if when is None:
            return False
        day = when.date()
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )

    def wants_fits_of(self, picture: Picture) -> bool:
        """Whether the FITS frames of this picture's mission can pass the filters."""
        if self.fits == "without" or (self.format and format_of(self.format) != "FITS"):
            return False
        return self._target_matches(picture)

    def older_than_since(self, picture: Picture) -> bool:
        """True when the picture is dated before ``since`` (the photoRoll is newest first)."""
        when = picture.observed_at
        return self.since is not None and when is not None and when.date() < self.since


def _object_matches(query: str, picture: Picture) -> bool:
    """The same designation however written (``m 42``, ``Messier 42``, ``NGC 1976``: M1 is not
    M13), else a title substring (``Orion``) or the object's folder name."""
    if catalog_of(query) is not None:
        return object_name(query).casefold() == object_name(picture.title).casefold()
    wanted = query.casefold().strip()
    if wanted in picture.title.casefold():
        return True
    squeezed = wanted.replace(" ", "")
    return bool(squeezed) and squeezed == object_name(picture.title).casefold().replace(" ", "")
