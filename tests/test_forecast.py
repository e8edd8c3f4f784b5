"""The rate budget's estimate: a pure function of counts, and the sink that extrapolates."""

from __future__ import annotations

from pathlib import Path

import pytest

from slooh_async.engine import (
    FileDone,
    FileFailed,
    FilePlanned,
    Forecast,
    ListingEnded,
    ListingPage,
    estimate_run,
)

BASE = Path("/lib")


def picture(n: int, action: str = "download") -> FilePlanned:
    return FilePlanned(str(n), f"p{n}.png", action, BASE / f"p{n}.png")  # type: ignore[arg-type]


def frame(mission: int, n: int) -> FilePlanned:
    return FilePlanned(f"fits:{mission}:f{n}.fit", f"f{n}.fit", "download", BASE / f"f{n}.fit")


@pytest.mark.parametrize(
    ("files", "pages", "missions", "per_minute", "seconds"),
    [
        (0, 0, 0, 30, 0.0),
        (30, 0, 0, 30, 0.0),  # a burst of up to the budget goes at once
        (31, 0, 0, 30, 60.0),
        (2548, 51, 0, 30, 86 * 60.0),  # the docs' example: about 1 h 26 min
        (5000, 100, 900, 0, 0.0),  # no limit
    ],
)
def test_estimate_counts_every_request_against_the_budget(
    files: int, pages: int, missions: int, per_minute: int, seconds: float
) -> None:
    """Files, listing pages and FITS lists are requests; the budget sets the least time."""
    estimate = estimate_run(files, pages=pages, missions=missions, per_minute=per_minute)
    assert estimate.requests == files + pages + missions
    assert estimate.seconds == seconds and estimate.final


def test_a_split_budget_takes_the_slower_of_its_two_parts() -> None:
    """download_rate_limit gives files their own budget; API calls keep rate_limit."""
    both = estimate_run(600, pages=61, per_minute=30, download_per_minute=300)
    assert both.seconds == max((61 - 1) // 30 * 60.0, (600 - 1) // 300 * 60.0) == 120.0


def test_forecast_extrapolates_from_the_services_count_until_listing_ends() -> None:
    """After page 1 of 51: the files, pages and FITS lists of the whole roll, as "~"."""
    forecast = Forecast()
    forecast.emit(ListingPage("pictures", 1, 51, 50, 2548))
    for n in range(50):
        forecast.emit(picture(n, "download" if n < 40 else "tracked"))
    for mission in range(5):
        for n in range(4):
            forecast.emit(frame(mission, n))
    assert not forecast.rest(30).final
    assert forecast.files == 60 + round(60 * 2498 / 50)
    assert forecast.total_pages == 51 and forecast.total_missions == 5 + round(5 * 2498 / 50)
    whole = forecast.whole(30)
    assert not whole.final and whole.requests == forecast.files + 51 + 2 + 255
    forecast.emit(ListingEnded(True))
    assert forecast.final and forecast.files == 60 and forecast.total_pages == 1


def test_what_is_left_shrinks_as_files_finish() -> None:
    """rest() counts files not finished (done, or failed at a worker) and pages not listed."""
    forecast = Forecast()
    forecast.emit(ListingPage("pictures", 1, 2, 50, 100))
    for n in range(50):
        forecast.emit(picture(n))
    forecast.emit(FileDone(0, "0", "p0.png", BASE / "p0.png", 10, 1))
    forecast.emit(FileFailed(1, "1", "p1.png", "HTTP 404"))
    forecast.emit(FileFailed(None, "2", "p2.png", "no path"))  # never reached a worker
    rest = forecast.rest(30)
    assert rest.files == 100 - 2 and rest.requests == 98 + 1
    assert not rest.final


def test_known_counts_bound_the_extrapolation() -> None:
    """`slooh retry` knows its files; --limit caps them."""
    retry = Forecast(expected=3)
    retry.emit(ListingPage("pictures", 1, 40, 50, 2000))
    retry.emit(picture(1))
    assert retry.files == 3
    limited = Forecast(limit=5)
    limited.emit(ListingPage("pictures", 1, 40, 50, 2000))
    for n in range(50):  # the producer queues up to the limit; the rest is skipped
        limited.emit(picture(n, "download" if n < 5 else "tracked"))
    assert limited.files == 5


def test_without_a_count_nothing_is_extrapolated() -> None:
    """A page without totalCount: the files so far are all the display can say."""
    forecast = Forecast()
    forecast.emit(ListingPage("pictures", 1, None, 50, None))
    for n in range(7):
        forecast.emit(picture(n))
    assert forecast.files == 7 and forecast.total_pages == 1
