"""Seeded drafting of missions and files from the real titles and telescopes (pure).

Titles, target codes, telescopes and download paths come from ``catalog_data.json``, derived
from a real user's legacy download tracker (see docs/fake-server.md). Mission recipes follow
what that tracker shows: an LRGB mission has ``l`` and ``lrgb`` pictures and ``l/r/g/b`` calibrated
FITS; a mono mission one ``m`` picture and ``m_cal`` frame per exposure; Canary Two and Canary
Four missions sometimes carry a second FITS group (wide-field, spectrograph).
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

from ._config import FakeConfig
from ._formats import MIN_SIZE, BodySpec, fits_size

__all__ = ["HOSTILE_TITLES", "CatalogGenerator", "FileDraft", "MissionDraft", "catalog_data"]

#: The newest mission of a fresh catalog starts here; older ones go back in time from it.
_NEWEST = datetime(2026, 2, 10, 5, 25, tzinfo=UTC)
_ALNUM = string.ascii_lowercase + string.digits
_PLANETS = frozenset({"Jupiter", "Saturn", "Full Moon"})
_GROUP_NAMES = {
    "highmag": "CCD Imager",
    "widefield": "Wide-Field Imager",
    "spectroscope": "Spectrograph",
}
_SECOND_GROUP_ODDS = {"widefield": 0.6, "spectroscope": 0.15}
#: (product, is FITS, seconds after the first exposure)
_RECIPES: dict[str, tuple[tuple[str, bool, int], ...]] = {
    "lrgb": (("l", True, 0), ("l", False, 2), ("r", True, 47), ("g", True, 86),
             ("b", True, 127), ("lrgb", False, 150)),
    "narrowband": (("h", True, 0), ("h", False, 2), ("o", True, 61), ("o", False, 63),
                   ("s", True, 122), ("s", False, 124)),
}  # fmt: skip
#: Titles that test a client's file-name sanitizing, with their target codes.
HOSTILE_TITLES: tuple[tuple[str, str], ...] = (
    ("../../Secret Nebula/..", "secretnebula"),
    ("CON", "con"),
    ("Dots and Spaces Nebula. . .  ", "dotsnebula"),
    ('Reserved <Chars>: "M42" | Orion? * \\ Nebula', "m42"),
    ("The Extraordinarily Long Named Galaxy Cluster " * 7 + "(NGC 9999)", "ngc9999"),
    ("Tab\tand\nNewline Cluster", "tabcluster"),
    ("Ωmega Centauri \u2014 Ünïcödé (NGC 5139)", "ngc5139"),
    ("   ", "blank"),
    ("NUL.txt", "nul"),
)


@dataclass(frozen=True, slots=True)
class TitleEntry:
    """A real target: its title, the code in its file names, the telescopes that took it."""

    title: str
    code: str
    telescopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TelescopeEntry:
    """A real telescope: its download paths (first = main instrument) and observatory."""

    name: str
    paths: tuple[str, ...]
    observatory: str


@cache
def catalog_data() -> tuple[tuple[TitleEntry, ...], dict[str, TelescopeEntry]]:
    """The bundled titles and telescopes."""
    raw = json.loads(
        files("slooh_async.fake_server").joinpath("catalog_data.json").read_text("utf-8")
    )
    titles = tuple(
        TitleEntry(item["title"], item["code"], tuple(item["telescopes"])) for item in raw["titles"]
    )
    telescopes = {
        item["name"]: TelescopeEntry(item["name"], tuple(item["paths"]), item["observatory"])
        for item in raw["telescopes"]
    }
    return titles, telescopes


@dataclass
class FileDraft:
    """A file being drafted; ids, size and body are settled by :meth:`CatalogGenerator.finish`."""

    uid: str
    product: str
    fits: bool
    ext: str
    folder: str
    group: str | None
    taken_at: datetime
    seq: int
    name: str = ""
    image_id: int = 0
    quirks: dict[str, Any] = field(default_factory=dict)
    spec: BodySpec = field(init=False)

    @property
    def path(self) -> str:
        """The download path."""
        return f"{self.folder}/{self.name}"


@dataclass
class MissionDraft:
    """A mission being drafted."""

    title: str
    code: str
    telescope: str
    instrument: str
    observatory: str
    start: datetime
    object_id: str
    files: list[FileDraft]
    group_names: list[str]
    count_as_text: bool
    mission_id: int = 0

    @property
    def pictures(self) -> list[FileDraft]:
        """The drafts that are photoRoll pictures."""
        return [item for item in self.files if not item.fits]


class CatalogGenerator:
    """Drafts missions from one seeded RNG: first the initial catalog, then newer batches."""

    def __init__(self, config: FakeConfig) -> None:
        self._config = config
        self._titles, self._telescopes = catalog_data()
        self._rng = random.Random(f"catalog:{config.seed}")
        self._counts: dict[str, int] = {}
        self._uids: set[str] = set()
        self._ids = {"mission": 3842122, "image": 17197527, "customer": 14888000}
        self._newest = _NEWEST

    def initial(self) -> list[MissionDraft]:
        """The catalog's missions, newest first, with exactly ``config.pictures`` pictures."""
        drafts: list[MissionDraft] = []
        when, total = _NEWEST, 0
        while total < self._config.pictures:
            drafts.append(self._draft(when, len(drafts)))
            total += len(drafts[-1].pictures)
            when -= self._gap()
        _trim(drafts[-1] if drafts else None, total - self._config.pictures)
        if self._config.clashes:
            _make_clashes(drafts)
        for draft in reversed(drafts):
            self._finish(draft)
        return drafts

    def newer(self, count: int) -> list[MissionDraft]:
        """Missions after every earlier one, holding exactly ``count`` pictures."""
        drafts: list[MissionDraft] = []
        total = 0
        while total < count:
            self._newest += self._gap()
            drafts.append(self._draft(self._newest, -1))
            total += len(drafts[-1].pictures)
        _trim(drafts[-1] if drafts else None, total - count)
        for draft in drafts:
            self._finish(draft)
        return drafts

    # ------------------------------------------------------------------ drafting

    def _gap(self) -> timedelta:
        minutes = self._rng.randint(24, 2016) * 5  # 2 hours to 7 days
        return timedelta(minutes=minutes)

    def _draft(self, start: datetime, index: int) -> MissionDraft:
        rng = self._rng
        entry = rng.choice(self._titles)
        telescope = self._telescopes[rng.choice(entry.telescopes)]
        title, code = entry.title, entry.code
        if index >= 0 and self._config.hostile_titles and index % 23 == 11:
            title, code = HOSTILE_TITLES[(index // 23) % len(HOSTILE_TITLES)]
        sites = self._sites(telescope)
        draft = MissionDraft(
            title=title,
            code=code,
            telescope=telescope.name,
            instrument=_group_name(sites[0]),
            observatory=telescope.observatory,
            start=start,
            object_id=str(1000 + 7 * self._titles.index(entry)),
            files=[],
            group_names=[],
            count_as_text=rng.random() < 0.3,
        )
        with_fits = self._config.fits and rng.random() >= 0.12
        draft.group_names = [_group_name(site) for site in sites] if with_fits else []
        first = start - timedelta(seconds=rng.randint(20, 60))
        for product, is_fits, offset, seq in self._recipe(entry.title):
            when = first + timedelta(seconds=offset)
            if not is_fits:
                draft.files.append(self._file(draft, sites[0], product, when, seq, False))
            elif with_fits:
                draft.files.extend(
                    self._file(draft, site, product, when + timedelta(seconds=5 * n), seq, True)
                    for n, site in enumerate(sites)
                )
        return draft

    def _sites(self, telescope: TelescopeEntry) -> list[str]:
        extras = [
            extra
            for extra in telescope.paths[1:]
            if self._rng.random() < _SECOND_GROUP_ODDS.get(extra.rsplit("/", 1)[-1], 0.0)
        ]
        return [telescope.paths[0], *extras]

    def _recipe(self, title: str) -> list[tuple[str, bool, int, int]]:
        roll = self._rng.random()
        if title not in _PLANETS and roll < 0.55:
            return [(*step, 0) for step in _RECIPES["lrgb"]]
        if title not in _PLANETS and roll < 0.7:
            return [(*step, 0) for step in _RECIPES["narrowband"]]
        exposures = self._rng.choice((1, 1, 2, 3))
        steps = [[("m", True, 70 * n, n), ("m", False, 70 * n + 2, n)] for n in range(exposures)]
        return [step for pair in steps for step in pair]

    def _file(
        self, draft: MissionDraft, site: str, product: str, when: datetime, seq: int, fits: bool
    ) -> FileDraft:
        """A picture (on the mission's main instrument) or a FITS frame of ``site``'s group."""
        ext = "fit" if fits else self._picture_extension(draft.title)
        folder = f"/{site}/{draft.start:%Y/%m/%d}/{draft.start:%H%M}_{draft.code}"
        group = _group_name(site) if fits else None
        item = FileDraft(self._uid(), product, fits, ext, folder, group, when, seq)
        item.name = (
            f"{draft.code}_{when:%Y%m%d_%H%M%S}_{seq}_{item.uid}_{product}"
            f"{'_cal' if item.fits else ''}.{ext}"
        )
        return item

    def _picture_extension(self, title: str) -> str:
        roll = self._rng.random()
        jpeg_odds = 0.35 if title in _PLANETS else 0.08
        return "jpg" if roll < jpeg_odds else "jpeg" if roll < jpeg_odds + 0.02 else "png"

    def _uid(self) -> str:
        while True:
            uid = "".join(self._rng.choice(_ALNUM) for _ in range(6))
            if uid not in self._uids:
                self._uids.add(uid)
                return uid

    # ------------------------------------------------------------------ settling

    def _next_id(self, series: str, low: int, high: int) -> int:
        self._ids[series] += self._rng.randint(low, high)
        return self._ids[series]

    def _finish(self, draft: MissionDraft) -> None:
        """Ids (growing with time), sizes, bodies and listing quirks of a drafted mission."""
        draft.mission_id = self._next_id("mission", 3, 900)
        ordered = sorted(draft.files, key=lambda item: (item.fits, item.taken_at))
        for item in ordered:
            item.image_id = self._next_id("image", 1, 40)
            item.quirks = self._fits_quirks() if item.fits else self._picture_quirks(item)
            item.spec = self._spec(draft, item)

    def _spec(self, draft: MissionDraft, item: FileDraft) -> BodySpec:
        file_format = {"fit": "FITS", "png": "PNG"}.get(item.name.rsplit(".", 1)[-1], "JPEG")
        target = self._config.size_for(file_format)
        if listed := self._config.sizes_for(file_format):
            count = self._counts[file_format] = self._counts.get(file_format, 0) + 1
            target = listed[(count - 1) % len(listed)]
            size = max(MIN_SIZE[file_format], target)
            size = fits_size(size) if file_format == "FITS" else size
        elif file_format == "FITS":
            size = fits_size(target)
        else:
            jitter = self._config.size_jitter
            size = max(
                MIN_SIZE[file_format], round(target * self._rng.uniform(1 - jitter, 1 + jitter))
            )
        seed_text = f"{self._config.seed}:{item.uid}".encode()
        body_seed = int.from_bytes(hashlib.blake2b(seed_text, digest_size=8).digest(), "big")
        scene_text = f"{self._config.seed}:{draft.code}:{draft.start.isoformat()}".encode()
        scene = int.from_bytes(hashlib.blake2b(scene_text, digest_size=8).digest(), "big")
        return BodySpec(
            format=file_format,
            size=size,
            body_seed=body_seed,
            filename=item.name,
            title=draft.title,
            telescope=draft.telescope,
            instrument=item.group or draft.instrument,
            product=item.product,
            taken_at=item.taken_at,
            scene=scene,
        )

    def _picture_quirks(self, item: FileDraft) -> dict[str, Any]:
        rng = self._rng
        customer = self._next_id("customer", 1, 30)
        kind = "JPG" if item.ext != "png" else "PNG"
        return {
            "image_id_as_text": rng.random() < 0.25,
            "customer_image_id": "" if rng.random() < 0.2 else str(customer),
            "mission_id_as_text": rng.random() < 0.2,
            "download_filename": rng.random() < 0.7,
            "image_type": rng.choice((kind, kind.lower(), item.product.upper())),
            "long_month": rng.random() < 0.3,
            "seconds": rng.random() < 0.7,
            "timestamp": rng.random() < 0.5,
            "owner": "Not available" if rng.random() < 0.15 else "Demo Observer",
            "share_token": "".join(rng.choice(_ALNUM) for _ in range(16)),
        }

    def _fits_quirks(self) -> dict[str, Any]:
        return {"id_listed": self._rng.random() >= 0.2, "image_type": "FITS"}


def _group_name(site: str) -> str:
    return _GROUP_NAMES.get(site.rsplit("/", 1)[-1], "CCD Imager")


def _trim(draft: MissionDraft | None, excess: int) -> None:
    """Drop the last ``excess`` pictures of a mission (it keeps at least one)."""
    if draft is None or excess <= 0:
        return
    doomed = {id(item) for item in draft.pictures[-excess:]}
    draft.files = [item for item in draft.files if id(item) not in doomed]


def _make_clashes(drafts: list[MissionDraft]) -> None:
    """Give a few files the very name of a file of an older mission (paths still differ)."""
    for index in range(8, len(drafts) - 1, 29):
        _copy_name(drafts[index].pictures[0], drafts[index + 1].pictures[0])
    for index in range(9, len(drafts) - 1, 37):
        mine = [item for item in drafts[index].files if item.fits]
        older = [item for draft in drafts[index + 1 :] for item in draft.files if item.fits]
        if mine and older:
            _copy_name(mine[0], older[0])


def _copy_name(item: FileDraft, model: FileDraft) -> None:
    item.name, item.product, item.ext = model.name, model.product, model.ext
