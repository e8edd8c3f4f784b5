"""run_download against the fake Slooh: which runs may stop listing at the first known page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from slooh_async.api import RetryPolicy
from slooh_async.config import Settings
from slooh_async.engine import DownloadRequest, RunOptions, RunSummary, run_download
from slooh_async.fake_server import FakeConfig, FakeSlooh
from slooh_async.tracker import Tracker

pytestmark = pytest.mark.anyio

PICTURES, BATCH = 60, 20
PAGES = PICTURES // BATCH


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlooh]:
    """60 pictures, no FITS, no clashes: three pages of 20."""
    config = FakeConfig(pictures=PICTURES, seed=5, fits=False, clashes=False, file_size=1500)
    with FakeSlooh(config).running() as srv:
        yield srv


def settings_for(server: FakeSlooh, base: Path, **download: Any) -> Settings:
    return Settings.model_validate(
        {
            "slooh": {"base_url": server.base_url, "username": "demo", "password": "demo"},
            "download": {"rate_limit": 0, "batch_size": BATCH, **download},
            "folders": {"base_path": str(base)},
        }
    )


async def sync(settings: Settings, request: DownloadRequest | None = None) -> RunSummary:
    """One run, as the CLI makes it (a tracker opened for the run, closed after)."""
    base = settings.folders.base_path
    with Tracker.open(settings.tracker_path, base_path=base) as tracker:
        options = RunOptions(retry=RetryPolicy.no_wait())
        return await run_download(settings, tracker, request or DownloadRequest(), options=options)


@pytest.fixture
async def synced(server: FakeSlooh, tmp_path: Path) -> Settings:
    """A library after one complete sync (the next plain run may stop at page 1)."""
    settings = settings_for(server, tmp_path / "lib")
    first = await sync(settings)
    assert first.downloaded == PICTURES and first.complete_scan
    server.clear_log()
    again = await sync(settings)
    assert again.total_available == BATCH and len(server.calls("getMyPictures")) == 1
    server.clear_log()
    return settings


async def test_full_scan_lists_every_page(server: FakeSlooh, synced: Settings) -> None:
    """--full-scan lists the whole photo roll even when the library is in sync."""
    summary = await sync(synced, DownloadRequest(full_scan=True))
    assert summary.total_available == PICTURES
    assert len(server.calls("getMyPictures")) == PAGES


async def test_all_downloads_every_picture_again(server: FakeSlooh, synced: Settings) -> None:
    """--all fetches every picture again, not only the first page's."""
    summary = await sync(synced, DownloadRequest(redownload_all=True))
    assert summary.downloaded == summary.total_available == PICTURES


async def test_without_tracker_check_every_picture_is_looked_at(
    server: FakeSlooh, synced: Settings
) -> None:
    """check_tracker=false re-plans every picture: a file deleted on page 3 comes back."""
    last = server.catalog.photo_roll[-1]
    (lost,) = [p for p in synced.folders.base_path.rglob("*") if p.name.endswith(last.filename)]
    lost.unlink()
    unchecked = synced.model_copy(
        update={"download": synced.download.model_copy(update={"check_tracker": False})}
    )
    summary = await sync(unchecked)
    assert summary.total_available == PICTURES
    assert summary.downloaded == 1 and summary.skipped_existing == PICTURES - 1
    assert lost.exists()


async def test_pictures_only_sync_stops_at_the_first_known_page(
    server: FakeSlooh, tmp_path: Path
) -> None:
    """--no-fits (download.fits=false) syncs are incremental too; FITS then need one full scan."""
    settings = settings_for(server, tmp_path / "lib")
    pictures_only = DownloadRequest(fits="without")
    assert (await sync(settings, pictures_only)).downloaded == PICTURES
    server.clear_log()
    again = await sync(settings, pictures_only)
    assert again.total_available == BATCH and len(server.calls("getMyPictures")) == 1
    with_fits = await sync(settings)  # no mission's FITS were ever listed: look at them all
    assert with_fits.total_available == PICTURES
    server.clear_log()
    assert (await sync(settings)).total_available == BATCH


async def test_a_picture_slooh_removed_stops_blocking_incremental_syncs(
    server: FakeSlooh, synced: Settings
) -> None:
    """A failed picture no listing shows any more is marked gone after one full listing."""
    from slooh_async.tracker import ImageRow

    base = synced.folders.base_path
    with Tracker.open(synced.tracker_path, base_path=base) as tracker:
        tracker.record_batch([ImageRow(key="424242", status="failed", error="HTTP 500")])
    first = await sync(synced)
    assert len(server.calls("getMyPictures")) == PAGES and first.complete_scan
    with Tracker.open(synced.tracker_path, base_path=base) as tracker:
        record = tracker.get("424242")
    assert record is not None and record.status == "failed"
    assert (record.last_error or "").startswith("gone:")
    server.clear_log()
    await sync(synced)
    assert len(server.calls("getMyPictures")) == 1


@pytest.mark.anyio
async def test_result_writer_batches_in_its_own_task_and_reports_a_failing_tracker() -> None:
    """A full batch is written by the writer's task, not by the worker that filled it; a
    tracker that cannot be written is handed to ``on_error`` (the run stops) and the writer
    ends."""
    import anyio

    from slooh_async._exceptions import StorageError
    from slooh_async.engine._pipeline import _FLUSH_ROWS, _ResultWriter

    class Recording:
        def __init__(self, fail: bool) -> None:
            self.fail = fail
            self.batches: list[int] = []
            self.written = anyio.Event()

        def record_batch(self, rows: list[Any]) -> None:  # runs in a worker thread
            if self.fail:
                raise StorageError("cannot write the tracker: the disk is full")
            self.batches.append(len(rows))
            anyio.from_thread.run_sync(self.written.set)

    errors: list[Exception] = []
    for tracker in (Recording(fail=False), Recording(fail=True)):
        writer = _ResultWriter(tracker)  # type: ignore[arg-type]
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(writer.run, errors.append)
                for _ in range(_FLUSH_ROWS):
                    await writer.add(object())  # type: ignore[arg-type]
                assert tracker.batches == []  # the worker did not write
                if not tracker.fail:
                    await tracker.written.wait()
                    tg.cancel_scope.cancel()
                # a failing tracker: the writer reports it and ends, which ends the group
        if not tracker.fail:
            assert tracker.batches == [_FLUSH_ROWS]
    assert len(errors) == 1 and "disk is full" in str(errors[0])
