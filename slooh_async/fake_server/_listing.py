"""How catalog items look in listings: every field and quirk of ``slooh-api.md`` (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ._catalog import CatalogFile, Mission

__all__ = ["display_date", "display_time", "fits_entry", "mission_entry", "picture_entry"]

# The web app's short months are AP style: "Feb.", "Sept.", and March to July in full.
_SHORT_MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.",
                 "Oct.", "Nov.", "Dec.")  # fmt: skip


def display_date(when: datetime, long_month: bool = False) -> str:
    """``Feb. 7, 2026`` (or ``February 7, 2026`` with ``long_month``)."""
    month = f"{when:%B}" if long_month else _SHORT_MONTHS[when.month - 1]
    return f"{month} {when.day}, {when.year}"


def display_time(when: datetime, seconds: bool = True) -> str:
    """``20:15:30 UTC`` (or ``20:15 UTC`` without seconds)."""
    return f"{when:%H:%M:%S} UTC" if seconds else f"{when:%H:%M} UTC"


def picture_entry(item: CatalogFile, mission: Mission, base: str, rand: str) -> dict[str, Any]:
    """One ``imageList`` item of ``getMyPictures``."""
    quirks = item.quirks
    url = f"{base}{item.path}"
    entry: dict[str, Any] = {
        "imageId": str(item.image_id) if quirks.image_id_as_text else item.image_id,
        "customerImageId": quirks.customer_image_id,
        "scheduledMissionId": str(item.mission_id)
        if quirks.mission_id_as_text
        else item.mission_id,
        "missionId": "",
        "objectId": mission.object_id,
        "imageTitle": item.title,
        "imageDownloadURL": f"{url}?rand={rand}",
        "imageURL": url,
        "imageType": quirks.image_type,
        "telescopeName": item.telescope,
        "instrumentName": mission.instrument,
        "overlayData": {"owner": quirks.owner, "observatoryName": mission.observatory},
        "shareToken": quirks.share_token,
        "displayDate": display_date(item.taken_at, quirks.long_month),
        "displayTime": display_time(item.taken_at, quirks.seconds),
        "likesCount": item.image_id % 7,
        "canEditFlag": True,
        "fileData": {"Telescope": item.telescope, "Observatory": mission.observatory},
    }
    if quirks.download_filename:
        entry["imageDownloadFilename"] = item.filename
    if quirks.timestamp:
        entry["imageTimestamp"] = int(item.taken_at.timestamp())
    return entry


def mission_entry(mission: Mission, base: str) -> dict[str, Any]:
    """One ``imageList`` item of ``getMissionImages``."""
    count = len(mission.pictures)
    thumbnail = f"{base}{mission.pictures[0].path}" if mission.pictures else ""
    return {
        "scheduledMissionId": mission.mission_id,
        "imageTitle": mission.title,
        "telescopeName": mission.telescope,
        "instrumentName": mission.instrument,
        "displayDate": display_date(mission.start),
        "displayTime": display_time(mission.start, seconds=False),
        "missionImageCount": str(count) if mission.count_as_text else count,
        "fitsIsAvailable": mission.fits_available,
        "missionOwner": "Demo Observer",
        "imageURL": thumbnail,
        "objectId": mission.object_id,
    }


def fits_entry(item: CatalogFile, base: str) -> dict[str, Any]:
    """One ``groupImageList`` item of ``getMissionFITS`` (``imageId`` sometimes missing)."""
    entry: dict[str, Any] = {"imageTitle": item.filename, "imageURL": f"{base}{item.path}"}
    if item.quirks.id_listed:
        entry = {"imageId": item.image_id, **entry}
    return entry
