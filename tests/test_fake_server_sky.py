"""The fake server's files look like the sky: real headers, star fields, aligned R/G/B frames."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from PIL import Image

from slooh_async.fake_server import BodySpec, Catalog, FakeConfig, body_bytes
from slooh_async.fake_server._formats import fits_size
from slooh_async.media import check_content, read_fits_summary

WHEN = datetime(2026, 1, 21, 1, 16, 58, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """A small catalog of 48 KB files (the demo's size), frames of 100 KB."""
    return Catalog(FakeConfig(pictures=40, file_size=48 * 1024, fits_size=100_000))


def frame(
    product: str, scene: int = 5, seed: int = 1, size: int = 100_000, **fields: str
) -> BodySpec:
    """A FITS frame's spec."""
    values = {"title": "Orion Nebula (M42)", "telescope": "Canary Two"} | fields
    return BodySpec("FITS", fits_size(size), seed, f"m42_{product}_cal.fit", values["title"],
                    values["telescope"], "CCD Imager", product, WHEN, scene)  # fmt: skip


def pixels(spec: BodySpec) -> np.ndarray:
    """A FITS body's image as astropy reads it (BZERO applied)."""
    with fits.open(io.BytesIO(body_bytes(spec))) as hdus:
        return np.asarray(hdus[0].data, dtype=np.float64)


def brightest(image: np.ndarray, count: int = 15) -> set[tuple[int, int]]:
    """Where the ``count`` brightest local peaks are (to compare star positions)."""
    flat = np.argsort(image, axis=None)[::-1][: count * 40]
    peaks: set[tuple[int, int]] = set()
    for y, x in zip(*np.unravel_index(flat, image.shape), strict=True):
        if all(abs(y - py) > 3 or abs(x - px) > 3 for py, px in peaks):
            peaks.add((int(y), int(x)))
        if len(peaks) == count:
            break
    return peaks


def test_every_file_is_valid_for_astropy_pillow_and_verify(
    catalog: Catalog, tmp_path: Path
) -> None:
    """Every picture decodes with Pillow, every frame's header reads with astropy, and every
    file passes the content check ``slooh verify`` runs."""
    for item in catalog.expected_files():
        path = tmp_path / item.filename
        path.write_bytes(item.body())
        assert check_content(path, item.format, item.size) == [], item.filename
        if item.format == "FITS":
            summary = read_fits_summary(path)
            assert summary.object == item.title.strip()[:60] or item.title.strip() == ""
            assert summary.date_obs == item.taken_at and summary.exptime
            assert summary.ra_deg is not None and summary.naxis1 and summary.bitpix == 16
        else:
            with Image.open(path) as image:
                image.load()


def test_frame_headers_carry_the_observation() -> None:
    """A frame names its filter, telescope and target; the Canaries add OBJCTRA/OBJCTDEC,
    Chile a WCS, all pointing where RA/DEC say, the same for every frame of a target."""
    spots = []
    for telescope in ("Canary Two", "Chile One", "Australia One"):
        header = fits.Header.fromstring(body_bytes(frame("r", telescope=telescope), 0, 2880))
        assert header["FILTER"] == "Red" and header["TELESCOP"] == telescope
        assert ("OBJCTRA" in header) == telescope.startswith("Canary")
        assert ("CRVAL1" in header) == telescope.startswith("Chile")
        spots.append((header["RA"], header["DEC"]))
    assert len(set(spots)) == 1
    other = fits.Header.fromstring(body_bytes(frame("r", title="Crab Nebula (M1)"), 0, 2880))
    assert (other["RA"], other["DEC"]) != spots[0]


def test_rgb_frames_of_a_mission_share_their_stars() -> None:
    """The R, G and B frames of one mission have one size and their brightest stars in the
    same places; another object's frame has another field."""
    red, green, blue = (pixels(frame(band, seed=n)) for n, band in enumerate("rgb"))
    assert red.shape == green.shape == blue.shape == (221, 221)
    stars = brightest(red)
    assert len(stars & brightest(green)) >= 10 and len(stars & brightest(blue)) >= 8
    assert len(stars & brightest(pixels(frame("r", title="Crab Nebula (M1)")))) <= 3


def test_missions_of_an_object_show_its_sky_shifted() -> None:
    """Two missions of one object show the same field, moved by their pointing: the frames
    differ, but one shifted onto the other matches."""
    first, second = pixels(frame("l", scene=5)), pixels(frame("l", scene=6))
    spectrum = np.fft.fft2(first - first.mean()).conj() * np.fft.fft2(second - second.mean())
    peak = np.unravel_index(np.fft.ifft2(spectrum).real.argmax(), first.shape)
    dy, dx = ((p + n // 2) % n - n // 2 for p, n in zip(peak, first.shape, strict=True))
    assert (dy, dx) != (0, 0)
    moved = np.roll(first, (dy, dx), axis=(0, 1))[30:-30, 30:-30]
    assert np.corrcoef(moved.ravel(), second[30:-30, 30:-30].ravel())[0, 1] > 0.8
    assert np.corrcoef(first.ravel(), second.ravel())[0, 1] < 0.6


def test_frames_look_like_sky() -> None:
    """A frame is a dark noisy background (sky counts) with much brighter stars."""
    image = pixels(frame("l"))
    background = float(np.percentile(image, 10))
    assert 1050 < background < 1400
    assert 5 < float(np.std(image[image < background + 100])) < 60
    assert float(image.max()) > background + 5000


def test_big_frame_renders_a_band_then_empty_sky() -> None:
    """A 3 MB frame is one valid image: its top rows hold stars, the rest empty sky, and
    astropy reads the whole array of the size its header gives."""
    image = pixels(frame("r", size=3_000_000))
    assert image.shape == (1224, 1224)
    top, rest = image[:200], image[400:]
    assert top.max() > np.median(top) + 3000
    assert abs(float(np.median(rest)) - 900) < 20 and rest.max() < 1100


@pytest.mark.parametrize(("size", "side"), [(64 * 1024, 256), (40_000, 128), (1024, 16)])
def test_pictures_are_as_large_as_the_file_allows(size: int, side: int) -> None:
    """A picture's image is the largest that fits its size: 256 px for 64 KB, smaller for
    small files, and still a picture at the 1 KB minimum."""
    spec = BodySpec("PNG", size, 3, "m42_lrgb.png", "Orion Nebula (M42)", "Canary Two",
                    "CCD Imager", "lrgb", WHEN, 5)  # fmt: skip
    with Image.open(io.BytesIO(body_bytes(spec))) as image:
        assert image.mode == "RGB" and image.size[0] >= side and image.size[0] == image.size[1]


def test_pictures_show_a_dark_sky_with_a_target() -> None:
    """A colour picture has a dark background and bright, coloured structure; a one-filter
    picture is grey."""
    spec = BodySpec("PNG", 64 * 1024, 3, "m42_lrgb.png", "Orion Nebula (M42)", "Canary Two",
                    "CCD Imager", "lrgb", WHEN, 5)  # fmt: skip
    with Image.open(io.BytesIO(body_bytes(spec))) as image:
        rgb = np.asarray(image.convert("RGB"), dtype=np.float64)
    assert np.median(rgb) < 50 and rgb.max() > 200
    assert np.abs(rgb[..., 0] - rgb[..., 2]).max() > 40  # a red nebula, blue stars
    grey = BodySpec("JPEG", 30_000, 3, "m42_h.jpg", "Orion Nebula (M42)", "Canary Two",
                    "CCD Imager", "h", WHEN, 5)  # fmt: skip
    with Image.open(io.BytesIO(body_bytes(grey))) as image:
        assert image.mode == "L"
