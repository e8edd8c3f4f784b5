"""The gallery from hand-made records: hostile names, odd paths, composites, missing and
damaged files, incremental rebuilds. (test_gallery.py builds one from a real download.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.io import fits
from gallery_support import file_index, gallery_pages, mtimes, read_page
from PIL import Image

from slooh_async.gallery import GALLERY_DIR, GalleryReport, build_gallery, write_gallery
from slooh_async.gallery._pages import declination, duration, human_bytes, right_ascension
from slooh_async.media import FitsSummary, read_fits_summary
from slooh_async.tracker import ImageRecord, Tracker

WHEN = datetime(2026, 1, 21, 1, 16, 58, tzinfo=UTC)
HOSTILE = "<script>alert(\"pwned\")</script> & 'Orion' ../../etc/passwd 🌌"
LONG = "The Extraordinarily Long Named Galaxy Cluster " * 7 + "(NGC 9999)"


class Library:
    """A library folder and the records its tracker holds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.records: list[ImageRecord] = []

    def add(self, rel: str, content: bytes | None, **fields: Any) -> ImageRecord:
        """Write a file (unless ``content`` is None: a missing file) and record it."""
        path = self.root / rel
        if content is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        fits_file = rel.endswith(".fit")
        values: dict[str, Any] = {
            "key": f"k{len(self.records)}",
            "status": "done",
            "kind": "fits" if fits_file else "picture",
            "format": "FITS" if fits_file else ("PNG" if rel.endswith(".png") else "JPEG"),
            "filename": path.name,
            "path": path,
            "size": len(content) if content is not None else 100,
            "telescope": "Canary Two",
            "instrument": "CCD Imager",
            "observed_at": WHEN,
        }
        record = ImageRecord(**(values | fields))
        self.records.append(record)
        return record

    def tracker(self) -> Tracker:
        """The library's tracker (opened as ``slooh gallery`` opens it), holding exactly the
        records so far and one finished download session."""
        tracker = Tracker.open(self.root / ".slooh" / "tracker.sqlite3", base_path=self.root,
                               lock=False)  # fmt: skip
        keys = {record.key for record in self.records}
        tracker.forget([r.key for r in tracker.iter_records() if r.key not in keys])
        tracker.import_records(self.records)
        if not tracker.sessions():
            session = tracker.start_session("download")
            tracker.finish_session(session, "completed", downloaded=5, failed=0, skipped=0,
                                   bytes=9)  # fmt: skip
        return tracker

    def build(self, **options: Any) -> GalleryReport:
        """Build the gallery of every record so far (serially unless asked)."""
        with self.tracker() as tracker:
            return build_gallery(tracker, **({"workers": 1} | options))


def picture(colour: tuple[int, int, int] = (200, 40, 40), fmt: str = "PNG") -> bytes:
    """A small real picture."""
    from io import BytesIO

    buffer = BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format=fmt)
    return buffer.getvalue()


