"""The download commands' own words: what `slooh retry` says about the files it could not find."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_config_support import finish, isolate
from typer.testing import CliRunner

from slooh_async._exceptions import SessionExpiredError
from slooh_async.cli import _sync as _cli_sync
from slooh_async.cli import app
from slooh_async.cli._report import RunOutcome
from slooh_async.engine import RunSummary
from slooh_async.tracker import ImageRow, Tracker

UNLISTED = "no longer listed by Slooh"


@pytest.fixture
def failed_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A configured library whose tracker holds three failed files."""
    isolate(monkeypatch, tmp_path)
    base = tmp_path / "lib"
    config = {
        "slooh": {"base_url": "http://127.0.0.1:9", "username": "demo", "password": "demo"},
        "folders": {"base_path": str(base)},
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    with Tracker.open(base / ".slooh" / "tracker.sqlite3", base_path=base) as tracker:
        tracker.record_batch(
            [ImageRow(key=str(n), status="failed", error="HTTP 500", attempts=1) for n in (1, 2, 3)]
        )
    yield base
    finish()


def run_retry(monkeypatch: pytest.MonkeyPatch, summary: RunSummary) -> Any:
    outcome = RunOutcome(summary)
    monkeypatch.setattr(_cli_sync, "_execute", lambda *args, **kwargs: outcome)
    return CliRunner().invoke(app, ["retry"], catch_exceptions=False)


def test_retry_names_files_the_listing_no_longer_has(
    failed_library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A complete retry that met only some of the failed files says how many are gone."""
    result = run_retry(monkeypatch, RunSummary(downloaded=1, failed=1, complete_scan=True))
    assert result.exit_code == 1
    assert f"1 failed file is {UNLISTED}" in result.stderr


@pytest.mark.parametrize(
    ("summary", "exit_code"),
    [
        (RunSummary(interrupted=True), 130),
        (RunSummary(error="gone", fatal=SessionExpiredError("the session ended")), 4),
    ],
    ids=["interrupted", "fatal"],
)
def test_retry_cut_short_does_not_call_files_unlisted(
    failed_library: Path, monkeypatch: pytest.MonkeyPatch, summary: RunSummary, exit_code: int
) -> None:
    """After Ctrl-C (exit 130) or a fatal error (the session's exit 4), files not reached are
    not reported as gone from Slooh."""
    result = run_retry(monkeypatch, summary)
    assert result.exit_code == exit_code
    assert UNLISTED not in result.stderr
