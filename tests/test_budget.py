"""The one rate budget: shared by API calls and downloads, split only when asked, and never
slowing a run that fits in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import make_library

from slooh_async.config import Settings
from slooh_async.engine import NullSink, budget
from slooh_async.fake_server import FakeConfig, FakeSlooh


def test_api_calls_and_downloads_share_one_limiter_unless_split() -> None:
    """download_rate_limit unset: one limiter for everything; set: downloads get their own."""
    shared = Settings.model_validate({"download": {"rate_limit": 30}})
    api, files = budget(shared, NullSink())
    assert api is files and api.per_minute == 30
    split = Settings.model_validate({"download": {"rate_limit": 30, "download_rate_limit": 90}})
    api, files = budget(split, NullSink())
    assert api is not files and (api.per_minute, files.per_minute) == (30, 90)


def test_a_run_that_fits_in_the_budget_is_not_slowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rate_limit 30 and a dozen requests: they go out at once (a burst within the budget), so
    the download and a re-run of one mission end in about a second, not after 2 s per call."""
    with FakeSlooh(FakeConfig(pictures=6, fits=False, seed=3)).running() as server:
        lib = make_library(tmp_path, monkeypatch, server, rate_limit=30)
        code, first = lib.run_json("download")
        assert code == 0 and first["downloaded"] == 6
        mission = server.catalog.photo_roll[0].mission_id
        code, again = lib.run_json("mission", str(mission))
    assert code == 0 and again["downloaded"] == 0 and again["already_downloaded"] >= 1
    assert first["elapsed_seconds"] < 3.0
    assert again["elapsed_seconds"] < 1.0
