"""The fake server's catalog and file bodies (pure: no sockets)."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fits_support import fits_cards
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from slooh_async.fake_server import (
    HOSTILE_TITLES,
    MIN_SIZE,
    BodySpec,
    Catalog,
    FakeConfig,
    body_bytes,
    body_digest,
    display_date,
    display_time,
    iter_body,
)
from slooh_async.fake_server._formats import fits_size

TRACKER = Path(__file__).parent / "data" / "legacy_download_tracker.json"
NAME = re.compile(
    r"^(.+?)_(\d{8})_(\d{6})_(\d+)_([a-z0-9]{6})_([a-z]+?)(_cal)?\.(fit|png|jpg|jpeg)$"
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """A default-sized catalog (300 pictures)."""
    return Catalog(FakeConfig())


# --------------------------------------------------------------------------- catalog


def test_same_seed_same_catalog() -> None:
    """Two catalogs of the same config hold the same files with the same bytes."""
    first, second = Catalog(FakeConfig(pictures=40)), Catalog(FakeConfig(pictures=40))
    assert [item.key for item in first.expected_files()] == [
        item.key for item in second.expected_files()
    ]
    assert [item.path for item in first.expected_files()] == [
        item.path for item in second.expected_files()
    ]
    pairs = zip(first.expected_files()[:10], second.expected_files()[:10], strict=True)
    assert all(one.digest() == two.digest() for one, two in pairs)


def test_other_seed_other_catalog() -> None:
    """Another seed gives other files and other bytes."""
    first, second = (
        Catalog(FakeConfig(pictures=20, seed=1)),
        Catalog(FakeConfig(pictures=20, seed=2)),
    )
    assert {item.path for item in first.photo_roll} != {item.path for item in second.photo_roll}


def test_picture_count_is_exact(catalog: Catalog) -> None:
    """The photoRoll holds exactly the configured number of pictures, newest first."""
    assert len(catalog.photo_roll) == 300
    times = [item.taken_at for item in catalog.photo_roll]
    assert times == sorted(times, reverse=True)
    assert len({item.key for item in catalog.expected_files()}) == len(catalog.expected_files())


def test_formats_and_file_names(catalog: Catalog) -> None:
    """Pictures are PNG (mostly) and JPEG, frames FITS; names follow Slooh's scheme."""
    formats = Counter(item.format for item in catalog.photo_roll)
    assert formats["PNG"] > formats["JPEG"] > 0
    assert all(item.format == "FITS" for item in catalog.fits_files)
    assert all(NAME.match(item.filename) for item in catalog.expected_files())
    assert all(item.path.endswith("/" + item.filename) for item in catalog.expected_files())
    assert all(item.key == f"fits:{item.mission_id}:{item.filename}" for item in catalog.fits_files)


def test_file_names_carry_the_exposure_time(catalog: Catalog) -> None:
    """A (non-clashing) file name's date and time are the file's exposure time."""
    counts = Counter(item.filename for item in catalog.expected_files())
    for item in catalog.expected_files():
        if counts[item.filename] == 1:
            assert f"_{item.taken_at:%Y%m%d_%H%M%S}_" in item.filename


def test_fits_groups_hold_filters(catalog: Catalog) -> None:
    """Missions carry L/R/G/B and narrowband _cal frames; some two groups, some none."""
    products = {item.spec.product for item in catalog.fits_files}
    assert {"l", "r", "g", "b", "h", "o", "s", "m"} <= products
    assert all(item.filename.endswith("_cal.fit") for item in catalog.fits_files)
    assert any(len(mission.fits_groups) == 2 for mission in catalog.missions)
    assert any(not mission.fits_available for mission in catalog.missions)
    assert {group.name for mission in catalog.missions for group in mission.fits_groups} >= {
        "CCD Imager"
    }


def test_clashing_file_names(catalog: Catalog) -> None:
    """Some files of different missions share a file name, at different paths and keys."""
    by_name: dict[str, list[int]] = {}
    for item in catalog.expected_files():
        by_name.setdefault(item.filename, []).append(item.mission_id)
    clashes = [missions for missions in by_name.values() if len(missions) > 1]
    assert clashes and all(len(set(missions)) == len(missions) for missions in clashes)
    plain = Catalog(FakeConfig(clashes=False)).expected_files()
    assert len({item.filename for item in plain}) == len(plain)


