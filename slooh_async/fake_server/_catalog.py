"""The fake account's missions, pictures and FITS files: deterministic from the config's seed.

A :class:`Catalog` keeps an immutable snapshot (missions newest first, the photoRoll, and
indexes by path, key and mission id); :meth:`Catalog.add_pictures` swaps in a new snapshot, so
the server thread always reads a consistent one without locking.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ._bodies import body_bytes, body_digest
from ._config import FakeConfig
from ._formats import BodySpec
from ._generate import CatalogGenerator, MissionDraft

__all__ = ["Catalog", "CatalogFile", "FitsGroup", "Mission", "Quirks"]


@dataclass(frozen=True, slots=True)
class Quirks:
    """How a file shows up in listings: the shapes a liberal client must accept."""

    image_id_as_text: bool = False
    customer_image_id: str = ""
    mission_id_as_text: bool = False
    download_filename: bool = True
    image_type: str = "PNG"
    long_month: bool = False
    seconds: bool = True
    timestamp: bool = False
    owner: str = "Demo Observer"
    share_token: str = ""
    id_listed: bool = True


@dataclass(frozen=True, slots=True)
class CatalogFile:
    """One downloadable file: a photoRoll picture or a FITS frame of a mission.

    ``key`` is what the client's tracker uses: the image id for a picture,
    ``fits:{mission}:{filename}`` for a FITS frame.
    """

    key: str
    kind: Literal["picture", "fits"]
    image_id: int
    mission_id: int
    path: str
    spec: BodySpec
    group: str | None = None
    quirks: Quirks = field(default_factory=Quirks)

    @property
    def filename(self) -> str:
        """The file's name (the last segment of its URL path)."""
        return self.spec.filename

    @property
    def size(self) -> int:
        """Length in bytes."""
        return self.spec.size

    @property
    def format(self) -> str:
        """``PNG``, ``JPEG`` or ``FITS``."""
        return self.spec.format

    @property
    def title(self) -> str:
        """The mission's title (the target), exactly as listed."""
        return self.spec.title

    @property
    def telescope(self) -> str:
        """The telescope's name."""
        return self.spec.telescope

    @property
    def taken_at(self) -> datetime:
        """UTC time of the exposure (also in the file name)."""
        return self.spec.taken_at

    def body(self, start: int = 0, end: int | None = None) -> bytes:
        """The file's bytes ``[start, end)``: what a download must deliver."""
        return body_bytes(self.spec, start, end)

    def digest(self, algorithm: str = "sha256") -> str:
        """Hex digest of the whole file (computed in pieces)."""
        return body_digest(self.spec, algorithm)


@dataclass(frozen=True, slots=True)
class FitsGroup:
    """The FITS frames of one instrument of a mission."""

    name: str
    files: tuple[CatalogFile, ...]


@dataclass(frozen=True, slots=True)
class Mission:
    """One observation slot: its pictures (newest first) and FITS groups."""

    mission_id: int
    title: str
    telescope: str
    instrument: str
    observatory: str
    start: datetime
    object_id: str
    pictures: tuple[CatalogFile, ...]
    fits_groups: tuple[FitsGroup, ...]
    count_as_text: bool = False

    @property
    def fits_available(self) -> bool:
        """Whether ``getMissionFITS`` lists any file for it."""
        return any(group.files for group in self.fits_groups)

    @property
    def fits_files(self) -> tuple[CatalogFile, ...]:
        """Every FITS frame of the mission, group by group."""
        return tuple(item for group in self.fits_groups for item in group.files)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    missions: tuple[Mission, ...]
    photo_roll: tuple[CatalogFile, ...]
    by_path: dict[str, CatalogFile]
    by_key: dict[str, CatalogFile]
    by_mission: dict[int, Mission]


class Catalog:
    """The account's content; built from a :class:`FakeConfig`, the same seed giving the same."""

    def __init__(self, config: FakeConfig | None = None) -> None:
        self._config = config or FakeConfig()
        self._lock = threading.Lock()
        self._generator = CatalogGenerator(self._config)
        self._snapshot = _snapshot(tuple(_freeze(draft) for draft in self._generator.initial()))

    @property
    def missions(self) -> tuple[Mission, ...]:
        """Every mission, newest first."""
        return self._snapshot.missions

    @property
    def photo_roll(self) -> tuple[CatalogFile, ...]:
        """Every picture, newest first: what ``getMyPictures`` pages through."""
        return self._snapshot.photo_roll

    @property
    def fits_files(self) -> tuple[CatalogFile, ...]:
        """Every FITS frame, newest mission first."""
        return tuple(item for mission in self.missions for item in mission.fits_files)

    def file_at(self, path: str) -> CatalogFile | None:
        """The file served at a download path (no query), if any."""
        return self._snapshot.by_path.get(path)

    def file(self, key: str) -> CatalogFile:
        """The file with a key (``"17262680"`` or ``"fits:3996220:m42_..._b_cal.fit"``)."""
        return self._snapshot.by_key[key]

    def mission(self, mission_id: int) -> Mission | None:
        """A mission by its id."""
        return self._snapshot.by_mission.get(mission_id)

    def expected_files(self, include_fits: bool = True) -> list[CatalogFile]:
        """What a complete download holds: every picture, and the FITS frames if asked."""
        files = list(self.photo_roll)
        return files + list(self.fits_files) if include_fits else files

    def add_pictures(self, count: int) -> list[CatalogFile]:
        """Add ``count`` newer pictures (new missions, at the top of the photoRoll)."""
        with self._lock:
            added = tuple(_freeze(draft) for draft in self._generator.newer(count))
            self._snapshot = _snapshot(added + self._snapshot.missions)
        pictures = [picture for mission in added for picture in mission.pictures]
        return sorted(pictures, key=lambda item: (item.taken_at, item.image_id), reverse=True)


def _snapshot(missions: tuple[Mission, ...]) -> _Snapshot:
    ordered = tuple(sorted(missions, key=lambda item: (item.start, item.mission_id), reverse=True))
    pictures = [picture for mission in ordered for picture in mission.pictures]
    pictures.sort(key=lambda item: (item.taken_at, item.image_id), reverse=True)
    files = pictures + [item for mission in ordered for item in mission.fits_files]
    return _Snapshot(
        missions=ordered,
        photo_roll=tuple(pictures),
        by_path={item.path: item for item in files},
        by_key={item.key: item for item in files},
        by_mission={mission.mission_id: mission for mission in ordered},
    )


def _freeze(draft: MissionDraft) -> Mission:
    """A frozen mission from a generator draft."""
    files = {}
    for item in draft.files:
        quirks = Quirks(**item.quirks)
        key = f"fits:{draft.mission_id}:{item.spec.filename}" if item.fits else str(item.image_id)
        kind: Literal["picture", "fits"] = "fits" if item.fits else "picture"
        files[item.uid] = CatalogFile(
            key, kind, item.image_id, draft.mission_id, item.path, item.spec, item.group, quirks
        )
    pictures = [files[item.uid] for item in draft.files if not item.fits]
    pictures.sort(key=lambda item: (item.taken_at, item.image_id), reverse=True)
    groups = tuple(
        FitsGroup(name, tuple(files[item.uid] for item in draft.files if item.group == name))
        for name in draft.group_names
    )
    return Mission(
        mission_id=draft.mission_id,
        title=draft.title,
        telescope=draft.telescope,
        instrument=draft.instrument,
        observatory=draft.observatory,
        start=draft.start,
        object_id=draft.object_id,
        pictures=tuple(pictures),
        fits_groups=groups,
        count_as_text=draft.count_as_text,
    )
