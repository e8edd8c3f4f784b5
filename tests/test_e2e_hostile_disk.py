"""A hostile disk, end to end: the real CLI on a library whose files, folders or tracker are
not what slooh left there (items 10, 12 and 13 of "A hostile service and a hostile disk")."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from e2e_support import Library, expected_digests, faults_off, make_library
from test_config_support import finish

from slooh_async.fake_server import FakeConfig, FakeSlooh


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlooh]:
    """Eight small pictures, no FITS."""
    config = FakeConfig(pictures=8, seed=3, file_size=3000, fits=False, hostile_titles=False)
    with FakeSlooh(config).running() as srv:
        yield srv


@pytest.fixture
def server(fake: FakeSlooh) -> Iterator[FakeSlooh]:
    """The module's server, faults off and an empty log before and after each test."""
    yield from faults_off(fake)


@pytest.fixture
def library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeSlooh
) -> Iterator[Library]:
    """A library already downloaded in full."""
    library = make_library(tmp_path, monkeypatch, server, max_retries=1)
    assert library.run("download", "--quiet").exit_code == 0
    yield library
    finish()


def one_line(text: str) -> str:
    """The only non-empty line of ``text`` (an error is one line, never a traceback)."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


# --------------------------------------------------------------------------- 10. export


def test_export_replaces_a_regular_file_and_leaves_its_neighbours(library: Library) -> None:
    """10: `export -o PATH` replaces a regular file whole, keeps its permissions, never touches
    a user's own `PATH.part`, and leaves no temporary file behind."""
    target = library.root.parent / "library.csv"
    target.write_text("old export\n")
    target.chmod(0o640)
    users_own = target.with_name("library.csv.part")
    users_own.write_text("mine")
    result = library.run("export", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_text().startswith("key,") and len(target.read_text().splitlines()) == 9
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert users_own.read_text() == "mine"
    names = sorted(p.name for p in target.parent.iterdir() if p.name.startswith((".lib", "lib")))
    assert names == ["library", "library.csv", "library.csv.part"]


@pytest.mark.parametrize("kind", ["symlink", "fifo", "device"])
def test_export_refuses_to_replace_what_is_not_a_file(
    library: Library, tmp_path: Path, kind: str
) -> None:
    """10: a link, a FIFO or a device node at PATH is refused: exit 2, one line, PATH and what
    it points to unchanged, no file left behind."""
    target = tmp_path / "export.csv"
    outside = tmp_path / "precious.txt"
    outside.write_text("precious")
    if kind == "symlink":
        target.symlink_to(outside)
    elif kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this system")
        os.mkfifo(target)
    else:
        if not Path("/dev/null").exists():
            pytest.skip("no /dev/null to link a device from")
        target.symlink_to("/dev/null")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = library.run("export", "-o", str(target))
    assert result.exit_code == 2
    line = one_line(result.stderr)
    assert f"refusing to replace {target}" in line, line
    assert outside.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert target.is_symlink() == (kind != "fifo")


# --------------------------------------------------------------------------- 12. read-only


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make folders and files unwritable, even for root (chattr +i), for the block's length."""
    if os.name == "nt":
        pytest.skip("no read-only folders to simulate here")
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in paths}
        for path in paths:
            path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("root ignores permissions and chattr is not installed")
    done = []
    try:
        for path in paths:
            if subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode:
                pytest.skip("this filesystem cannot make files immutable (chattr +i)")
            done.append(path)
        yield
    finally:
        for path in done:
            subprocess.run([chattr, "-i", str(path)], check=True)


def test_read_only_commands_work_on_a_read_only_library(
    library: Library, server: FakeSlooh
) -> None:
    """12: with the library, its .slooh folder and the tracker unwritable, stats, verify and
    export answer (exit 0), and nothing new appears; verify --fix and download exit 5."""
    slooh = library.root / ".slooh"
    tracker = slooh / "tracker.sqlite3"
    before = sorted(p.name for p in slooh.iterdir())
    with read_only(library.root, slooh, tracker):
        code, stats = library.run_json("stats")
        assert code == 0 and stats["total_images"] == 8
        code, report = library.run_json("verify")
        assert code == 0 and report["checked"] == 8
        exported = library.run("export", "--format", "json")
        assert exported.exit_code == 0, exported.stderr
        assert len(json.loads(exported.stdout)) == 8
        fixing = library.run("verify", "--fix")
        assert fixing.exit_code == 5, fixing.stderr
        assert sorted(p.name for p in slooh.iterdir()) == before
    assert library.digests() == expected_digests(server, fits=False)


