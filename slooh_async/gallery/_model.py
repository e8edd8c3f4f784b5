"""What the gallery shows, computed from the tracker's records (pure: no files read, no HTML).

Objects are the tracker's ``object_name`` (the folder the organizer gave them); within an
object, files are grouped by mission (one night's observation slot on one telescope), newest
first. Exposure is what FITS headers say (``EXPTIME``): pictures carry none.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..media import FitsSummary
from ..tracker import ImageRecord, Integration, SessionRecord, filter_label

__all__ = ["Item", "MissionView", "ObjectView", "Site", "Totals", "build_site", "slug_for"]

UNKNOWN = "Unknown"
_SLUG_CUT = 48
#: Months shown in the per-month chart (the most recent ones).
_MONTHS_SHOWN = 36
_TOP_OBJECTS = 10


@dataclass(frozen=True, slots=True)
class Item:
    """One tracked file as the gallery shows it.

    ``rel_path`` is the file's path relative to the library (``/``-separated), or ``None``
    for a file outside it; ``preview`` the preview's path relative to the gallery folder.
    """

    record: ImageRecord
    object_name: str
    rel_path: str | None
    exists: bool
    summary: FitsSummary | None = None
    preview: str | None = None

    @property
    def is_fits(self) -> bool:
        """Whether this is a FITS frame (else a picture)."""
        return self.record.is_fits

    @property
    def filter(self) -> str:
        """The filter: the tracker's short name (L, R, Ha...), else the header's."""
        summary_filter = self.summary.filter if self.summary else None
        return self.record.filter or summary_filter or ""

    @property
    def exposure(self) -> float | None:
        """Seconds of exposure, from the FITS header."""
        return self.summary.exptime if self.summary else None

    @property
    def observed(self) -> datetime | None:
        """When it was taken: the header's DATE-OBS, else what the service listed."""
        summary_date = self.summary.date_obs if self.summary else None
        return summary_date or self.record.observed_at

    @property
    def file_type(self) -> str:
        """FITS, PNG, JPEG..."""
        return (self.record.format or ("FITS" if self.is_fits else "")).upper() or UNKNOWN

    @property
    def name(self) -> str:
        """The file's name on disk."""
        return self.record.path.name if self.record.path else self.record.filename


@dataclass(slots=True)
class MissionView:
    """One mission of one object: its pictures, its frames, the colour composite."""

    mission_id: int | None
    telescope: str
    observed: datetime | None
    pictures: list[Item] = field(default_factory=list)
    frames: list[Item] = field(default_factory=list)
    colour: str | None = None

    @property
    def night(self) -> date | None:
        """The (UTC) date of the mission."""
        return self.observed.date() if self.observed else None

    @property
    def exposure(self) -> float:
        """Total seconds of exposure of its frames."""
        return sum(item.exposure or 0.0 for item in self.frames)


@dataclass(slots=True)
class ObjectView:
    """Everything the library holds of one object."""

    name: str
    slug: str
    missions: list[MissionView]
    titles: list[str]
    telescopes: list[str]
    by_filter: list[tuple[str, int, float]]
    cover: str | None
    ra_deg: float | None
    dec_deg: float | None

    @property
    def items(self) -> list[Item]:
        """Every file of the object."""
        return [item for mission in self.missions for item in (*mission.pictures, *mission.frames)]

    @property
    def pictures(self) -> int:
        return sum(len(mission.pictures) for mission in self.missions)

    @property
    def frames(self) -> int:
        return sum(len(mission.frames) for mission in self.missions)

    @property
    def exposure(self) -> float:
        """Total integration time in seconds."""
        return sum(mission.exposure for mission in self.missions)

    @property
    def last(self) -> datetime | None:
        return max((m.observed for m in self.missions if m.observed), default=None)


@dataclass(frozen=True, slots=True)
class Totals:
    """The library at a glance."""

    files: int
    pictures: int
    frames: int
    objects: int
    telescopes: int
    bytes: int
    exposure: float
    missing: int
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True, slots=True)
class Site:
    """The whole gallery's content."""

    totals: Totals
    objects: list[ObjectView]
    per_month: list[tuple[str, int, int]]
    by_telescope: list[tuple[str, int]]
    by_filter: list[tuple[str, int]]
    top_exposure: list[ObjectView]
    sessions: list[SessionRecord]
    items: list[Item]


