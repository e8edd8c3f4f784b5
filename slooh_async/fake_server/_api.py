"""The JSON endpoints: what each answers, in the shapes ``slooh-api.md`` describes.

Handlers are plain functions of a :class:`ApiState` and the parsed body; :mod:`._app` does the
HTTP around them (faults, auth, logging).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ._catalog import Catalog, CatalogFile, Mission
from ._config import PRODUCT_IDS, FakeConfig
from ._faults import FaultDice, Faults
from ._hostile import malform, shape_page
from ._listing import fits_entry, mission_entry, picture_entry
from ._sessions import SessionCheck, SessionStore

__all__ = [
    "API_PREFIX",
    "ENDPOINTS",
    "Answer",
    "ApiState",
    "envelope",
    "error_answer",
    "picture_lists",
]

API_PREFIX = "/api/"
_MAX_PAGE = 200


@dataclass(slots=True)
class Answer:
    """A JSON answer: payload, HTTP status, extra headers, and the fault it stands for."""

    payload: dict[str, Any]
    status: int = 200
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    fault: str = ""


@dataclass(slots=True)
class ApiState:
    """What the handlers share: config, catalog, sessions, faults, the download host's URL."""

    config: FakeConfig
    catalog: Catalog
    sessions: SessionStore
    dice: FaultDice
    download_base: str = ""
    #: the server's time (sessions' ages)
    clock: Callable[[], float] = time.monotonic
    _last_rand: float = 0.0

    @property
    def faults(self) -> Faults:
        """The fault knobs in force (they change at runtime)."""
        return self.dice.faults

    def rand(self) -> str:
        """A ``rand`` query value that changes on every listing (like the real one)."""
        self._last_rand = max(time.time(), self._last_rand + 0.0001)
        return f"{self._last_rand:.4f}"


def envelope(**fields: Any) -> dict[str, Any]:
    """A success answer: the common envelope plus ``fields``."""
    return {"ver": "v1", "lang": "en", "timestamp": int(time.time()), "apiError": False,
            "statusCode": 200, **fields}  # fmt: skip


def error_answer(status_code: int | str, message: str, fault: str = "", code: int = 0) -> Answer:
    """An ``apiError`` answer (HTTP 200, the error in the JSON, as the service does)."""
    payload = envelope(apiError=True, statusCode=status_code, errorCode=code or int(status_code),
                       errorMsg=message)  # fmt: skip
    return Answer(payload, fault=fault)


# --------------------------------------------------------------------------- session and login


def generate_session_token(state: ApiState, body: dict[str, Any]) -> Answer:
    """``generateSessionToken``: a site token, also set as the ``_sloohsstkn`` cookie."""
    token = state.sessions.issue_site_token()
    cookie = f"_sloohsstkn={token}; Path=/; SameSite=Lax".encode()
    return Answer(envelope(sloohSessionToken=token), headers=[(b"set-cookie", cookie)])


def login(state: ApiState, body: dict[str, Any]) -> Answer:
    """``login``: credentials for the configured user; ``loginError: "true"`` otherwise."""
    site_token = (
        body.get("sloohSiteSessionToken") or body.get("sloohSessionToken") or body.get("_cookie")
    )
    if not state.sessions.knows_site_token(site_token):
        return _login_failed("Your session has expired. Please reload the page and try again.")
    config = state.config
    good = body.get("username") == config.username and body.get("passwd") == config.password
    if not good or state.faults.bad_credentials:
        return _login_failed("Invalid username or password", fault="bad_credentials")
    session = state.sessions.login(state.clock())
    return Answer(envelope(**_account(state, session.at, session.cid, session.token)))


def _login_failed(message: str, fault: str = "") -> Answer:
    payload = envelope(loginError="true", errorCode=10, errorMsg=message)
    return Answer(payload, fault=fault)


def _account(state: ApiState, at: str, cid: str, token: str) -> dict[str, Any]:
    seed = state.config.seed
    return {
        "at": at,
        "cid": cid,
        "token": token,
        "userid": str(200000 + seed),
        "customerUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"slooh-fake:{seed}")),
        "fname": "Demo",
        "displayName": "Demo Observer",
        "avatarURL": f"{state.download_base}/avatars/demo.png",
        "membershipType": "Astronomer",
        "subscriptionPlanName": "Slooh Astronomer",
        "status": "active",
        "tokenExp": str(int(time.time()) + 30 * 86400),
        "loginError": "false",
    }


# --------------------------------------------------------------------------- account and lists


def gravity_status(state: ApiState, body: dict[str, Any]) -> Answer:
    """``getUserGravityStatus``: the account's standing."""
    return Answer(envelope(displayName="Demo Observer", memberSince="2019", gravityPoints=12840,
                           currentTierName="Astronomer", nextTierName="Apprentice Astronomer",
                           currentTierProgress=640, maxTierProgress=1000))  # fmt: skip


def mission_images(state: ApiState, body: dict[str, Any]) -> Answer:
    """``getMissionImages``: missions, newest first, paged by ``firstMissionNumber``."""
    first, size = _paging(body, "firstMissionNumber", "maxMissionCount")
    missions = state.catalog.missions
    page = missions[first - 1 : first - 1 + size]
    items = [mission_entry(mission, state.download_base) for mission in page]
    return Answer(envelope(firstMissionNumber=first, maxMissionCount=size, imageCount=len(items),
                           totalCount=len(missions), imageList=items))  # fmt: skip