def test_hostile_titles(catalog: Catalog) -> None:
    """A few missions have hostile titles; hostile_titles=False keeps only real ones."""
    hostile = {title for title, _ in HOSTILE_TITLES}
    titles = [mission.title for mission in catalog.missions]
    assert 1 <= sum(title in hostile for title in titles) <= len(titles) // 10
    tame = Catalog(FakeConfig(hostile_titles=False))
    assert not hostile & {mission.title for mission in tame.missions}


def test_titles_and_telescopes_are_real(catalog: Catalog) -> None:
    """Titles come from the legacy tracker (trailing spaces and slashes kept), telescopes too."""
    tracker = json.loads(TRACKER.read_text("utf-8"))["images"].values()
    real_titles = {entry["object_name"] for entry in tracker}
    telescopes = {entry["telescope_name"] for entry in tracker}
    hostile = {title for title, _ in HOSTILE_TITLES}
    assert {mission.title for mission in catalog.missions} <= real_titles | hostile
    assert {mission.telescope for mission in catalog.missions} <= telescopes
    everything = Catalog(FakeConfig(pictures=2000, hostile_titles=False))
    assert any(title.endswith(" ") for title in {m.title for m in everything.missions})


def test_catalog_data_matches_tracker() -> None:
    """catalog_data.json holds the tracker's 173 titles with their target codes and telescopes."""
    tracker = json.loads(TRACKER.read_text("utf-8"))["images"].values()
    data_path = Path(__file__).parents[1] / "slooh_async" / "fake_server" / "catalog_data.json"
    data = json.loads(data_path.read_text("utf-8"))
    assert len(data["titles"]) == 173
    codes = {item["title"]: item["code"] for item in data["titles"]}
    for entry in tracker:
        name = entry["download_url"].split("?")[0].rsplit("/", 1)[-1]
        assert entry["object_name"] in codes
        assert name.startswith(codes[entry["object_name"]] + "_")


def test_add_pictures_puts_newer_on_top() -> None:
    """add_pictures adds newer pictures at the top and keeps the old ones."""
    catalog = Catalog(FakeConfig(pictures=10))
    before = [item.key for item in catalog.photo_roll]
    added = catalog.add_pictures(4)
    assert [item.key for item in catalog.photo_roll] == [item.key for item in added] + before
    assert min(item.taken_at for item in added) > catalog.photo_roll[4].taken_at
    assert min(int(item.key) for item in added) > max(int(key) for key in before)


def test_sizes_follow_the_config() -> None:
    """PNG/JPEG sizes stay within the jitter; FITS sizes are whole 2880-byte blocks."""
    catalog = Catalog(FakeConfig(pictures=40, png_size=30_000, jpeg_size=20_000, fits_size=50_000))
    for item in catalog.expected_files():
        if item.format == "FITS":
            assert item.size == fits_size(50_000) and item.size % 2880 == 0
        else:
            target = 30_000 if item.format == "PNG" else 20_000
            assert 0.8 * target - 1 <= item.size <= 1.2 * target + 1
    tiny = Catalog(FakeConfig(pictures=5, file_size=10))
    assert all(item.size >= MIN_SIZE[item.format] for item in tiny.expected_files())


def test_display_formats() -> None:
    """displayDate uses AP months (Feb., Sept., May) or full names; displayTime two forms."""
    assert display_date(datetime(2026, 2, 7, tzinfo=UTC)) == "Feb. 7, 2026"
    assert display_date(datetime(2026, 2, 7, tzinfo=UTC), long_month=True) == "February 7, 2026"
    assert display_date(datetime(2026, 5, 7, tzinfo=UTC)) == "May 7, 2026"
    assert display_date(datetime(2026, 9, 7, tzinfo=UTC)) == "Sept. 7, 2026"
    assert display_time(datetime(2026, 2, 7, 20, 15, 30, tzinfo=UTC)) == "20:15:30 UTC"
    assert display_time(datetime(2026, 2, 7, 20, 15, 30, tzinfo=UTC), seconds=False) == "20:15 UTC"