# --------------------------------------------------------------------------- 13. errors


def corrupt(tracker: Path) -> None:
    """Overwrite the tracker's pages after the first with garbage (a damaged disk)."""
    with sqlite3.connect(tracker) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(tracker.read_bytes())
    page = 4096
    data[page:] = bytes((i * 7 + 3) % 251 for i in range(len(data) - page))
    tracker.write_bytes(bytes(data))


def test_a_damaged_tracker_says_what_to_do_and_that_works(
    library: Library, server: FakeSlooh
) -> None:
    """13: "database disk image is malformed": exit 5, one line saying to move the tracker aside
    and run download; doing so finds every file on disk and downloads nothing."""
    tracker = library.root / ".slooh" / "tracker.sqlite3"
    corrupt(tracker)
    for command in ("stats", "download"):
        result = library.run(command)
        assert result.exit_code == 5, (command, result.stderr)
        line = one_line(result.stderr)
        assert "is damaged" in line and "move it aside and run `slooh download`" in line, line
    tracker.rename(tracker.with_name("tracker.damaged"))
    for extra in ("-wal", "-shm"):
        tracker.with_name(tracker.name + extra).unlink(missing_ok=True)
    code, summary = library.run_json("download")
    assert code == 0 and summary["downloaded"] == 0 and summary["skipped_existing"] == 8, summary
    assert library.digests() == expected_digests(server, fits=False)


def test_a_nul_in_the_library_path_exits_2(library: Library) -> None:
    """13: a NUL character in folders.base_path is a configuration error: exit 2, one line."""
    settings = json.loads(library.config.read_text())
    settings["folders"]["base_path"] = str(library.root) + "\x00x"
    library.config.write_text(json.dumps(settings))
    for command in ("download", "stats"):
        result = library.run(command)
        assert result.exit_code == 2, (command, result.stderr)
        assert "must not contain a NUL character" in one_line(result.stderr)


@pytest.mark.skipif(sys.platform == "win32", reason="no file size limit to set on Windows")
def test_a_full_disk_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """13: a write the system refuses (here: past the process's file size limit, EFBIG, as a
    full disk refuses with ENOSPC) stops the run with exit 5 and one line naming the file; the
    tracker records nothing as done that is not complete."""
    config = FakeConfig(pictures=2, seed=3, file_size=400_000, size_jitter=0, fits=False)
    with FakeSlooh(config).running() as srv:
        library = make_library(tmp_path, monkeypatch, srv, max_retries=0, threads=1)
        process = slooh_limited(library, 200_000, "download", "--quiet")
        _, err = process.communicate(timeout=60)
    finish()
    assert process.returncode == 5, err
    line = one_line(err)
    assert "cannot write " in line and ".part: the file is too large" in line, line
    assert "?" not in line.split("cannot write ", 1)[1].split(":", 1)[0]
    with sqlite3.connect(library.root / ".slooh" / "tracker.sqlite3") as db:
        assert db.execute("select count(*) from images where status = 'done'").fetchone() == (0,)


def slooh_limited(library: Library, limit: int, *args: str) -> subprocess.Popen[str]:
    """`slooh ARGS` in a child whose files may not grow past ``limit`` bytes."""

    def limit_files() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "SLOOH_CONFIG": str(library.config), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "slooh_async", *args],
        cwd=library.root.parent,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=limit_files,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="no file size limit to set on Windows")
def test_an_export_the_disk_refuses_names_it_and_leaves_nothing(library: Library) -> None:
    """13: an export the system refuses to write exits 5 naming the export file; the file
    that was there is untouched and no temporary file stays."""
    target = library.root.parent / "export.json"
    target.write_text("[]\n")
    process = slooh_limited(library, 600, "export", "--format", "json", "-o", str(target))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 5, err
    line = one_line(err)
    assert line.startswith(f"error: cannot write {target}:"), line
    assert target.read_text() == "[]\n"
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".export")]


def test_commands_that_write_exit_5_on_a_read_only_library(library: Library) -> None:
    """12: download on a read-only library exits 5 with one line naming the tracker."""
    slooh = library.root / ".slooh"
    with read_only(library.root, slooh, slooh / "tracker.sqlite3"):
        result = library.run("download", "--quiet")
    assert result.exit_code == 5, result.stderr
    assert "tracker.sqlite3" in one_line(result.stderr)
