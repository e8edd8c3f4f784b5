"""A hostile service: answers that break the contract in the ways a real service has been seen to.

Pure functions of the fault knobs (see :class:`~._faults.Faults`), used by the API handlers and
the download host: malformed listing items, pages that ignore paging, an ``imageList`` of the
wrong shape, JSON nested too deeply to read, redirects of API calls, and a second version of a
file (other bytes, another ETag) served after the first attempt was cut short.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from ._catalog import CatalogFile
from ._faults import Faults

__all__ = [
    "BAD_PORT_URL",
    "BAD_URL",
    "HTML_PAGE",
    "HUGE_ID",
    "deep_json",
    "malform",
    "part_named_file",
    "redirect_location",
    "second_version",
    "shape_page",
]

#: an image id of 40 digits: far past SQLite's 64-bit INTEGER
HUGE_ID = 1234567890123456789012345678901234567890
#: a download URL that does not parse (an unclosed IPv6 bracket)
BAD_URL = "http://[::1/x.png"
#: a download URL whose port does not exist
BAD_PORT_URL = "http://127.0.0.1:99999/x/bad_port.png"
#: what a proxy or an overloaded host answers in place of the file, with status 200
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Service temporarily unavailable</title></head>"
    b"<body><h1>Service temporarily unavailable</h1><p>Please try again later.</p></body></html>"
)
#: how deep :func:`deep_json` nests (Python's parser gives up near 1,000)
_DEPTH = 100_000


def malform(
    entry: dict[str, Any], position: int, faults: Faults, roll: Sequence[CatalogFile]
) -> dict[str, Any]:
    """The item at ``position`` (1-based) of ``roll``, the list served (the photoRoll or a
    mission's pictures), broken when a ``malformed_items`` kind falls on it: the kinds of
    :attr:`Faults.malformed_order` take positions 1, 2..."""
    kinds = faults.malformed_order
    if not 1 <= position <= len(kinds):
        return entry
    kind = kinds[position - 1]
    broken = dict(entry)
    if kind == "part_name":
        path = part_named_path(roll, position)
        base = entry["imageURL"][: -len(roll[position - 1].path)]
        broken["imageURL"] = f"{base}{path}"
        broken["imageDownloadURL"] = f"{base}{path}?rand=1"
        broken["imageDownloadFilename"] = path.rsplit("/", 1)[-1]
        return broken
    if kind == "huge_id":
        broken["imageId"] = HUGE_ID
    elif kind == "bad_url":
        broken["imageDownloadURL"] = broken["imageURL"] = BAD_URL
    elif kind == "bad_port":
        broken["imageDownloadURL"] = broken["imageURL"] = BAD_PORT_URL
    else:  # odd_types: every field in a shape the contract never promised
        broken.update(
            imageTitle=["not", "a", "title"],
            scheduledMissionId={"not": "an id"},
            displayDate=20260207,
            displayTime=None,
            overlayData="not an object",
            imageTimestamp="1e400",
            kind="not a kind",
            position="first",
        )
    return broken


def part_named_path(roll: Sequence[CatalogFile], position: int) -> str:
    """``part_name``: the item at ``position`` is listed under the next item's file name plus
    ``.part`` (``clash.png.part`` beside ``clash.png``), in its own folder."""
    item, below = roll[position - 1], roll[position % len(roll)]
    return f"{item.path.rsplit('/', 1)[0]}/{below.filename}.part"


def part_named_file(
    path: str, listings: Iterable[Sequence[CatalogFile]], faults: Faults
) -> CatalogFile | None:
    """The file a ``part_name`` path stands for (its own bytes), if any.

    The path depends on the list its item was listed in (the photoRoll, one mission's
    pictures...), so it is looked for in each of ``listings``: every list the API can serve.
    """
    if "part_name" not in faults.malformed_items or not path.endswith(".part"):
        return None
    position = faults.malformed_order.index("part_name") + 1
    for roll in listings:
        if position <= len(roll) and part_named_path(roll, position) == path:
            return roll[position - 1]
    return None


def shape_page(payload: dict[str, Any], faults: Faults) -> dict[str, Any]:
    """A getMyPictures answer with ``totalCount`` and ``imageList`` as the knobs say."""
    shaped = dict(payload)
    if faults.total_count == "missing":
        shaped.pop("totalCount", None)
    elif faults.total_count:
        shaped["totalCount"] = faults.total_count
    items = shaped.get("imageList", [])
    if faults.image_list == "null":
        shaped["imageList"] = None
    elif faults.image_list == "object":
        shaped["imageList"] = {"pictures": items}
    elif faults.image_list == "string":
        shaped["imageList"] = str(items)
    return shaped


def deep_json() -> bytes:
    """A JSON object holding an array nested :data:`_DEPTH` deep (well-formed, unreadable)."""
    return b'{"apiError":false,"imageList":' + b"[" * _DEPTH + b"]" * _DEPTH + b"}"


def redirect_location(path: str, query: bytes, faults: Faults) -> str | None:
    """Where an API call is redirected to, or ``None``: calls already redirected once (they
    carry ``redirected=1``) and paths not in ``redirect_paths`` (when given) are answered."""
    if not faults.api_redirect or b"redirected=1" in query:
        return None
    last = path.rsplit("/", 1)[-1]
    if faults.redirect_paths and not faults.redirect_paths & {path, last}:
        return None
    return f"{faults.api_redirect.rstrip('/')}{path}?redirected=1"


def second_version(item: CatalogFile) -> CatalogFile:
    """The file as its host serves it after a change: same name and size, other bytes (and so
    another ETag)."""
    spec = dataclasses.replace(item.spec, body_seed=item.spec.body_seed ^ 0x5EC0_0D)
    return dataclasses.replace(item, spec=spec)