def my_pictures(state: ApiState, body: dict[str, Any]) -> Answer:
    """``getMyPictures``: the photoRoll newest first, or one mission's pictures."""
    first, size = _paging(body, "firstImageNumber", "maxImageCount")
    faults = state.faults
    if faults.repeat_pages:  # a service that ignores paging: always the first page
        first = 1
    pictures = _pictures_for(state.catalog, body)
    page = pictures[first - 1 : first - 1 + size]
    rand = state.rand()
    items = [
        malform(
            picture_entry(item, _mission_of(state, item), state.download_base, rand),
            first + offset,
            faults,
            pictures,
        )
        for offset, item in enumerate(page)
    ]
    payload = envelope(firstImageNumber=first, maxImageCount=size, imageCount=len(items),
                       totalCount=str(len(pictures)), imageList=items)  # fmt: skip
    return Answer(shape_page(payload, faults))


def _pictures_for(catalog: Catalog, body: dict[str, Any]) -> tuple[CatalogFile, ...]:
    if body.get("viewType", "photoRoll") != "missions":
        return catalog.photo_roll
    mission_id = _as_int(body.get("scheduledMissionId"), 0)
    if mission_id == 0:
        return _all_missions_view(catalog)
    mission = catalog.mission(mission_id)
    return mission.pictures if mission else ()


def _all_missions_view(catalog: Catalog) -> tuple[CatalogFile, ...]:
    # The service's bug: the missions view of "all missions" holds one picture.
    return catalog.photo_roll[:1]


def picture_lists(catalog: Catalog) -> Iterator[tuple[CatalogFile, ...]]:
    """Every list ``getMyPictures`` pages through: the photoRoll, the missions view of all
    missions, then each mission's pictures (what a listed position is a position in)."""
    yield catalog.photo_roll
    yield _all_missions_view(catalog)
    for mission in catalog.missions:
        yield mission.pictures


def _mission_of(state: ApiState, item: CatalogFile) -> Mission:
    mission = state.catalog.mission(item.mission_id)
    assert mission is not None  # every catalog file belongs to a mission
    return mission


def mission_fits(state: ApiState, body: dict[str, Any]) -> Answer:
    """``getMissionFITS``: the FITS groups of a mission (empty for none or an unknown id)."""
    mission_id = _as_int(body.get("scheduledMissionId"), 0)
    if mission_id <= 0:
        return error_answer(400, "scheduledMissionId is required")
    mission = state.catalog.mission(mission_id)
    groups = mission.fits_groups if mission else ()
    listing = [
        {"groupIndex": index, "groupName": group.name,
         "groupImageList": [fits_entry(item, state.download_base) for item in group.files]}
        for index, group in enumerate(groups)
    ]  # fmt: skip
    return Answer(envelope(scheduledMissionId=mission_id, groupList=listing))


def _paging(body: dict[str, Any], first_key: str, size_key: str) -> tuple[int, int]:
    first = max(1, _as_int(body.get(first_key), 1))
    size = min(_MAX_PAGE, max(1, _as_int(body.get(size_key), 25)))
    return first, size


def _as_int(value: Any, default: int) -> int:
    try:
        return int(str(value).strip()) if value not in (None, "") else default
    except ValueError:
        return default


# --------------------------------------------------------------------------- expiry


def expired_answer(state: ApiState, path: str) -> Answer:
    """What an expired session gets: 401 in the JSON, or (``silent``) empty success."""
    if state.faults.expiry_mode == "401":
        return error_answer("401", "Your session has expired. Please log in again.", "expired")
    silent: dict[str, dict[str, Any]] = {
        "getMyPictures": {"imageCount": 0, "totalCount": "0", "imageList": []},
        "getMissionImages": {"imageCount": 0, "totalCount": 0, "imageList": []},
        "getMissionFITS": {"groupList": []},
        "getUserGravityStatus": {"displayName": "", "gravityPoints": 0},
    }
    return Answer(envelope(**silent.get(path.rsplit("/", 1)[-1], {})), fault="expired")


def check_session(state: ApiState, body: dict[str, Any], path: str) -> Answer | None:
    """``None`` when the body's credentials are good, else the answer to give instead."""
    verdict = state.sessions.check(body, state.faults, state.clock())
    if verdict is SessionCheck.VALID:
        return None
    if verdict is SessionCheck.EXPIRED:
        return expired_answer(state, path)
    return error_answer(401, "Invalid or missing credentials (at, cid, token)", "unauthorized")


def check_common(body: dict[str, Any]) -> Answer | None:
    """``None`` when ``productId`` and ``locale`` are there and valid."""
    if body.get("productId") not in PRODUCT_IDS:
        return error_answer(400, "Missing or unknown productId")
    if not body.get("locale"):
        return error_answer(400, "Missing locale")
    return None


Handler = Callable[[ApiState, dict[str, Any]], Answer]

#: path -> (handler, needs common fields, needs a session)
ENDPOINTS: dict[str, tuple[Handler, bool, bool]] = {
    "/api/app/generateSessionToken": (generate_session_token, False, False),
    "/api/users/login": (login, True, False),
    "/api/newdashboard/getUserGravityStatus": (gravity_status, True, True),
    "/api/images/getMissionImages": (mission_images, True, True),
    "/api/images/getMyPictures": (my_pictures, True, True),
    "/api/images/getMissionFITS": (mission_fits, True, True),
}
