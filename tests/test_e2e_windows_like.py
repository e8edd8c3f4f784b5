"""`slooh` as Windows runs it: no loop signal handlers, no O_NOFOLLOW, no os.writev, a replace
refused once (tests/windows_like.py takes them away in a real child process)."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import (
    Library,
    Said,
    expected_digests,
    library_fixture,
    sessions,
    slooh_process,
    slow_server,
    wait_for_files,
)

from slooh_async.fake_server import FakeSlooh, Faults

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def server() -> Iterator[FakeSlooh]:
    """Files slow enough (40 kB at 60 kB/s) that a run is still going when interrupted."""
    with slow_server(pictures=16, seed=5) as srv:
        yield srv


library = library_fixture(threads=3, batch_size=10)


def run_to_end(library: Library, *args: str) -> tuple[int, str, str]:
    process = slooh_process(library, *args, windows_like=True)
    out, err = process.communicate(timeout=90)
    return process.returncode, out, err


def test_download_and_a_no_op_rerun(library: Library, server: FakeSlooh) -> None:
    """Every file arrives byte for byte (the refused replace is tried again); the re-run
    downloads nothing."""
    server.set_faults(Faults())
    code, out, err = run_to_end(library, "download", "--json")
    assert code == 0, err
    assert json.loads(out)["failed"] == 0
    assert library.digests() == expected_digests(server)
    assert not library.parts()
    code, out, err = run_to_end(library, "download", "--json")
    assert code == 0, err
    assert json.loads(out)["downloaded"] == 0
    assert [status for _, status in sessions(library)] == ["completed", "completed"]


def test_ctrl_c_exits_130_and_the_next_run_resumes(library: Library, server: FakeSlooh) -> None:
    """Ctrl-C caught through signal.signal: summary, exit 130, session interrupted; the next
    run completes with every file's exact bytes and nothing fetched twice."""
    process = slooh_process(library, "download", windows_like=True)
    wait_for_files(library, 2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Interrupted" in out and "SIGINT: stopping" in err
    assert sessions(library) == [("download", "interrupted")]
    expected = expected_digests(server)
    assert sum(library.digests().values()) < sum(expected.values())

    server.set_faults(Faults())
    server.clear_log()
    code, out, err = run_to_end(library, "download", "--json")
    assert code == 0, err
    assert library.digests() == expected
    assert not library.parts()
    fetched = [r.path for r in server.calls(server="download") if r.status in (200, 206)]
    assert len(fetched) == len(set(fetched)), "a file was downloaded twice in the second run"
    assert sessions(library)[-1] == ("download", "completed")


def test_second_ctrl_c_quits_at_once_and_ends_the_session(
    library: Library, server: FakeSlooh
) -> None:
    """A second Ctrl-C ends the process within a few seconds, exit 130, with the session
    marked interrupted (not left running) and the files already in place recorded."""
    server.set_faults(Faults(slow_bytes_per_s=20_000, scope="downloads"))  # outlast the pause
    process = slooh_process(library, "download", windows_like=True)
    said = Said(process)
    said.wait_for("downloaded ", 2)
    process.send_signal(signal.SIGINT)
    said.wait_for("SIGINT: stopping")  # the first is heard: now the second
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert time.monotonic() - started < 3
    assert "quitting now" in err
    assert sessions(library) == [("download", "interrupted")]
    with sqlite3.connect(library.root / ".slooh" / "tracker.sqlite3") as db:
        recorded = {Path(p).name for (p,) in db.execute("select path from images")}
    assert {f.name for f in library.files()} <= recorded


def test_reorganize_on_sigterm_exits_130_leaves_no_empty_folder(library: Library) -> None:
    """SIGTERM half-way through a reorganization: exit 130, no empty folder, every file
    findable; the next run finishes the job."""
    library.server.set_faults(Faults())
    assert library.run("download", "--quiet").exit_code == 0
    before = library.digests()
    config = json.loads(library.config.read_text())
    config["folders"]["template"] = "Sorted/{telescope}/{year}/{object}"
    library.config.write_text(json.dumps(config))
    slow = {"SLOOH_TEST_SLOW_RENAME": "0.1"}
    process = slooh_process(library, "reorganize", windows_like=True, env=slow)
    deadline = time.monotonic() + 30
    while not any(len(p.relative_to(library.root).parts) == 5 for p in library.files()):
        assert time.monotonic() < deadline, "no file was ever moved"
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Interrupted: run `slooh reorganize` again" in err  # data on stdout, words on stderr
    assert library.digests() == before
    assert not [d for d in library.root.rglob("*") if d.is_dir() and not any(d.iterdir())]
    assert library.run("verify").exit_code == 0
    process = slooh_process(library, "reorganize", "--json", windows_like=True)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert 0 < json.loads(out)["moved"] < len(before)
    assert all(len(p.relative_to(library.root).parts) == 5 for p in library.files())
    assert not [d for d in library.root.rglob("*") if d.is_dir() and not any(d.iterdir())]
