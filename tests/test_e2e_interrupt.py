"""Ctrl-C and SIGTERM on a real `slooh download` process: nothing lost, nothing twice."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Iterator

import pytest
from e2e_support import (
    Library,
    Said,
    expected_digests,
    library_fixture,
    sessions,
    slooh_process,
    slow_server,
)

from slooh_async.fake_server import FakeSlooh, Faults

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def server() -> Iterator[FakeSlooh]:
    """Files slow enough (40 kB at 60 kB/s) that a run is still going when interrupted."""
    with slow_server(pictures=24, seed=11) as srv:
        yield srv


library = library_fixture(threads=3, batch_size=10)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_resumes_without_loss_or_duplicates(
    library: Library, server: FakeSlooh, signum: int
) -> None:
    """First signal: exit 130 within seconds, session 'interrupted'; the next run completes."""
    process = slooh_process(library, "download")
    said = Said(process)
    said.wait_for("downloaded ", 3)
    assert len(library.files()) >= 3
    started = time.monotonic()
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, said.text + err
    assert f"{signal.Signals(signum).name}: stopping" in said.text + err
    assert time.monotonic() - started < 10
    assert "Interrupted" in out
    assert sessions(library)[-1] == ("download", "interrupted")
    expected = expected_digests(server)
    assert sum(library.digests().values()) < sum(expected.values())

    server.set_faults(Faults())
    server.clear_log()
    rerun = slooh_process(library, "download", "--json")
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, err
    assert library.digests() == expected
    assert not library.parts()
    fetched = [r.path for r in server.calls(server="download") if r.status in (200, 206)]
    assert len(fetched) == len(set(fetched)), "a file was downloaded twice in the second run"
    with sqlite3.connect(library.root / ".slooh" / "tracker.sqlite3") as db:
        done = db.execute("select count(*) from images where status = 'done'").fetchone()[0]
    assert done == sum(expected.values())
    assert sessions(library)[-1] == ("download", "completed")


def test_second_ctrl_c_exits_at_once(library: Library) -> None:
    """A second Ctrl-C does not wait for downloads in flight."""
    process = slooh_process(library, "download")
    said = Said(process)
    said.wait_for("downloaded ")
    process.send_signal(signal.SIGINT)
    said.wait_for("SIGINT: stopping")  # the first one was heard
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    process.communicate(timeout=30)
    assert process.returncode == 130
    assert time.monotonic() - started < 3