def slug_for(name: str) -> str:
    """A file-name-safe, unique page name for an object (ASCII, short, a hash of the name)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:_SLUG_CUT].strip("-")
    digest = hashlib.blake2b(name.encode(), digest_size=3).hexdigest()
    return f"{words or 'object'}-{digest}"


def build_site(
    items: Iterable[Item],
    sessions: Sequence[SessionRecord],
    colours: Mapping[tuple[int | None, str], str],
) -> Site:
    """The gallery's content from its items; ``colours`` maps (mission, instrument) to the
    colour composite's preview."""
    items = sorted(items, key=_newest_first)
    by_object: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_object[item.object_name].append(item)
    objects = [_object_view(name, group, colours) for name, group in by_object.items()]
    objects.sort(key=lambda view: (view.last is None, -(view.last.timestamp() if view.last else 0)))
    return Site(
        totals=_totals(items, objects),
        objects=objects,
        per_month=_per_month(items),
        by_telescope=_counted(item.record.telescope for item in items),
        by_filter=_counted(item.filter for item in items),
        top_exposure=sorted(
            (view for view in objects if view.exposure > 0), key=lambda v: -v.exposure
        )[:_TOP_OBJECTS],
        sessions=list(sessions),
        items=items,
    )


def _newest_first(item: Item) -> tuple[bool, float, str]:
    observed = item.observed
    return (observed is None, -(observed.timestamp() if observed else 0.0), item.record.key)


def _object_view(
    name: str, items: list[Item], colours: Mapping[tuple[int | None, str], str]
) -> ObjectView:
    missions: dict[Any, MissionView] = {}
    for item in items:
        group = _mission_key(item)
        mission = missions.get(group)
        if mission is None:
            mission = missions[group] = MissionView(
                item.record.mission_id, item.record.telescope or UNKNOWN, item.observed
            )
        (mission.frames if item.is_fits else mission.pictures).append(item)
    for mission in missions.values():
        instruments = {item.record.instrument for item in mission.frames}
        mission.colour = next(
            (
                colours[key]
                for i in sorted(instruments)
                if (key := (mission.mission_id, i)) in colours
            ),
            None,
        )
    pointing = next((i.summary for i in items if i.summary and i.summary.ra_deg is not None), None)
    return ObjectView(
        name=name,
        slug=slug_for(name),
        missions=list(missions.values()),
        titles=sorted({item.record.title.strip() for item in items if item.record.title.strip()}),
        telescopes=sorted({item.record.telescope for item in items if item.record.telescope}),
        by_filter=_exposure_by_filter(items),
        cover=_cover(list(missions.values())),
        ra_deg=pointing.ra_deg if pointing else None,
        dec_deg=pointing.dec_deg if pointing else None,
    )


def _mission_key(item: Item) -> Any:
    """A mission's id; files without one are grouped by telescope and night."""
    if item.record.mission_id is not None:
        return item.record.mission_id
    night = item.observed.date() if item.observed else None
    return ("night", item.record.telescope, night)


def _cover(missions: list[MissionView]) -> str | None:
    """The object's picture: the newest colour composite or colour picture, else any preview."""
    for mission in missions:
        if mission.colour:
            return mission.colour
        colour = [p.preview for p in mission.pictures if p.preview and "RGB" in p.filter.upper()]
        if colour:
            return colour[0]
    previews = [i.preview for m in missions for i in (*m.pictures, *m.frames) if i.preview]
    return previews[0] if previews else None


def _exposure_by_filter(items: list[Item]) -> list[tuple[str, int, float]]:
    """(filter, frames, seconds) of the object's frames, as ``slooh stats`` counts them."""
    integration = Integration()
    for item in items:
        if item.is_fits:
            band = filter_label(item.record.filter, item.summary.filter if item.summary else None)
            integration.add(item.object_name, band, 1, item.exposure or 0.0)
    return [(band, count.frames, count.seconds) for band, count in integration.by_filter().items()]


def _totals(items: list[Item], objects: list[ObjectView]) -> Totals:
    observed = [item.observed for item in items if item.observed]
    frames = sum(1 for item in items if item.is_fits)
    return Totals(
        files=len(items),
        pictures=len(items) - frames,
        frames=frames,
        objects=len(objects),
        telescopes=len({item.record.telescope for item in items if item.record.telescope}),
        bytes=sum(item.record.size or 0 for item in items),
        exposure=sum(item.exposure or 0.0 for item in items),
        missing=sum(1 for item in items if not item.exists),
        first=min(observed, default=None),
        last=max(observed, default=None),
    )


def _per_month(items: list[Item]) -> list[tuple[str, int, int]]:
    """(YYYY-MM, pictures, frames) for every month from the first to the last (the most
    recent ones only), empty months included so the chart's time axis is honest."""
    pictures: Counter[str] = Counter()
    frames: Counter[str] = Counter()
    for item in items:
        if item.observed:
            (frames if item.is_fits else pictures)[f"{item.observed:%Y-%m}"] += 1
    labels = set(pictures) | set(frames)
    if not labels:
        return []
    year, month = int(min(labels)[:4]), int(min(labels)[5:])
    months = []
    while (label := f"{year:04d}-{month:02d}") <= max(labels):
        months.append((label, pictures[label], frames[label]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months[-_MONTHS_SHOWN:]


def _counted(values: Iterable[str]) -> list[tuple[str, int]]:
    """(value, count), most common first; an empty value counts as Unknown."""
    counts = Counter(value or UNKNOWN for value in values)
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
