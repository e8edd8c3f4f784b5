"""FITS headers with astropy: the summary of a frame, and the check of a ``.fit`` file."""

from __future__ import annotations

import subprocess
import sys
import threading
import warnings
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from astropy.io import fits

from slooh_async.media import (
    FitsHeaderError,
    FitsSummary,
    check_content,
    check_fits_file,
    inspect_fits,
    read_fits_summary,
    read_header,
)


def write_fits(path: Path, cards: dict[str, Any], shape: tuple[int, int] = (12, 10)) -> Path:
    """A real FITS file (written by astropy) with a 16-bit image and ``cards``."""
    hdu = fits.PrimaryHDU(np.zeros(shape, dtype=np.int16))
    for keyword, value in cards.items():
        hdu.header[keyword] = value
    hdu.writeto(path)
    return path


def raw_fits(cards: list[str], data_bytes: int = 0) -> bytes:
    """A FITS file from raw 80-character cards (to write what astropy never would)."""
    header = "".join(card.ljust(80) for card in cards).encode("ascii")
    header += b" " * (-len(header) % 2880)
    return header + bytes(data_bytes + (-data_bytes % 2880))


FULL = {
    "DATE-OBS": "2026-01-21T01:16:58.250",
    "EXPTIME": 120.0,
    "FILTER": "  Red ",
    "OBJECT": "Orion Nebula (M42)",
    "TELESCOP": "Canary Two",
    "INSTRUME": "CCD Imager",
    "RA": 83.8221,
    "DEC": -5.3911,
}


# --------------------------------------------------------------------------- summary


def test_summary_reads_every_field(tmp_path: Path) -> None:
    """Every field comes from its card; text is stripped, the date is UTC, sizes are ints."""
    summary = read_fits_summary(write_fits(tmp_path / "a.fit", FULL, shape=(30, 40)))
    assert summary == FitsSummary(
        date_obs=datetime(2026, 1, 21, 1, 16, 58, 250000, tzinfo=UTC),
        exptime=120.0,
        filter="Red",
        object="Orion Nebula (M42)",
        telescope="Canary Two",
        instrument="CCD Imager",
        ra_deg=83.8221,
        dec_deg=-5.3911,
        naxis1=40,
        naxis2=30,
        bitpix=16,
    )


@pytest.mark.parametrize(
    ("cards", "expected"),
    [
        ({"OBJCTRA": "05 35 17.3", "OBJCTDEC": "-05 23 28"}, (83.82208, -5.39111)),
        ({"RA": "05:35:17.3", "DEC": "-05:23:28"}, (83.82208, -5.39111)),
        ({"RA": 400.5, "DEC": 10.0}, (40.5, 10.0)),
        ({"RA": 10.0, "OBJCTRA": "01 00 00", "OBJCTDEC": "+20 00 00"}, (15.0, 20.0)),
        (
            {"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRVAL1": 10.5, "CRVAL2": 41.2},
            (10.5, 41.2),
        ),
        ({"CTYPE1": "GLON-CAR", "CTYPE2": "GLAT-CAR", "CRVAL1": 10.5, "CRVAL2": 41.2}, None),
        ({"CRVAL1": 10.5, "CRVAL2": 41.2}, None),
        ({"RA": 10.0, "DEC": 95.0}, None),
        ({"OBJCTRA": "not an angle", "OBJCTDEC": "-05 23 28"}, None),
    ],
)
def test_coordinates_and_their_fallbacks(
    tmp_path: Path, cards: dict[str, Any], expected: tuple[float, float] | None
) -> None:
    """RA/DEC (degrees or sexagesimal) first, then OBJCTRA/OBJCTDEC, then a celestial WCS;
    a pair is used only when both halves parse and Dec is within +-90."""
    summary = read_fits_summary(write_fits(tmp_path / "a.fit", cards))
    found = None if summary.ra_deg is None else (summary.ra_deg, summary.dec_deg)
    assert found == (pytest.approx(expected, abs=1e-4) if expected else None)
    assert (summary.ra_deg is None) == (summary.dec_deg is None)


def test_date_only_is_completed_by_time_obs(tmp_path: Path) -> None:
    """An old-style DATE-OBS holding a date only takes its time from TIME-OBS."""
    path = write_fits(tmp_path / "a.fit", {"DATE-OBS": "2025-11-17", "TIME-OBS": "23:49:30"})
    assert read_fits_summary(path).date_obs == datetime(2025, 11, 17, 23, 49, 30, tzinfo=UTC)
    odd = write_fits(tmp_path / "b.fit", {"DATE-OBS": "17/11/25", "EXPTIME": -3.0})
    assert read_fits_summary(odd).date_obs is None and read_fits_summary(odd).exptime is None


def test_image_in_first_extension(tmp_path: Path) -> None:
    """With NAXIS = 0 in the primary, the image's sizes come from the first extension and
    the primary's own cards win over the extension's."""
    primary = fits.PrimaryHDU()
    primary.header["OBJECT"] = "M31"
    image = fits.ImageHDU(np.zeros((7, 9), dtype=np.float32))
    image.header["OBJECT"] = "ignored"
    image.header["EXPTIME"] = 60.0
    fits.HDUList([primary, image]).writeto(tmp_path / "a.fit")
    summary = read_fits_summary(tmp_path / "a.fit")
    assert (summary.object, summary.exptime) == ("M31", 60.0)
    assert (summary.naxis1, summary.naxis2, summary.bitpix) == (9, 7, 8)