# --------------------------------------------------------------------------- bodies


def spec(file_format: str, size: int, seed: int = 7) -> BodySpec:
    """A body spec with a tricky title."""
    when = datetime(2026, 1, 21, 1, 16, 58, tzinfo=UTC)
    return BodySpec(file_format, size, seed, "m42_20260121_011658_0_iycarr_b_cal.fit",
                    "Thor's Helmet (NGC 2359) ", "Canary Two", "CCD Imager", "b", when)  # fmt: skip


@pytest.mark.parametrize("size", [1024, 1029, 40_000, 65_536, 65_547, 300_001])
@pytest.mark.parametrize("file_format", ["PNG", "JPEG"])
def test_images_decode(file_format: str, size: int) -> None:
    """PNG and JPEG bodies of any size are exactly that size and decode with Pillow."""
    data = body_bytes(spec(file_format, size))
    assert len(data) == size
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.format == file_format and image.size[0] > 0


def test_png_chunks_have_valid_crcs() -> None:
    """Pillow's CRC check passes on every chunk, including the filler chunks."""
    data = body_bytes(spec("PNG", 200_000))
    with Image.open(io.BytesIO(data)) as image:
        image.verify()


@pytest.mark.parametrize("size", [5760, 66_240, 1_000_000])
def test_fits_header(size: int) -> None:
    """A FITS body has SIMPLE, BITPIX, NAXIS*, OBJECT, TELESCOP, INSTRUME, FILTER, DATE-OBS, END."""
    item = spec("FITS", fits_size(size))
    data = body_bytes(item)
    cards = fits_cards(data)
    assert cards["SIMPLE"] == "T" and cards["BITPIX"] == "16" and cards["NAXIS"] == "2"
    assert cards["OBJECT"] == "'Thor''s Helmet (NGC 2359)'"
    assert cards["TELESCOP"].startswith("'Canary Two") and cards["INSTRUME"].startswith("'CCD")
    assert cards["FILTER"].startswith("'Blue") and cards["DATE-OBS"] == "'2026-01-21T01:16:58'"
    pixels = int(cards["NAXIS1"]) * int(cards["NAXIS2"]) * 2
    header_size = int(cards["END"])
    assert len(data) % 2880 == 0 and header_size % 2880 == 0
    assert header_size + pixels <= len(data) < header_size + pixels + 2880


def test_bodies_differ_per_file() -> None:
    """Two files of the same size have different bytes; the same file the same bytes."""
    assert body_bytes(spec("PNG", 5000, seed=1)) != body_bytes(spec("PNG", 5000, seed=2))
    assert body_bytes(spec("PNG", 5000, seed=1)) == body_bytes(spec("PNG", 5000, seed=1))


def test_huge_body_in_constant_memory() -> None:
    """A 256 MB file streams in pieces of at most 256 KiB, without building it whole."""
    item = spec("FITS", fits_size(256 * 1024 * 1024))
    total = largest = 0
    for piece in iter_body(item):
        total += len(piece)
        largest = max(largest, len(piece))
    assert total == item.size and largest <= 256 * 1024


@settings(max_examples=150, deadline=None)
@given(
    file_format=st.sampled_from(["PNG", "JPEG", "FITS"]),
    size=st.integers(min_value=1024, max_value=600_000),
    data=st.data(),
)
def test_any_range_is_a_slice_of_the_whole(
    file_format: str, size: int, data: st.DataObject
) -> None:
    """body_bytes(start, end) equals the whole body sliced, for any range of any size."""
    item = spec(file_format, fits_size(size) if file_format == "FITS" else size)
    whole = body_bytes(item)
    start = data.draw(st.integers(min_value=0, max_value=item.size))
    end = data.draw(st.integers(min_value=start, max_value=item.size + 10))
    assert body_bytes(item, start, end) == whole[start:end]


def test_body_functions_take_catalog_files(catalog: Catalog) -> None:
    """body_bytes and body_digest accept a catalog file as well as its spec."""
    item = catalog.photo_roll[0]
    assert body_bytes(item, 10, 20) == body_bytes(item.spec, 10, 20) == item.body(10, 20)
    assert body_digest(item, "md5") == item.digest("md5")
