"""The lister against an in-memory service: FITS per mission, the mission list as a shortcut."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from mock_slooh import MockSlooh, picture

from slooh_async.api import RetryPolicy
from slooh_async.config import Settings
from slooh_async.engine import DownloadRequest, RunOptions, run_download
from slooh_async.media import PNG_SIGNATURE
from slooh_async.tracker import Tracker

pytestmark = pytest.mark.anyio


def files_host(request: httpx.Request) -> httpx.Response:
    """Files whose first bytes are their format's signature, then their path."""
    head = b"SIMPLE  = " if request.url.path.endswith(".fit") else PNG_SIGNATURE
    return httpx.Response(200, content=head + request.url.path.encode())


def fits_of(mission: int) -> list[dict[str, object]]:
    name = f"m42_20260121_0116{mission % 60:02d}_0_f{mission}_l_cal.fit"
    return [
        {
            "groupName": "CCD",
            "groupImageList": [{"imageTitle": name, "imageURL": f"https://files.example/f/{name}"}],
        }
    ]


def setup(service: MockSlooh, tmp_path: Path) -> tuple[Settings, RunOptions]:
    """Settings for a library in ``tmp_path`` and the in-memory service and files host."""
    settings = Settings.model_validate(
        {
            "slooh": {
                "base_url": "https://app.example",
                "username": "u",
                "password": service.password,
            },
            "download": {"rate_limit": 0},
            "folders": {"base_path": str(tmp_path / "lib")},
        }
    )
    options = RunOptions(
        retry=RetryPolicy.no_wait(1),
        api_transport=service.transport(),
        download_transport=httpx.MockTransport(files_host),
    )
    return settings, options


async def run(service: MockSlooh, tmp_path: Path) -> int:
    settings, options = setup(service, tmp_path)
    with Tracker.open(settings.tracker_path, base_path=settings.folders.base_path) as tracker:
        summary = await run_download(settings, tracker, DownloadRequest(), options=options)
    assert summary.fatal is None, summary.error
    return summary.downloaded


async def test_missions_without_fits_are_not_asked(tmp_path: Path) -> None:
    """fitsIsAvailable false in the mission list: no getMissionFITS call for that mission."""
    service = MockSlooh(pictures=[picture(n) for n in range(6)])  # missions 500 and 501
    service.fits[500] = fits_of(500)
    service.hooks.append(
        lambda req, body: (
            httpx.Response(
                200,
                json={
                    "totalCount": 2,
                    "imageList": [
                        {"scheduledMissionId": 500, "fitsIsAvailable": True},
                        {"scheduledMissionId": 501, "fitsIsAvailable": "false"},
                    ],
                },
            )
            if req.url.path.endswith("getMissionImages")
            else None
        )
    )
    assert await run(service, tmp_path) == 7
    asked = [
        body["scheduledMissionId"]
        for path, body in service.calls
        if path.endswith("getMissionFITS")
    ]
    assert asked == [500]


async def test_a_broken_mission_list_falls_back_to_asking_each_mission(tmp_path: Path) -> None:
    """getMissionImages failing does not fail the run: every mission is asked for its FITS."""
    service = MockSlooh(pictures=[picture(n) for n in range(6)])
    service.fits[500] = fits_of(500)
    service.fits[501] = fits_of(501)
    service.hooks.append(
        lambda req, body: httpx.Response(500) if req.url.path.endswith("getMissionImages") else None
    )
    assert await run(service, tmp_path) == 8


async def test_a_tracker_error_after_listing_stops_the_run_with_that_error(
    tmp_path: Path,
) -> None:
    """Recording the checked missions fails (disk full) once the listing is done: the run
    ends with that StorageError as its fatal error (exit 5), not an exception group."""
    from slooh_async._exceptions import StorageError

    service = MockSlooh(pictures=[picture(n) for n in range(6)])
    service.fits[500] = fits_of(500)
    settings, options = setup(service, tmp_path)

    def disk_full(rows: object) -> None:
        raise StorageError("cannot write the tracker: the disk is full")

    with Tracker.open(settings.tracker_path, base_path=settings.folders.base_path) as tracker:
        tracker.set_fits_checked_many = disk_full  # type: ignore[method-assign]
        summary = await run_download(settings, tracker, DownloadRequest(), options=options)
    assert isinstance(summary.fatal, StorageError) and "disk is full" in str(summary.error)