def test_garbled_card_hides_nothing_else(tmp_path: Path) -> None:
    """A card astropy cannot parse is skipped, silently; the other cards are read."""
    cards = ["SIMPLE  =                    T", "BITPIX  =                   16",
             "NAXIS   =                    0", "EXPTIME = 30.0.0 / garbled",
             "FILTER  = 'Blue    '", "FOO     = 'unterminated", "END"]  # fmt: skip
    path = tmp_path / "a.fit"
    path.write_bytes(raw_fits(cards))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = read_fits_summary(path)
        assert check_fits_file(path, path.stat().st_size) == []
    assert (summary.exptime, summary.filter) == (None, "Blue")
    assert caught == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (raw_fits(["SIMPLE  =                    T", "BITPIX  =  8"]), "no END card"),
        (b"", "empty"),
        (b"<html>" + b" " * 3000, "cannot be read"),
    ],
)
def test_unreadable_header_raises_one_line(tmp_path: Path, content: bytes, reason: str) -> None:
    """A missing END, an empty file or a non-FITS file raise FitsHeaderError, one line."""
    path = tmp_path / "a.fit"
    path.write_bytes(content)
    with pytest.raises(FitsHeaderError, match=reason) as raised:
        read_fits_summary(path)
    assert "\n" not in str(raised.value)
    with pytest.raises(FitsHeaderError, match="missing"):
        read_fits_summary(tmp_path / "gone.fit")


def test_read_header_gives_the_summary_or_the_reason(tmp_path: Path) -> None:
    """read_header: a readable frame's summary; for one that is not, the one-line reason
    read_fits_summary raises (what the tracker stores), never an exception."""
    good = write_fits(tmp_path / "a.fit", FULL)
    assert read_header(good) == read_fits_summary(good)
    bad = tmp_path / "b.fit"
    bad.write_bytes(raw_fits(["SIMPLE  =                    T", "BITPIX  =  8"]))
    with pytest.raises(FitsHeaderError) as raised:
        read_fits_summary(bad)
    assert read_header(bad) == str(raised.value) and "no END card" in str(raised.value)
    assert "missing" in str(read_header(tmp_path / "gone.fit"))


def test_summary_json_round_trip(tmp_path: Path) -> None:
    """to_json gives JSON-ready values; from_json restores the summary and ignores extras."""
    summary = read_fits_summary(write_fits(tmp_path / "a.fit", FULL))
    data = summary.to_json()
    assert data["date_obs"] == "2026-01-21T01:16:58.250000+00:00"
    assert FitsSummary.from_json({**data, "from_the_future": 1}) == summary
    assert FitsSummary.from_json({}) == FitsSummary()


# --------------------------------------------------------------------------- the check


def test_check_accepts_astropy_files_with_extensions(tmp_path: Path) -> None:
    """A multi-extension file astropy wrote passes; cutting its last extension short is
    reported with the bytes it needs."""
    hdus = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((50, 50), dtype=np.int32))])
    hdus.writeto(tmp_path / "a.fit")
    whole = (tmp_path / "a.fit").read_bytes()
    assert check_content(tmp_path / "a.fit", "FITS", len(whole)) == []
    (tmp_path / "cut.fit").write_bytes(whole[: -2880 * 2])
    needed = 2880 * 2 + 50 * 50 * 4
    assert check_fits_file(tmp_path / "cut.fit", len(whole) - 5760) == [
        f"FITS data is cut short: header and data need {needed} bytes, file has {len(whole) - 5760}"
    ]


@pytest.mark.parametrize(
    ("cards", "problem"),
    [
        (["BITPIX  =                   12", "NAXIS   =                    0"], "invalid BITPIX 12"),
        (["BITPIX  =                  'a'", "NAXIS   =                    0"], "unreadable BITPIX"),
        (["BITPIX  =                    8", "NAXIS   =                    1"], "no valid NAXIS1"),
        (["BITPIX  =                    8"], "no NAXIS card"),
        (
            ["BITPIX  =                    8", "NAXIS   =                    1",
             "NAXIS1  =                    9", "GCOUNT  =                  'x'"],
            "unreadable GCOUNT",
        ),
    ],
)  # fmt: skip
def test_check_names_bad_mandatory_cards(tmp_path: Path, cards: list[str], problem: str) -> None:
    """A bad BITPIX, NAXIS or NAXISn (or a GCOUNT that leaves the data's size unknown) is
    one line naming the card."""
    path = tmp_path / "a.fit"
    path.write_bytes(raw_fits(["SIMPLE  =                    T", *cards, "END"]))
    problems = check_fits_file(path, path.stat().st_size)
    assert len(problems) == 1 and problem in problems[0]