def frame(exptime: float, shape: tuple[int, int] = (24, 32), band: str = "Red") -> bytes:
    """A small real FITS frame with a star."""
    from io import BytesIO

    data = np.random.default_rng(1).normal(1000, 10, shape).astype(np.float32)
    data[shape[0] // 2, shape[1] // 2] = 9000
    hdu = fits.PrimaryHDU(data)
    hdu.header.update({"EXPTIME": exptime, "FILTER": band, "DATE-OBS": WHEN.isoformat()[:19]})
    hdu.header.update({"RA": 83.82, "DEC": -5.39, "OBJECT": "<script>alert('fits')</script>"})
    buffer = BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


@pytest.fixture
def library(tmp_path: Path) -> Library:
    """A library with a hostile-named object (a mission with R, G, B frames and a picture)
    and a long-named one whose files sit under awkward paths."""
    lib = Library(tmp_path / "lib")
    for band, seconds in (("R", 60.0), ("G", 90.0), ("B", 120.0)):
        lib.add(f"Hostile/FITS/x_{band.lower()}.fit", frame(seconds, band=band),
                object_name=HOSTILE, title=HOSTILE, mission_id=7, filter=band)  # fmt: skip
    lib.add("Hostile/Pictures/x lrgb.png", picture(), object_name=HOSTILE, title=HOSTILE,
            mission_id=7, filter="LRGB", telescope='Tele"scope <b>')  # fmt: skip
    earlier = WHEN - timedelta(days=40)
    lib.add("Long/odd #1 100% ?.jpg", picture((20, 20, 200), "JPEG"), object_name=LONG,
            title=LONG, mission_id=8, filter="L", observed_at=earlier)  # fmt: skip
    lib.add("Long/Ωmega ünïcode.png", picture((20, 200, 20)), object_name=LONG, title=LONG,
            mission_id=8, filter="Ha", observed_at=earlier)  # fmt: skip
    return lib


def object_pages(root: Path) -> list[Path]:
    """The object pages of a built gallery."""
    return sorted((root / GALLERY_DIR / "objects").glob("*.html"))


# --------------------------------------------------------------------------- escaping, links


def test_hostile_names_are_escaped_everywhere(library: Library) -> None:
    """A title with markup, quotes, ../ and emoji shows as text on every page and in the
    index, never as markup; the only scripts are the gallery's own files."""
    library.build()
    for page in gallery_pages(library.root):
        raw = page.path.read_text("utf-8")
        assert "<script>alert" not in raw and "<b>" not in raw, page.path.name
        assert page.inline_scripts == 0 and not page.unclosed, page.path.name
        assert all(src.endswith(("files-index.js", "files.js")) for src in page.scripts)
    home = read_page(library.root / "index.html")
    assert any(HOSTILE in text for text in home.text)
    objects = {row["object"] for row in file_index(library.root)}
    assert objects == {HOSTILE, LONG}
    assert all(re.fullmatch(r"[a-z0-9-]+\.html", page.name) for page in object_pages(library.root))


def test_every_link_resolves_even_with_odd_paths(library: Library) -> None:
    """Spaces, #, %, ? and non-ASCII in file names are percent-encoded: every href and src of
    every page is relative and names an existing file."""
    library.build()
    pages = gallery_pages(library.root)
    targets = [target for page in pages for target in page.targets()]
    assert all(target.exists() for target in targets), [t for t in targets if not t.exists()]
    for record in library.records:
        assert record.path is not None and record.path.resolve() in targets, record.path


def test_long_names_keep_pages_short_and_unique(library: Library) -> None:
    """A 300-character object name gets a short page name; its full name is on its page."""
    library.build()
    long_page = next(p for p in object_pages(library.root) if p.name.startswith("the-extra"))
    assert len(long_page.name) < 70
    assert LONG in read_page(long_page).text


# --------------------------------------------------------------------------- content


def test_rgb_frames_of_one_size_make_a_colour_composite(library: Library) -> None:
    """A mission with R, G and B frames of one size gets a colour composite (an RGB JPEG);
    one whose frames differ in size gets none."""
    library.add("Odd/r.fit", frame(10, (20, 20)), object_name="Odd", mission_id=9, filter="R")
    library.add("Odd/g.fit", frame(10, (20, 20)), object_name="Odd", mission_id=9, filter="G")
    library.add("Odd/b.fit", frame(10, (24, 20)), object_name="Odd", mission_id=9, filter="B")
    library.build()
    pages = {p.name.split("-")[0]: read_page(p) for p in object_pages(library.root)}
    composites = [src for src, alt in pages["script"].images if alt.endswith("B frames")]
    assert len(composites) == 1
    with Image.open(pages["script"].path.parent / composites[0]) as image:
        assert image.mode == "RGB" and image.format == "JPEG"
    assert not [src for src, alt in pages["odd"].images if alt.endswith("B frames")]


def test_exposure_comes_from_the_headers(library: Library) -> None:
    """Each frame's exposure in the index is its EXPTIME; the object's integration is their
    sum, shown on its page and the home page."""
    library.build()
    rows = {row["key"]: row for row in file_index(library.root)}
    assert [rows[f"k{n}"]["exposure"] for n in range(3)] == [60.0, 90.0, 120.0]
    assert rows["k3"]["exposure"] is None  # a picture has none
    hostile_page = next(p for p in object_pages(library.root) if p.name.startswith("script"))
    assert "4.5 min" in read_page(hostile_page).text
    assert "4.5 min" in read_page(library.root / "index.html").text


def test_stats_and_gallery_count_integration_by_one_rule(tmp_path: Path) -> None:
    """slooh stats and the gallery group frames alike: a frame without an object name by its
    title, a blank filter by its header's FILTER; filters most exposure first, then most
    frames (not by name)."""
    lib = Library(tmp_path / "lib")
    for name, band, header_band, seconds in (
        ("b", "B", "Blue", 60.0), ("r1", "R", "Red", 30.0), ("r2", "R", "Red", 30.0),
        ("lum", " ", "Luminance", 45.0),
    ):  # fmt: skip
        lib.add(f"Comet/{name}.fit", frame(seconds, band=header_band), object_name="",
                title=" Comet C/2025 X ", mission_id=9, filter=band)  # fmt: skip
    expected = {"R": (2, 60.0), "B": (1, 60.0), "Luminance": (1, 45.0)}
    with lib.tracker() as tracker:
        frames = {r.key: read_fits_summary(lib.root / "Comet" / r.filename) for r in lib.records}
        tracker.store_fits_headers(frames)
        stats = tracker.stats().to_json()
    assert stats["total_objects"] == 1 and list(stats["by_object"]) == ["Comet C/2025 X"]
    by_filter = stats["by_object"]["Comet C/2025 X"]["by_filter"]
    assert {k: (v["frames"], v["exposure_seconds"]) for k, v in by_filter.items()} == expected
    assert list(by_filter) == list(stats["by_filter"]) == list(expected)
    lib.build()
    (page,) = [read_page(path) for path in object_pages(lib.root)]
    assert "Comet C/2025 X" in page.text
    chips = [text for text in page.text if " × · " in text]
    assert chips == [f"{band}: {n} × · {duration(s)}" for band, (n, s) in expected.items()]


def test_stored_headers_are_used_instead_of_the_files(library: Library) -> None:
    """Headers the tracker holds (a download read them) are not read again and win; the
    others are read once (the backfill) and stored in the tracker, by key."""
    given = {"k0": FitsSummary(exptime=600.0, filter="Red", naxis1=32, naxis2=24)}
    with library.tracker() as tracker:
        assert tracker.store_fits_headers(given) == 1
    report = library.build()
    assert report.headers_read == report.headers_stored == 2
    with library.tracker() as tracker:
        summaries = tracker.fits_summaries()
    assert summaries["k0"].exptime == 600.0 and set(summaries) == {"k0", "k1", "k2"}
    assert {row["key"]: row["exposure"] for row in file_index(library.root)}["k0"] == 600.0


def test_an_old_header_cache_is_removed(library: Library) -> None:
    """The header cache of earlier versions (.slooh/gallery/fits-headers.json) is not read
    (the tracker holds the headers) and the next build removes it."""
    old = library.root / GALLERY_DIR / "fits-headers.json"
    old.parent.mkdir(parents=True)
    old.write_text('{"version": 1, "summaries": {}}', "utf-8")
    report = library.build()
    assert not old.exists() and report.headers_read == 3


def test_missing_file_is_listed_but_not_linked(library: Library) -> None:
    """A done record whose file is gone stays in the table (no URL) and shows as missing."""
    library.add("Gone/away.png", None, object_name="Gone")
    library.build()
    row = next(row for row in file_index(library.root) if row["object"] == "Gone")
    assert row["url"] is None and row["path"] == "Gone/away.png"
    page = read_page(next(p for p in object_pages(library.root) if p.name.startswith("gone")))
    assert "file missing" in page.text and all("away" not in url for _, url in page.links)
    assert "Missing" in read_page(library.root / "index.html").text


def test_damaged_files_are_problems_not_failures(library: Library) -> None:
    """An unreadable FITS header and an undecodable picture are reported, once; the pages
    are still built, with placeholders; a rebuild does not read the bad header again."""
    library.add("Bad/bad.fit", b"SIMPLE  =                    T".ljust(5760), object_name="Bad")
    library.add("Bad/bad.png", b"\x89PNG\r\n\x1a\nnot really", object_name="Bad")
    report = library.build()
    assert len(report.problems) == 2
    assert any("bad.fit" in p and "END" in p for p in report.problems)
    assert any("bad.png" in p for p in report.problems)
    page = read_page(next(p for p in object_pages(library.root) if p.name.startswith("bad")))
    assert page.text.count("no preview") == 2
    assert library.build().headers_read == 0


def test_index_name_is_configurable_and_checked(library: Library) -> None:
    """The home page may have another name (every page links to it); a path is refused."""
    library.build(index_name="sky.html")
    assert (library.root / "sky.html").exists() and not (library.root / "index.html").exists()
    files_page = read_page(library.root / GALLERY_DIR / "files.html")
    assert any(url.endswith("sky.html") for _, url in files_page.links)
    for bad in ("", "../sky.html", "sub/sky.html", ".hidden.html"):
        with pytest.raises(ValueError, match="plain file name"):
            library.build(index_name=bad)


def test_charts_are_inline_svg_from_the_data(library: Library) -> None:
    """The home page carries its charts as inline SVG: a column per month, a bar per
    telescope, and top objects linking to their pages."""
    library.build()
    html = (library.root / "index.html").read_text("utf-8")
    assert html.count("<svg") == 4 and "<img" in html
    months = re.findall(r"<title>(\d{4}-\d{2}): (\d+) pictures, (\d+) FITS frames</title>", html)
    assert months == [("2025-12", "2", "0"), ("2026-01", "1", "3")]
    home = read_page(library.root / "index.html")
    assert [url for tag, url in home.links if tag == "a" and "objects/" in url]


# --------------------------------------------------------------------------- incremental


def test_rebuild_with_nothing_new_touches_nothing(library: Library) -> None:
    """A second build writes no page, makes no preview, reads no header: mtimes unchanged."""
    first = library.build()
    assert first.previews_made == 7 and first.pages_written > 0
    before = mtimes(library.root)
    second = library.build()
    assert (second.pages_written, second.previews_made, second.headers_read) == (0, 0, 0)
    assert second.previews_kept == 7 and mtimes(library.root) == before


def test_files_that_leave_take_their_previews_and_pages(library: Library) -> None:
    """Files dropped from the tracker lose their previews; an object left with no file
    loses its page; the other object's page is not rewritten."""
    library.build()
    long_page = next(p for p in object_pages(library.root) if p.name.startswith("the-extra"))
    kept_mtime = long_page.stat().st_mtime_ns
    library.records = [r for r in library.records if r.object_name == LONG]
    report = library.build()
    assert report.previews_removed == 5 and report.pages_removed == 1
    assert object_pages(library.root) == [long_page]
    assert long_page.stat().st_mtime_ns == kept_mtime
    assert len(list((library.root / GALLERY_DIR / "previews").rglob("*.jpg"))) == 2


def test_a_build_lists_the_previews_folder_once(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What previews exist and which are stale come from one listing of the previews folder
    per build (it holds one file per picture and frame of the library)."""
    library.build()
    folder = library.root / GALLERY_DIR / "previews"
    listed: list[Any] = []
    real = os.scandir

    def scandir(path: Any = ".") -> Any:
        if isinstance(path, str | os.PathLike) and Path(path) == folder:
            listed.append(path)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    library.records = library.records[:-1]
    report = library.build()
    assert report.previews_removed == 1 and report.previews_kept == 6 and len(listed) == 1


def test_a_changed_file_gets_a_new_preview(library: Library) -> None:
    """A file replaced by other content (same path) is previewed again; the old preview goes."""
    library.build()
    path = library.records[3].path
    assert path is not None
    path.write_bytes(picture((10, 200, 200)))
    report = library.build()
    assert (report.previews_made, report.previews_removed) == (1, 1)


def test_progress_reports_every_phase(library: Library) -> None:
    """progress(phase, done, total) is called for headers, previews and pages, ending full."""
    calls: list[tuple[str, int, int]] = []
    library.build(progress=lambda *call: calls.append(call))
    last = {phase: (done, total) for phase, done, total in calls}
    assert last["headers"] == (3, 3) and last["previews"] == (7, 7)
    assert last["pages"][0] == last["pages"][1] > 0


def test_noop_rebuild_imports_no_image_library(library: Library) -> None:
    """A rebuild with nothing new loads neither astropy, numpy nor Pillow (that is what keeps
    it under a second on a big library)."""
    library.build()
    code = (
        "import sys; from pathlib import Path; from slooh_async.gallery import build_gallery;"
        f"from slooh_async.tracker import Tracker; root = Path({str(library.root)!r});"
        "tracker = Tracker.open(root / '.slooh' / 'tracker.sqlite3', base_path=root, lock=False);"
        "report = build_gallery(tracker); tracker.close();"
        "loaded = [m for m in ('astropy', 'numpy', 'PIL') if m in sys.modules];"
        "print(report.previews_made, loaded)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "0 []"


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("function", "value", "text"),
    [
        (duration, 45.0, "45 s"),
        (duration, 270.0, "4.5 min"),
        (duration, 600.0, "10 min"),
        (duration, 59.7, "1 min"),  # as slooh stats says it, not "60 s"
        (duration, 3600.0, "1 h"),
        (duration, 7500.0, "2 h 05 min"),
        (duration, None, "—"),
        (human_bytes, 999, "999 B"),
        (human_bytes, 7_500_000, "7.5 MB"),
        (right_ascension, 83.82208, "05h 35m 17s"),
        (declination, -5.39111, "−05° 23′ 28″"),
    ],
)
def test_formats(function: Callable[[Any], str], value: Any, text: str) -> None:
    """Exposure, sizes and coordinates read as astronomers write them."""
    assert function(value) == text


def test_an_empty_library_still_has_a_home_page(tmp_path: Path) -> None:
    """A library with nothing downloaded yet gets a home page and an empty table, no error."""
    report = write_gallery(tmp_path, [], [], {})
    assert (report.objects, report.files, report.previews_made) == (0, 0, 0)
    home = read_page(tmp_path / "index.html")
    assert "Nothing downloaded yet." in " ".join(home.text) and not home.unclosed
    assert file_index(tmp_path) == []
