"""The API models accept every shape the contract lists; derived fields are right."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from slooh_async._redact import redact, register_secret
from slooh_async.api import (
    Mission,
    MissionsPage,
    PageCursor,
    Picture,
    PicturesPage,
    parse_display_datetime,
)

REAL = {
    "imageId": 17375714,
    "customerImageId": "14963069",
    "missionId": "",
    "scheduledMissionId": "3996220",
    "objectId": 12,
    "imageTitle": "Crab Nebula (M1)",
    "imageDownloadURL": "https://polaris2.slooh.com/chile/1/highmag/2026/02/09/0325_m1/"
    "m1_20260209_032548_0_y7g9el_m.png?rand=1770718975.7166",
    "imageType": "png",
    "telescopeName": "Chile One",
    "instrumentName": "High Mag",
    "overlayData": {"owner": "Not available", "observatoryName": "Chile"},
    "displayDate": "Feb. 9, 2026",
    "displayTime": "03:25:48 UTC",
    "somethingNew": [1, 2],
}


@pytest.mark.parametrize(
    ("date", "time", "expected"),
    [
        ("Feb. 7, 2026", "20:15:30 UTC", datetime(2026, 2, 7, 20, 15, 30, tzinfo=UTC)),
        ("February 7, 2026", "20:15 UTC", datetime(2026, 2, 7, 20, 15, tzinfo=UTC)),
        ("May 7, 2026", "20:15:30 UTC", datetime(2026, 5, 7, 20, 15, 30, tzinfo=UTC)),
        ("Sept. 7, 2026", "01:02 UTC", datetime(2026, 9, 7, 1, 2, tzinfo=UTC)),
        ("2026-09-07", None, datetime(2026, 9, 7, tzinfo=UTC)),
        ("Feb. 30, 2026", "20:15 UTC", None),
        ("someday", "20:15 UTC", None),
        (None, "20:15 UTC", None),
    ],
)
def test_display_dates(date: str | None, time: str | None, expected: datetime | None) -> None:
    """Every date/time format of the contract parses to UTC; junk gives None, never an error."""
    assert parse_display_datetime(date, time) == expected


def test_real_picture_shape() -> None:
    """A real getMyPictures item: ids coerced, filename from the URL path, not the query."""
    picture = Picture.model_validate(REAL)
    assert picture.key == "17375714"
    assert picture.mission_id == 3996220
    assert picture.filename == "m1_20260209_032548_0_y7g9el_m.png"
    assert (picture.extension, picture.format, picture.filter) == (".png", "PNG", "Mono")
    assert picture.owner is None and picture.observatory == "Chile"
    assert picture.observed_at == datetime(2026, 2, 9, 3, 25, 48, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"imageId": "17375714"}, "17375714"),
        ({"imageId": ""}, "customer:14963069"),
        ({"imageId": None, "customerImageId": ""}, "file:m1_20260209_032548_0_y7g9el_m.png"),
    ],
)
def test_picture_keys(changes: dict[str, object], key: str) -> None:
    """The key is the image id (int or string), else a stable fallback; never the URL."""
    assert Picture.model_validate({**REAL, **changes}).key == key


def test_mission_id_falls_back_to_mission_id_field() -> None:
    """scheduledMissionId missing or 0: a non-empty missionId is used."""
    data = {**REAL, "scheduledMissionId": 0, "missionId": "42"}
    assert Picture.model_validate(data).mission_id == 42


def test_missing_fields_do_not_crash() -> None:
    """A nearly empty item still validates; observed_at is None with a debug log."""
    picture = Picture.model_validate({"imageId": "5", "imageDownloadURL": "https://h/x/a.jpeg"})
    assert picture.format == "JPEG" and picture.title == "" and picture.observed_at is None


def test_observed_at_falls_back_to_the_file_name(caplog: pytest.LogCaptureFixture) -> None:
    """Without display fields, the UTC stamp in the Slooh file name is used."""
    data = {**REAL, "displayDate": "??", "displayTime": None}
    assert Picture.model_validate(data).observed_at == datetime(2026, 2, 9, 3, 25, 48, tzinfo=UTC)


def test_pages_accept_string_counts_and_junk_items() -> None:
    """totalCount as string or int; non-object items in imageList are dropped."""
    page = PicturesPage.model_validate({"totalCount": "1263", "imageList": [REAL, "junk", None]})
    assert page.total_count == 1263 and len(page.pictures) == 1
    assert PicturesPage.model_validate({"totalCount": 7}).total_count == 7
    missions = MissionsPage.model_validate(
        {
            "missionCount": "3",
            "imageList": [
                {"scheduledMissionId": "9", "missionImageCount": "4", "fitsIsAvailable": "true"}
            ],
        }
    )
    assert missions.image_count == 3
    assert missions.missions[0] == Mission.model_validate(
        {"scheduledMissionId": 9, "missionImageCount": 4, "fitsIsAvailable": True}
    )


def test_cursor_stops_past_total() -> None:
    """The cursor advances by items received and stops once past totalCount."""
    cursor = PageCursor(batch_size=50)
    cursor.advance(50, 120)
    assert (cursor.first, cursor.done, cursor.pages_expected) == (51, False, 3)
    cursor.advance(50, 120)
    cursor.advance(20, 120)
    assert cursor.done and cursor.pages == 3


def test_cursor_flags_silent_expiry() -> None:
    """An empty answer after items, or a total dropping to 0, looks like an expired session."""
    cursor = PageCursor()
    assert not cursor.looks_expired(0, 0, 0.0)
    cursor.advance(50, 100)
    assert cursor.looks_expired(0, 100, 0.0)
    assert cursor.looks_expired(0, 0, 0.0)
    fresh = PageCursor()
    assert fresh.looks_expired(0, 0, 3600.0)


def test_redaction_of_values_and_pairs(caplog: pytest.LogCaptureFixture) -> None:
    """Registered secrets and secret-keyed pairs are masked; ordinary text is kept."""
    register_secret("correct-horse-battery", "ab" * 20)
    text = 'passwd=correct-horse-battery format=png {"at": "7", "token": "' + "ab" * 20 + '"}'
    assert redact(text) == 'passwd=*** format=png {"at": "***", "token": "***"}'


def test_redacting_filter_masks_log_records(caplog: pytest.LogCaptureFixture) -> None:
    """A log record carrying a secret is masked by the RedactingFilter."""
    from slooh_async._redact import RedactingFilter

    logger = logging.getLogger("slooh_async.test_redact")
    register_secret("very-secret-value-1")
    filt = RedactingFilter()
    logger.addFilter(filt)
    try:
        with caplog.at_level(logging.INFO, logger="slooh_async.test_redact"):
            logger.info("sending %s", "very-secret-value-1")
    finally:
        logger.removeFilter(filt)
    assert "very-secret-value-1" not in caplog.text and "***" in caplog.text
