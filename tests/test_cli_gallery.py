"""`slooh gallery`, and the gallery a download refreshes, checked through the CLI as a reader
and a script would: links, the file table, objects, exposure, --open, --json, output modes."""

from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import Library, make_library
from fits_support import fits_cards
from gallery_support import file_index, gallery_pages, mtimes, read_page, tracker_db

from slooh_async.cli._gallery import GALLERY_KEYS
from slooh_async.fake_server import FakeConfig, FakeSlooh
from slooh_async.gallery import GALLERY_DIR
from slooh_async.tracker import ImageRecord, Tracker

ALWAYS = {"error", "exit_code"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlooh]:
    """A small catalog (small files): a gallery build stays in one process."""
    with FakeSlooh(FakeConfig(pictures=8, seed=11, file_size=6000)).running() as fake:
        yield fake


@pytest.fixture(scope="module")
def library(server: FakeSlooh, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """``slooh download`` with the default settings (``gallery.auto`` on), then ``slooh
    gallery``: a library and its gallery, as a user gets them."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        folder = tmp_path_factory.mktemp("cli-gallery")
        library = make_library(folder, monkeypatch, server, gallery={})
        code, run = library.run_json("download")
        assert code == 0 and run["downloaded"] > 0
        assert run["gallery"] == (library.root / "index.html").as_uri()
        yield library


def done_records(root: Path) -> list[ImageRecord]:
    with Tracker.open(root / ".slooh" / "tracker.sqlite3", base_path=root, lock=False) as tracker:
        return list(tracker.iter_records("done"))


def header_exptimes(root: Path) -> dict[str, float]:
    """EXPTIME of every done FITS frame by key, read with the tests' own card reader."""
    return {
        record.key: float(fits_cards(record.path.read_bytes())["EXPTIME"])
        for record in done_records(root)
        if record.kind == "fits" and record.path is not None
    }


def copy_of(library: Library, tmp_path: Path) -> Path:
    """A copy of the library (the tracker's paths are relative to it): for tests that change it."""
    root = tmp_path / "copy"
    shutil.copytree(library.root, root)
    return root


def test_the_refreshed_gallery_reads_like_the_library(library: Library) -> None:
    """Every href and src resolves to an existing file; every tracked file is in the table
    once; there is one object page per object of the tracker, with exactly its files."""
    records = done_records(library.root)
    pages = gallery_pages(library.root)
    for page in pages:
        assert not page.unclosed and all(t.exists() for t in page.targets()), page.path
    rows = file_index(library.root)
    assert Counter(row["key"] for row in rows) == Counter(record.key for record in records)
    objects = Counter((r.object_name or r.title).strip() or "Unknown" for r in records)
    object_pages = [read_page(p) for p in (library.root / GALLERY_DIR / "objects").glob("*.html")]
    assert len(object_pages) == len(objects)
    files = {r.path.resolve() for r in records if r.path}
    for page in object_pages:
        name = page.text[page.text.index("← All objects") + 1]
        assert len(set(page.targets()) & files) == objects[name], name


def test_exposure_in_stats_and_gallery_is_the_headers(library: Library) -> None:
    """stats --json sums each object's and each filter's EXPTIME as the FITS files say; the
    gallery's table gives each frame its header's EXPTIME."""
    exptimes = header_exptimes(library.root)
    records = {r.key: r for r in done_records(library.root)}
    code, stats = library.run_json("stats")
    assert code == 0 and stats["fits_headers_missing"] == 0
    assert stats["total_frames"] == len(exptimes)
    assert stats["total_exposure_seconds"] == pytest.approx(sum(exptimes.values()))
    per_object: defaultdict[str, float] = defaultdict(float)
    per_filter: defaultdict[str, float] = defaultdict(float)
    for key, seconds in exptimes.items():
        per_object[records[key].object_name] += seconds
        per_filter[records[key].filter or "Unknown"] += seconds
    for name, counts in stats["by_object"].items():
        assert counts["exposure_seconds"] == pytest.approx(per_object[name]), name
        assert sum(f["exposure_seconds"] for f in counts["by_filter"].values()) == pytest.approx(
            per_object[name]
        )
    assert {k: v["exposure_seconds"] for k, v in stats["by_filter"].items()} == pytest.approx(
        dict(per_filter)
    )
    for row in file_index(library.root):
        if row["type"] == "FITS":
            assert row["exposure"] == exptimes[row["key"]]


def test_stats_print_integration_on_a_terminal_and_through_a_pipe(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipe gets `integration OBJECT FRAMES EXPOSURE PER-FILTER` and `filter NAME FRAMES
    EXPOSURE` lines; a terminal gets the integration table."""
    piped = library.run("stats").stdout.splitlines()
    integration = [line.split("\t") for line in piped if line.startswith("integration\t")]
    filters = [line.split("\t") for line in piped if line.startswith("filter\t")]
    assert integration and filters
    assert all(len(fields) == 5 and fields[3].endswith(("s", "min", "h")) for fields in integration)
    assert "total\tfits frames\t" in "\n".join(piped)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "120")
    shown = library.run("stats").stdout
    assert "Integration time (FITS frames)" in shown and "All objects" in shown


def test_stats_count_the_pictures_on_disk_not_the_gallery_page(library: Library) -> None:
    """The gallery's index.html at the library's root is not counted as a file on disk."""
    assert (library.root / "index.html").is_file()
    code, stats = library.run_json("stats")
    assert code == 0 and stats["folders"]["files"] == stats["total_images"]
    assert "HTML" not in stats["folders"]["by_format"]


def test_a_rebuild_with_nothing_new_touches_nothing(library: Library) -> None:
    """`slooh gallery` on an up-to-date gallery writes, makes and reads nothing: every
    modification time stays; through a pipe, stdout is the URL alone."""
    before = mtimes(library.root)
    result = library.run("gallery")
    assert result.exit_code == 0
    assert result.stdout == (library.root / "index.html").as_uri() + "\n"
    assert "Gallery: " in result.stderr
    code, doc = library.run_json("gallery")
    assert code == 0
    assert (doc["pages_written"], doc["previews_made"], doc["headers_read"]) == (0, 0, 0)
    assert doc["headers_stored"] == 0 and mtimes(library.root) == before


def test_json_has_every_key(library: Library) -> None:
    """--json: one document with the gallery's keys, error and exit code; the same keys
    (null) when there is no library, with exit code 2."""
    code, doc = library.run_json("gallery")
    assert code == 0 and set(doc) == set(GALLERY_KEYS) | ALWAYS
    assert doc["url"] == Path(doc["index"]).as_uri() and doc["library"] == str(library.root)
    assert doc["files"] == len(done_records(library.root)) and doc["opened"] is False
    code, missing = library.run_json("gallery", "--dest", str(library.root / "nowhere"))
    assert code == 2 and set(missing) == set(GALLERY_KEYS) | ALWAYS
    assert missing["url"] is None and "no library" in missing["error"]


def test_open_hands_the_url_to_the_browser(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--open calls webbrowser.open with the file:// URL; a browser that cannot be started
    is a warning, not an error."""
    import webbrowser

    opened: list[str] = []

    def browser(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    code, doc = library.run_json("gallery", "--open")
    assert code == 0 and doc["opened"] is True and opened == [doc["url"]]
    monkeypatch.setattr(webbrowser, "open", lambda url: False)
    result = library.run("gallery", "--open")
    assert result.exit_code == 0 and "no web browser could be opened" in result.stderr


def test_quiet_says_nothing(library: Library) -> None:
    """--quiet: no progress, no URL, nothing at all when all went well."""
    result = library.run("gallery", "--quiet")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_auto_refresh_only_when_something_new_came(library: Library, server: FakeSlooh) -> None:
    """A download that brings nothing leaves the gallery alone (gallery: null); one that
    brings new pictures refreshes it (they are in the table) and says where it is."""
    before = mtimes(library.root)
    code, run = library.run_json("download")
    assert code == 0 and run["downloaded"] == 0 and run["gallery"] is None
    assert mtimes(library.root) == before
    added = server.catalog.add_pictures(1)  # the later tests read the tracker as it is
    result = library.run("download")
    assert result.exit_code == 0
    assert f"Gallery\t{(library.root / 'index.html').as_uri()}" in result.stdout.splitlines()
    keys = {row["key"] for row in file_index(library.root)}
    assert {picture.key for picture in added} <= keys


def test_auto_off_leaves_the_gallery_alone(
    server: FakeSlooh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gallery.auto false: a download that brings files builds no gallery."""
    library = make_library(tmp_path, monkeypatch, server, gallery={"auto": False})
    code, run = library.run_json("download", "--limit", "2")
    assert code == 0 and run["downloaded"] == 2 and run["gallery"] is None
    assert not (library.root / "index.html").exists()
    assert not (library.root / GALLERY_DIR).exists()


def test_index_name_comes_from_the_settings(library: Library, tmp_path: Path) -> None:
    """gallery.index_name names the home page (-o gallery.index_name=...)."""
    root = copy_of(library, tmp_path)
    named = ("-o", "gallery.index_name=sky.html")
    code, doc = library.run_json("gallery", "--dest", str(root), *named)
    assert code == 0 and doc["url"] == (root / "sky.html").as_uri()
    assert (root / "sky.html").is_file()
    code, bad = library.run_json("gallery", "--dest", str(root), "-o", "gallery.index_name=../x")
    assert code == 2 and "gallery.index_name" in bad["error"]


def test_export_carries_the_headers(library: Library) -> None:
    """export --format json: each frame's fits_* columns are its header's; pictures have none."""
    rows = json.loads(library.run("export", "--format", "json").stdout)
    exptimes = header_exptimes(library.root)
    frames = [row for row in rows if row["kind"] == "fits"]
    assert frames and {row["key"]: row["fits_exptime"] for row in frames} == exptimes
    assert all(row["fits_naxis1"] and row["fits_bitpix"] == 16 for row in frames)
    pictures = [row for row in rows if row["kind"] == "picture"]
    assert pictures and all(row["fits_exptime"] is None for row in pictures)


def drop_headers(root: Path, *, schema_3: bool = False) -> None:
    """Forget every stored header, as a library of an older version or a legacy import has
    none; ``schema_3``: the table goes too, the tracker becomes a schema-3 tracker."""
    with tracker_db(root) as db:
        if schema_3:
            db.execute("DROP TABLE fits_headers")
            db.execute("PRAGMA user_version = 3")
        else:
            db.execute("DELETE FROM fits_headers")


def test_verify_backfills_the_headers(library: Library, tmp_path: Path) -> None:
    """Frames without headers count no exposure in stats, which says so; `slooh verify`
    reads and stores them once; stats then match the files."""
    root = copy_of(library, tmp_path)
    drop_headers(root)
    exptimes = header_exptimes(root)
    code, before = library.run_json("stats", "--dest", str(root))
    assert before["fits_headers_missing"] == len(exptimes) and before["total_exposure_seconds"] == 0
    assert "no header read yet" in library.run("stats", "--dest", str(root)).stderr
    code, verified = library.run_json("verify", "--dest", str(root))
    assert code == 0 and verified["headers_stored"] == len(exptimes)
    code, after = library.run_json("stats", "--dest", str(root))
    assert after["fits_headers_missing"] == 0
    assert after["total_exposure_seconds"] == pytest.approx(sum(exptimes.values()))
    code, again = library.run_json("verify", "--dest", str(root))
    assert again["headers_stored"] == 0


def test_a_schema_3_library_is_read_then_upgraded(library: Library, tmp_path: Path) -> None:
    """A tracker of the previous schema: stats read it as it is (frames, no exposure), then
    `slooh gallery` upgrades it in place, keeping every record and session, and fills the
    headers from the files."""
    root = copy_of(library, tmp_path)
    drop_headers(root, schema_3=True)
    with tracker_db(root) as db:
        images = db.execute("SELECT * FROM images ORDER BY key").fetchall()
        sessions = db.execute("SELECT * FROM sessions ORDER BY id").fetchall()
    code, stats = library.run_json("stats", "--dest", str(root))
    frames = len(header_exptimes(root))
    assert code == 0 and stats["total_frames"] == stats["fits_headers_missing"] == frames
    code, doc = library.run_json("gallery", "--dest", str(root))
    assert code == 0 and doc["headers_read"] == doc["headers_stored"] == frames
    assert doc["problems"] == []
    with tracker_db(root) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4
        assert db.execute("SELECT * FROM images ORDER BY key").fetchall() == images
        assert db.execute("SELECT * FROM sessions ORDER BY id").fetchall() == sessions
        assert db.execute("SELECT count(*) FROM fits_headers").fetchone()[0] == frames


def test_a_refresh_that_fails_is_a_warning(
    server: FakeSlooh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gallery that cannot be refreshed (another build holds it) leaves the download's
    exit code and document alone: one more warning, gallery null."""
    import filelock

    library = make_library(tmp_path, monkeypatch, server, gallery={})
    (library.root / ".slooh").mkdir(parents=True)
    with filelock.FileLock(library.root / ".slooh" / "gallery.lock"):
        result = library.run("download", "--limit", "2", "--json")
    run = json.loads(result.stdout)
    assert result.exit_code == 0 and run["downloaded"] == 2 and run["gallery"] is None
    assert [w for w in run["warnings"] if w.startswith("gallery not refreshed: another slooh")]
    with filelock.FileLock(library.root / ".slooh" / "gallery.lock"):
        code, doc = library.run_json("gallery")
    assert code == 2 and "another slooh is building the gallery" in doc["error"]