def test_check_sizes_a_compressed_image_by_its_table(tmp_path: Path) -> None:
    """A tile-compressed image passes: its data are the table the file holds, not the image
    once decompressed (astropy's ``CompImageHDU.size``); cutting the table short is named."""
    image = np.arange(6000, dtype=np.int16).reshape(60, 100)
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(image)]).writeto(tmp_path / "a.fit")
    whole = (tmp_path / "a.fit").read_bytes()
    assert check_fits_file(tmp_path / "a.fit", len(whole)) == []
    with fits.open(tmp_path / "a.fit", disable_image_compression=True) as hdus:
        needed = hdus[1].fileinfo()["datLoc"] + hdus[1].size
    (tmp_path / "cut.fit").write_bytes(whole[: needed - 100])
    assert check_fits_file(tmp_path / "cut.fit", needed - 100) == [
        f"FITS data is cut short: header and data need {needed} bytes, file has {needed - 100}"
    ]


def _frame(path: Path, name: str) -> None:
    """A FITS file for :func:`test_inspect_is_the_check_and_the_summary_in_one_pass`."""
    hdus = [fits.PrimaryHDU(), fits.ImageHDU(np.ones((50, 50), dtype=np.int32))]
    if name == "primary":
        write_fits(path, FULL)
    elif name in ("extensions", "cut"):
        fits.HDUList([*hdus, fits.ImageHDU(np.ones((3, 5)))]).writeto(path)
        path.write_bytes(path.read_bytes()[: -8000 if name == "cut" else None])
    elif name == "garbage":  # no image in the primary, and no header after it
        cards = ["SIMPLE  =                    T", "BITPIX  =                    8",
                 "NAXIS   =                    0", "END"]  # fmt: skip
        path.write_bytes(raw_fits(cards) + b"\x00" * 3000)
    elif name == "no-end":
        path.write_bytes(raw_fits(["SIMPLE  =                    T"]))
    else:
        path.write_bytes(b"<html>" + b" " * 3000)


@pytest.mark.parametrize("name", ["primary", "extensions", "cut", "no-end", "html", "garbage"])
def test_inspect_is_the_check_and_the_summary_in_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """inspect_fits gives check_fits_file's problems and read_fits_summary's summary (or its
    reason), opening the file once and parsing each header once; a file that does not start
    like FITS is not parsed (its problem is the reason)."""
    path = tmp_path / "a.fit"
    _frame(path, name)
    size = path.stat().st_size
    try:
        expected: FitsSummary | str = read_fits_summary(path)
    except FitsHeaderError as exc:
        expected = str(exc)
    problems = check_fits_file(path, size)
    opened: list[Path] = []
    parsed: list[int] = []
    real_open, real_fromfile = Path.open, fits.Header.fromfile

    def counting_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        opened.append(self)
        return real_open(self, *args, **kwargs)

    def counting_fromfile(fileobj: Any) -> fits.Header:
        parsed.append(fileobj.tell())
        return real_fromfile(fileobj)

    monkeypatch.setattr(Path, "open", counting_open)
    monkeypatch.setattr(fits.Header, "fromfile", counting_fromfile)
    found, summary = inspect_fits(path, size)
    assert found == problems
    assert summary == (problems[0] if name == "html" else expected)
    assert opened == [path] and len(parsed) == len(set(parsed))
    assert len(parsed) == {"extensions": 3, "cut": 2, "garbage": 2, "html": 0}.get(name, 1)


def test_concurrent_checks_leave_warning_filters_alone(tmp_path: Path) -> None:
    """Checks from many threads at once (the engine's workers) neither leak a warning nor
    leave astropy's warnings silenced for the rest of the process."""
    path = tmp_path / "cut.fit"
    path.write_bytes(raw_fits(["SIMPLE  =                    T", "BITPIX  =                   16",
                               "NAXIS   =                    1", "NAXIS1  =                 9000",
                               "END"])[:5760])  # fmt: skip
    before = list(warnings.filters)
    results: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(check_fits_file(path, 5760)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and all("cut short" in result[0] for result in results)
    assert warnings.filters == before


def test_astropy_is_loaded_only_for_fits(tmp_path: Path) -> None:
    """Importing the CLI and checking a PNG load neither astropy nor numpy (~0.3 s saved)."""
    png = tmp_path / "a.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + b"\x00" * 30 + b"IEND")
    code = (
        "import sys, pathlib; import slooh_async.cli; from slooh_async.media import check_content;"
        f"assert check_content(pathlib.Path({str(png)!r}), 'PNG', {png.stat().st_size}) == [];"
        "print(sorted(m for m in ('astropy', 'numpy') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


def test_media_and_gallery_export_their_public_names() -> None:
    """``__all__`` of media lists exactly its public names; every name of the gallery's
    ``__all__`` (loaded lazily) exists."""
    import slooh_async.gallery as gallery
    import slooh_async.media as media

    public = {
        name
        for name in dir(media)
        if not name.startswith("_") and not isinstance(getattr(media, name), ModuleType)
    }
    assert set(media.__all__) == public - {"annotations"}
    assert all(getattr(gallery, name) is not None for name in gallery.__all__)
