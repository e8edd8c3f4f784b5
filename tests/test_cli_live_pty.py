"""The live display on a real pseudo-terminal, at 120 and 80 columns, against the fake Slooh.

What a person sees: every line fits the width, the status line says what the run waits for
and for how long, a dry run draws no bar, typed keys are not echoed, the terminal is given
back as it was, and a "no" to ``--all`` changes nothing.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Library, make_library
from pty_support import Terminal
from rich.cells import cell_len
from test_config_support import finish

from slooh_async.fake_server import FakeConfig, FakeSlooh, Faults

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
pytest.importorskip("termios")
pytest.importorskip("pty")
pytest.importorskip("fcntl")


def serve(**faults: Any) -> FakeSlooh:
    config = FakeConfig(pictures=30, seed=1, file_size=40_000, faults=Faults(**faults))
    return FakeSlooh(config)


@pytest.fixture
def slow_server() -> Iterator[FakeSlooh]:
    """Downloads trickle at 20 kB/s: a file takes about 2 s, so the live display shows it."""
    with serve(slow_bytes_per_s=20_000).running() as srv:
        yield srv


def library_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeSlooh, **download: Any
) -> Library:
    return make_library(tmp_path, monkeypatch, server, threads=2, batch_size=10, **download)


def assert_fits(term: Terminal) -> None:
    wide = [line for line in term.lines() if cell_len(line) > term.columns]
    assert not wide, wide


def test_live_display_at_80_columns_fits_and_tells_the_rate_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_server: FakeSlooh
) -> None:
    """80 columns: the budget's estimate up front, "rate limit: next request in N s" while
    the budget holds requests back, names cut with "…", no line wider than the terminal,
    typed keys not echoed, and the terminal's echo back after Ctrl-C."""
    library_for(tmp_path, monkeypatch, slow_server, rate_limit=6)
    try:
        with Terminal("download", columns=80) as term:
            term.expect_regex(r"rate limit 6/min: about \d+ min for ~[\d,]+ files")
            shown = term.expect_regex(r"rate limit: next request in \d+\.\d s").end()
            term.type("zzz")
            term.expect_regex(r"rate limit: next request in \d+\.\d s", since=shown + 200)
            assert term.echo_on() is False
            term.type("\x03")  # Ctrl-C, as the terminal sends it
            assert term.finish() == 130
            assert term.echo_on() is True
            assert "zzz" not in term.text()
            assert "…" in term.text() and "?rand=" not in term.text()
            assert_fits(term)
    finally:
        finish()


def test_a_second_ctrl_c_leaves_the_terminal_echoing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_server: FakeSlooh
) -> None:
    """Ctrl-C twice quits at once; typed keys echo again from the first (the run is
    stopping), all the same."""
    library_for(tmp_path, monkeypatch, slow_server, rate_limit=6)
    try:
        with Terminal("download", columns=80) as term:
            term.expect(r"rate limit: next request in")
            assert term.echo_on() is False
            term.type("\x03")
            term.expect("press Ctrl-C again")
            assert term.echo_on() is True  # stopping: keys echo before the second Ctrl-C
            term.type("\x03")
            assert term.finish() == 130
            assert term.echo_on() is True
    finally:
        finish()


def test_live_display_at_120_columns_tells_the_servers_pause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """429s with Retry-After (until the server's window frees): "the server asked to wait
    N s (M s left)" on the status line, which fits 120 columns."""
    with serve(api_max_per_minute=3, retry_after=30).running() as server:
        library_for(tmp_path, monkeypatch, server)
        try:
            with Terminal("download", columns=120) as term:
                term.expect_regex(r"the server asked to wait \d+ s \(\d+ s left\)")
                term.type("\x03")
                assert term.finish() == 130
                assert_fits(term)
        finally:
            finish()


def test_a_dry_run_on_a_terminal_draws_no_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_server: FakeSlooh
) -> None:
    """Nothing is downloaded in a dry run: no progress bar is ever drawn; the plan ends with
    what the rate budget makes the real run cost."""
    library_for(tmp_path, monkeypatch, slow_server, rate_limit=30)
    try:
        with Terminal("download", "--dry-run", "--no-fits", columns=80) as term:
            assert term.finish() == 0, term.text()
            assert "Would download 30 files (nothing is downloaded in a dry run)" in term.text()
            assert "Would download 30 files into" in term.text()  # the plan's table
            assert "Files " not in term.text()  # the label of the bar
            assert re.search(
                r"rate limit 30/min: about 1 min for 30 files \(\d+ requests\)", term.text()
            )
            assert_fits(term)
    finally:
        finish()


def test_answering_no_to_all_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_server: FakeSlooh
) -> None:
    """`download --all`, "n": "aborted, nothing changed", exit 0, no tracker touched."""
    library = library_for(tmp_path, monkeypatch, slow_server)
    try:
        with Terminal("download", "--all", columns=80) as term:
            term.expect("Download every picture again")
            term.type("n\r")
            assert term.finish() == 0
            assert "aborted, nothing changed" in term.text()
        assert not library.root.exists()
    finally:
        finish()
