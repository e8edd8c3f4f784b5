"""FITS headers on their way into the tracker, through the CLI: read when a download finishes
a frame or adopts one from disk; an unreadable header is a warning, never a failed file; the
backfill names it; the gallery's progress bar on a terminal."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import Library, make_library
from gallery_support import tracker_db

from slooh_async.fake_server import FakeConfig, FakeSlooh
from slooh_async.media import FitsHeaderError, FitsSummary

BROKEN = "FITS header cannot be read: garbled by the test"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlooh]:
    with FakeSlooh(FakeConfig(pictures=8, seed=4, file_size=6000)).running() as fake:
        yield fake


@pytest.fixture
def library(server: FakeSlooh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Library:
    return make_library(tmp_path, monkeypatch, server)


def stored(root: Path) -> dict[str, tuple[float | None, str | None]]:
    """key -> (exptime, error) of every stored header."""
    with tracker_db(root) as db:
        rows = db.execute("SELECT key, exptime, error FROM fits_headers").fetchall()
    return {key: (exptime, error) for key, exptime, error in rows}


def frame_keys(root: Path) -> set[str]:
    with tracker_db(root) as db:
        rows = db.execute("SELECT key FROM images WHERE kind = 'fits' AND status = 'done'")
        return {key for (key,) in rows}


def break_one_header(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The header reader behind ``media.read_header`` (the engine's and the backfill's) fails
    for the first frame it is asked about."""
    from slooh_async.media import _fits

    victims: list[str] = []
    real = _fits.read_fits_summary

    def read(path: Path) -> FitsSummary:
        if not victims or victims[0] == path.name:
            victims[:1] = [path.name]
            raise FitsHeaderError(BROKEN)
        return real(path)

    monkeypatch.setattr(_fits, "read_fits_summary", read)
    return victims


def break_one_inspection(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The check of `slooh verify` reads no header of the first frame it is asked about."""
    from slooh_async import media

    victims: list[str] = []

    def inspect(path: Path, size: int) -> tuple[list[str], FitsSummary | str]:
        if not victims or victims[0] == path.name:
            victims[:1] = [path.name]
            return [], BROKEN
        return media.inspect_fits(path, size)

    monkeypatch.setattr("slooh_async.tracker._verify.inspect_fits", inspect)
    return victims


def test_each_downloaded_frame_brings_its_header(library: Library) -> None:
    """After a download every done frame has its header stored, none an error."""
    code, run = library.run_json("download")
    assert code == 0 and run["failed"] == 0
    headers = stored(library.root)
    assert set(headers) == frame_keys(library.root) != set()
    assert all(exptime is not None and error is None for exptime, error in headers.values())


def test_an_unreadable_header_is_a_warning_not_a_failure(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The frame is downloaded and done; the run's warnings name it; the tracker keeps the
    reason, so the backfill does not read it again."""
    victims = break_one_header(monkeypatch)
    code, run = library.run_json("download")
    assert code == 0 and run["failed"] == 0 and len(victims) == 1
    (warning,) = [w for w in run["warnings"] if BROKEN in w]
    assert victims[0].endswith(warning.split(": ")[0])  # the file's name as the service gives it
    errors = {key: error for key, (_, error) in stored(library.root).items() if error}
    assert list(errors.values()) == [BROKEN]
    code, stats = library.run_json("stats")
    assert stats["fits_headers_missing"] == 0 and stats["total_images"] == run["downloaded"]


def test_frames_adopted_from_disk_bring_their_headers(library: Library) -> None:
    """A library whose tracker was lost: the next download adopts the files on disk and
    reads their headers as it goes."""
    assert library.run("download", "--quiet").exit_code == 0
    before = stored(library.root)
    shutil.rmtree(library.root / ".slooh")
    code, run = library.run_json("download")
    assert code == 0 and run["downloaded"] == 0 and run["skipped_existing"] > 0
    assert stored(library.root) == before


def test_the_backfill_names_an_unreadable_header(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`slooh verify` reading a frame's missing header that does not read names it as a
    problem of that file (exit 1), and stores the reason."""
    assert library.run("download", "--quiet").exit_code == 0
    with tracker_db(library.root) as db:
        db.execute("DELETE FROM fits_headers")
    victims = break_one_inspection(monkeypatch)
    code, doc = library.run_json("verify")
    assert code == 1 and doc["files_with_problems"] == 1 and len(victims) == 1
    assert doc["problems"][0]["message"] == BROKEN
    assert doc["problems"][0]["path"].endswith(victims[0])
    assert doc["headers_stored"] == len(frame_keys(library.root))


def test_verify_reads_a_missing_header_with_its_check(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`slooh verify` takes a frame's missing header from the check that parses it anyway:
    it never opens the frame a second time to read it (the backfill's own reader)."""
    assert library.run("download", "--quiet").exit_code == 0
    before = stored(library.root)
    with tracker_db(library.root) as db:
        db.execute("DELETE FROM fits_headers")
    victims = break_one_header(monkeypatch)
    code, doc = library.run_json("verify")
    assert code == 0 and doc["headers_stored"] == len(before) and victims == []
    assert stored(library.root) == before


def test_a_terminal_gets_a_progress_bar(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the build shows its phases as bars (on stderr); stdout says where."""
    assert library.run("download", "--quiet").exit_code == 0
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    result = library.run("gallery")
    assert result.exit_code == 0
    assert "Making previews" in result.stderr and "━" in result.stderr
    assert (library.root / "index.html").as_uri() in result.stdout


def test_verify_on_a_read_only_library_reads_but_cannot_store(library: Library) -> None:
    """A library that cannot be written: verify checks it (exit 0), reads the missing
    headers, says it could not store them, and leaves the tracker as it was."""
    from test_e2e_hostile_disk import read_only

    assert library.run("download", "--quiet").exit_code == 0
    tracker = library.root / ".slooh" / "tracker.sqlite3"
    with tracker_db(library.root) as db:
        db.execute("DELETE FROM fits_headers")
    with tracker_db(library.root) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    folder = library.root / ".slooh"
    before = sorted(p.name for p in folder.iterdir())
    with read_only(library.root, folder, tracker):
        result = library.run("verify")
        code, doc = library.run_json("verify")
    assert result.exit_code == code == 0 and doc["headers_stored"] == 0
    assert "could not be stored" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == before and stored(library.root) == {}
