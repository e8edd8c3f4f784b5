"""The lister against the bundled fake, in process (httpx.ASGITransport for the API and the
files): FITS per mission, the mission list as a shortcut, and a tracker failing after it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from slooh_async._exceptions import StorageError
from slooh_async.api import RetryPolicy
from slooh_async.config import Settings
from slooh_async.engine import DownloadRequest, RunOptions, RunSummary, run_download
from slooh_async.fake_server import Catalog, FakeConfig, FakeSloohApp, Faults, create_app
from slooh_async.tracker import Tracker

pytestmark = pytest.mark.anyio


def mixed_config(faults: Faults | None = None) -> FakeConfig:
    """A small account whose missions include some with FITS and some without (the first
    seed that gives both, so a change in the catalog's generator cannot void the test)."""
    for seed in range(1, 100):
        config = FakeConfig(pictures=10, seed=seed, file_size=4096, faults=faults or Faults())
        kinds = {mission.fits_available for mission in Catalog(config).missions}
        if kinds == {True, False}:
            return config
    raise AssertionError("no seed gives missions with and without FITS")


def fake(faults: Faults | None = None) -> FakeSloohApp:
    """The fake serving both the API and the files."""
    return create_app(mixed_config(faults), "http://files.fake")


def setup(app: FakeSloohApp, tmp_path: Path) -> tuple[Settings, RunOptions]:
    """Settings for a library in ``tmp_path``; every request goes into the app."""
    settings = Settings.model_validate(
        {
            "slooh": {
                "base_url": "http://api.fake",
                "username": app.state.config.username,
                "password": app.state.config.password,
            },
            "download": {"rate_limit": 0},
            "folders": {"base_path": str(tmp_path / "lib")},
        }
    )
    options = RunOptions(
        retry=RetryPolicy.no_wait(1),
        api_transport=httpx.ASGITransport(app=app),
        download_transport=httpx.ASGITransport(app=app),
    )
    return settings, options


async def run(app: FakeSloohApp, tmp_path: Path) -> RunSummary:
    """One download run into a fresh library."""
    settings, options = setup(app, tmp_path)
    with Tracker.open(settings.tracker_path, base_path=settings.folders.base_path) as tracker:
        summary = await run_download(settings, tracker, DownloadRequest(), options=options)
    assert summary.fatal is None, summary.error
    return summary


def fits_asked(app: FakeSloohApp) -> int:
    return len(app.state.log.calls("getMissionFITS"))


async def test_missions_without_fits_are_not_asked(tmp_path: Path) -> None:
    """fitsIsAvailable false in the mission list: no getMissionFITS call for that mission;
    every picture and every FITS frame of the others arrives."""
    app = fake()
    catalog = app.state.catalog
    summary = await run(app, tmp_path)
    assert summary.downloaded == len(catalog.expected_files(include_fits=True))
    assert fits_asked(app) == sum(1 for mission in catalog.missions if mission.fits_available)
    assert len(app.state.log.calls("getMissionImages")) == 1


async def test_a_broken_mission_list_falls_back_to_asking_each_mission(tmp_path: Path) -> None:
    """getMissionImages failing (HTTP 500, retried once) does not fail the run: every mission
    is asked for its FITS, and every file arrives."""
    app = fake(Faults(fail_endpoints=frozenset({"getMissionImages"})))
    catalog = app.state.catalog
    summary = await run(app, tmp_path)
    assert summary.downloaded == len(catalog.expected_files(include_fits=True))
    assert fits_asked(app) == len(catalog.missions)
    assert [r.status for r in app.state.log.calls("getMissionImages")] == [500, 500]


async def test_a_tracker_error_after_listing_stops_the_run_with_that_error(
    tmp_path: Path,
) -> None:
    """Recording the checked missions fails (disk full) once the listing is done: the run
    ends with that StorageError as its fatal error (exit 5), not an exception group."""
    settings, options = setup(fake(), tmp_path)

    def disk_full(checked: object) -> None:
        raise StorageError("cannot write the tracker: the disk is full")

    with Tracker.open(settings.tracker_path, base_path=settings.folders.base_path) as tracker:
        tracker.set_fits_checked_many = disk_full  # type: ignore[method-assign]
        summary = await run_download(settings, tracker, DownloadRequest(), options=options)
    assert isinstance(summary.fatal, StorageError) and "disk is full" in str(summary.error)
    assert summary.fatal.exit_code == 5
