"""The gallery of a real download (the CLI against the fake Slooh), checked as a reader would."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from astropy.io import fits
from e2e_support import Library, make_library
from gallery_support import file_index, gallery_pages, mtimes, read_page
from PIL import Image

from slooh_async.fake_server import FakeConfig, FakeSlooh
from slooh_async.gallery import GALLERY_DIR, GalleryReport, build_gallery
from slooh_async.gallery._pages import duration
from slooh_async.tracker import ImageRecord, Tracker


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """A library downloaded by ``slooh download`` from a small fake catalog (small files)."""
    config = FakeConfig(pictures=24, seed=5, file_size=6000)
    with FakeSlooh(config).running() as server, pytest.MonkeyPatch.context() as monkeypatch:
        library = make_library(tmp_path_factory.mktemp("gallery"), monkeypatch, server)
        assert library.run("download").exit_code == 0
        yield library


def tracker_of(root: Path) -> Tracker:
    """The library's tracker, read-only (as ``slooh gallery`` will open it)."""
    return Tracker.open(root / ".slooh" / "tracker.sqlite3", base_path=root, lock=False)


def done_records(root: Path) -> list[ImageRecord]:
    with tracker_of(root) as tracker:
        return list(tracker.iter_records("done"))


@pytest.fixture(scope="module")
def built(library: Library) -> GalleryReport:
    """The gallery of the library, made with two worker processes."""
    with tracker_of(library.root) as tracker:
        report = build_gallery(tracker, workers=2)
    assert report.problems == []
    return report


def copy_of(library: Library, tmp_path: Path) -> Path:
    """A copy of the built library (its tracker stores paths relative to it)."""
    root = tmp_path / "copy"
    shutil.copytree(library.root, root)
    return root


def test_every_page_parses_and_every_link_resolves(library: Library, built: GalleryReport) -> None:
    """Every page parses with its elements closed; every href and src is relative and names
    an existing file (pictures, frames, previews, pages, assets)."""
    pages = gallery_pages(library.root)
    assert len(pages) == built.objects + 2
    for page in pages:
        assert not page.unclosed, page.path
        missing = [target for target in page.targets() if not target.exists()]
        assert not missing, (page.path, missing)
    linked = {target for page in pages for target in page.targets()}
    assert {r.path.resolve() for r in done_records(library.root) if r.path} <= linked


def test_every_tracked_file_is_in_the_index_once(library: Library, built: GalleryReport) -> None:
    """The file table's index has one row per done record, with its path and a working URL."""
    rows = file_index(library.root)
    records = done_records(library.root)
    assert Counter(row["key"] for row in rows) == Counter(record.key for record in records)
    files_page = library.root / GALLERY_DIR / "files.html"
    for row in rows:
        assert (library.root / row["path"]).is_file()
        target = (files_page.parent / unquote(row["url"])).resolve()
        assert target == (library.root / row["path"]).resolve()
    assert built.files == len(records)


def test_object_pages_match_the_trackers_objects(library: Library, built: GalleryReport) -> None:
    """One page per object of the tracker, titled with its name, linking to exactly its files."""
    records = done_records(library.root)
    objects = Counter((r.object_name or r.title).strip() or "Unknown" for r in records)
    pages = [read_page(p) for p in (library.root / GALLERY_DIR / "objects").glob("*.html")]
    assert built.objects == len(pages) == len(objects)
    library_files = {r.path.resolve() for r in records if r.path}
    for page in pages:
        name = page.text[page.text.index("← All objects") + 1]
        assert len(set(page.targets()) & library_files) == objects[name], name


def test_exposure_sums_match_the_fits_headers(library: Library, built: GalleryReport) -> None:
    """Each frame's exposure in the index is its header's EXPTIME (read here with astropy);
    each object page shows the sum of its frames' exposures."""
    per_object: Counter[str] = Counter()
    for row in file_index(library.root):
        if row["type"] == "FITS":
            exptime = fits.getheader(library.root / row["path"])["EXPTIME"]
            assert row["exposure"] == exptime
            per_object[row["page"]] += exptime
    assert per_object
    for page_name, seconds in per_object.items():
        page = read_page(library.root / GALLERY_DIR / page_name)
        integration = page.text[page.text.index("Integration") + 1]
        assert integration == duration(seconds), page_name


def test_missions_with_rgb_frames_get_a_colour_composite(
    library: Library, built: GalleryReport
) -> None:
    """Every mission whose frames include R, G and B has a colour composite on its page."""
    missions = {
        (r.mission_id, r.instrument)
        for r in done_records(library.root)
        if r.filter in ("R", "G", "B")
    }
    composites = [
        (page, src)
        for page in gallery_pages(library.root)
        for src, alt in page.images
        if alt.endswith("colour composite of the R, G and B frames")
    ]
    assert composites and len(composites) <= len(missions)
    page, src = composites[0]
    with Image.open(page.path.parent / src) as image:
        assert image.mode == "RGB" and min(image.size) >= 300


def test_rebuild_with_nothing_new_touches_nothing(library: Library, built: GalleryReport) -> None:
    """A second build writes nothing and makes nothing: every mtime is unchanged."""
    before = mtimes(library.root)
    with tracker_of(library.root) as tracker:
        again = build_gallery(tracker)
    assert (again.pages_written, again.previews_made, again.headers_read) == (0, 0, 0)
    assert again.previews_kept == built.previews_made and mtimes(library.root) == before


def test_parallel_and_serial_builds_agree(
    library: Library, built: GalleryReport, tmp_path: Path
) -> None:
    """Previews made in one process are the very bytes the worker processes made."""
    root = copy_of(library, tmp_path)
    shutil.rmtree(root / GALLERY_DIR)
    with tracker_of(root) as tracker:
        serial = build_gallery(tracker, workers=1)
    assert serial.previews_made == built.previews_made
    for preview in (library.root / GALLERY_DIR / "previews").rglob("*.jpg"):
        relative = preview.relative_to(library.root)
        assert (root / relative).read_bytes() == preview.read_bytes()


def test_forgotten_files_leave_the_gallery(
    library: Library, built: GalleryReport, tmp_path: Path
) -> None:
    """When an object's files leave the tracker, its page and previews go; nothing else is
    rewritten but the pages that list it."""
    root = copy_of(library, tmp_path)
    with tracker_of(root) as tracker:
        victim = next(iter(tracker.iter_records("done"))).object_name
        keys = [r.key for r in tracker.iter_records("done") if r.object_name == victim]
    with Tracker.open(root / ".slooh" / "tracker.sqlite3", base_path=root) as tracker:
        tracker.forget(keys)
        report = build_gallery(tracker)
    assert report.pages_removed == 1 and report.previews_removed >= len(keys)
    assert report.objects == built.objects - 1
    assert not [row for row in file_index(root) if row["object"] == victim]


def test_new_download_adds_only_its_own_previews(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a sync that brings new pictures, a rebuild previews the new files only and
    keeps every earlier preview untouched."""
    with FakeSlooh(FakeConfig(pictures=6, seed=9, file_size=6000)).running() as server:
        library = make_library(tmp_path, monkeypatch, server)
        assert library.run("download").exit_code == 0
        with tracker_of(library.root) as tracker:
            first = build_gallery(tracker, workers=1)
        previews = {p: p.stat().st_mtime_ns for p in (library.root / GALLERY_DIR).rglob("*.jpg")}
        added = server.catalog.add_pictures(2)
        assert library.run("download").exit_code == 0
    with tracker_of(library.root) as tracker:
        second = build_gallery(tracker, workers=1)
        new_files = tracker.count("done") - first.files
    assert new_files >= len(added)
    assert second.previews_kept == first.previews_made
    assert new_files <= second.previews_made <= new_files + 2  # + colour composites
    assert all(p.stat().st_mtime_ns == mtime for p, mtime in previews.items())
