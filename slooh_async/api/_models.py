"""Pydantic models of what the service answers, liberal in every shape the contract lists.

Numbers arrive as ints or numeric strings, ids may be ``""``, fields may be missing, unknown
fields appear: every model ignores extras and coerces with small ``mode="before"`` validators.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import cached_property
from typing import Annotated, Any, Literal

import httpx
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from ._coerce import (
    LooseBool,
    LooseFloat,
    LooseId,
    LooseInt,
    OptBool,
    OptText,
    Text,
    as_int,
    dicts_only,
    list_problem,
)
from ._dates import parse_display_datetime
from ._filenames import FilenameInfo, filename_from_url, format_of, parse_filename

__all__ = [
    "Envelope",
    "FitsEntry",
    "FitsGroup",
    "GravityStatus",
    "LoginResult",
    "Mission",
    "MissionFits",
    "MissionsPage",
    "Picture",
    "PicturesPage",
    "list_problem",
]

log = logging.getLogger("slooh_async.api")

_LIBERAL = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
_LIBERAL_MUTABLE = ConfigDict(extra="ignore", populate_by_name=True)


class Envelope(BaseModel):
    """The error fields every answer may carry."""

    model_config = _LIBERAL

    api_error: LooseBool = Field(False, alias="apiError")
    error_code: LooseInt = Field(None, alias="errorCode")
    error_msg: Text = Field("", alias="errorMsg")
    status_code: LooseInt = Field(None, alias="statusCode")


class LoginResult(BaseModel):
    """A login answer: the three credentials and the account's names (never shown in reprs)."""

    model_config = _LIBERAL

    at: OptText = Field(None, repr=False)
    cid: OptText = Field(None, repr=False)
    token: OptText = Field(None, repr=False)
    login_error: LooseBool = Field(False, alias="loginError")
    error_msg: Text = Field("", alias="errorMsg")
    user_id: OptText = Field(None, alias="userid")
    display_name: OptText = Field(None, alias="displayName")
    first_name: OptText = Field(None, alias="fname")
    membership_type: OptText = Field(None, alias="membershipType")
    plan_name: OptText = Field(None, alias="subscriptionPlanName")


class GravityStatus(BaseModel):
    """The account's standing: ``getUserGravityStatus``."""

    model_config = _LIBERAL

    display_name: OptText = Field(None, alias="displayName")
    member_since: OptText = Field(None, alias="memberSince")
    gravity_points: LooseInt = Field(None, alias="gravityPoints")
    tier: OptText = Field(None, alias="currentTierName")
    next_tier: OptText = Field(None, alias="nextTierName")
    tier_progress: LooseFloat = Field(None, alias="currentTierProgress")
    max_tier_progress: LooseFloat = Field(None, alias="maxTierProgress")

    @model_validator(mode="before")
    @classmethod
    def _older_names(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if data.get("currentTierName") in (None, ""):
                data["currentTierName"] = data.get("tier")
            if data.get("nextTierName") in (None, ""):
                data["nextTierName"] = data.get("nextTier")
        return data


class Mission(BaseModel):
    """One mission (an observation slot) from ``getMissionImages``."""

    model_config = _LIBERAL

    mission_id: LooseId = Field(None, alias="scheduledMissionId")
    title: Text = Field("", alias="imageTitle")
    telescope: Text = Field("", alias="telescopeName")
    instrument: Text = Field("", alias="instrumentName")
    display_date: OptText = Field(None, alias="displayDate")
    display_time: OptText = Field(None, alias="displayTime")
    image_count: LooseInt = Field(None, alias="missionImageCount")
    #: None when the service did not say (then getMissionFITS is the only way to know)
    fits_available: OptBool = Field(None, alias="fitsIsAvailable")
    owner: OptText = Field(None, alias="missionOwner")
    thumbnail_url: OptText = Field(None, alias="imageURL")

    @property
    def observed_at(self) -> datetime | None:
        """The mission's UTC time from its display date and time."""
        return parse_display_datetime(self.display_date, self.display_time)


class Picture(BaseModel):
    """One downloadable file: a photoRoll picture or a FITS frame of a mission.

    ``key`` identifies it for the tracker (URLs change on every listing and never do).
    """

    model_config = ConfigDict(
        extra="ignore", populate_by_name=True, frozen=True, ignored_types=(cached_property,)
    )

    image_id: LooseId = Field(None, alias="imageId")
    customer_image_id: OptText = Field(None, alias="customerImageId")
    mission_id: LooseId = Field(None, alias="scheduledMissionId")
    object_id: OptText = Field(None, alias="objectId")
    title: Text = Field("", alias="imageTitle")
    url: Text = Field("", alias="imageDownloadURL")
    download_filename: OptText = Field(None, alias="imageDownloadFilename")
    display_url: OptText = Field(None, alias="imageURL")
    image_type: OptText = Field(None, alias="imageType")
    telescope: Text = Field("", alias="telescopeName")
    instrument: Text = Field("", alias="instrumentName")
    owner: OptText = None
    observatory: OptText = None
    display_date: OptText = Field(None, alias="displayDate")
    display_time: OptText = Field(None, alias="displayTime")
    image_timestamp: LooseFloat = Field(None, alias="imageTimestamp")
    kind: Literal["picture", "fits"] = "picture"
    fits_group: OptText = None
    position: LooseInt = None

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if not as_int(data.get("scheduledMissionId")) and as_int(data.get("missionId")):
            data["scheduledMissionId"] = data["missionId"]
        overlay = data.get("overlayData")
        if isinstance(overlay, dict):
            owner = overlay.get("owner")
            data.setdefault("owner", None if owner in (None, "", "Not available") else str(owner))
            data.setdefault("observatory", overlay.get("observatoryName") or None)
        return data

    # ------------------------------------------------------------------ derived

    @cached_property
    def filename(self) -> str:
        """The file's name, from the URL path (never its query), else the given name."""
        from_url = filename_from_url(self.url) if self.url else ""
        if from_url and "." in from_url:
            return from_url
        for name in (self.download_filename, self.title if self.kind == "fits" else None):
            if name and "." in name:
                return filename_from_url(name)
        return from_url or f"{self.image_id or 'picture'}"

    @cached_property
    def name_info(self) -> FilenameInfo:
        """The parts of :attr:`filename` (target, time, filter...)."""
        return parse_filename(self.filename)

    @property
    def key(self) -> str:
        """Stable identity: the image id, or ``fits:{mission}:{file}`` for a FITS frame."""
        if self.kind == "fits":
            return f"fits:{self.mission_id or 0}:{self.filename}"
        if self.image_id is not None:
            return str(self.image_id)
        if self.customer_image_id:
            return f"customer:{self.customer_image_id}"
        return f"file:{self.filename}"

    @property
    def download_problem(self) -> str | None:
        """Why :attr:`url` cannot be downloaded (it does not parse, is not http(s), has no
        host, names a port that cannot exist), or ``None`` when it is a usable URL."""
        if not self.url.strip():
            return "the service listed no download URL"
        shown = self.url if len(self.url) <= 120 else f"{self.url[:117]}..."
        try:
            url = httpx.URL(self.url.strip())
            port = url.port
        except (httpx.InvalidURL, ValueError) as exc:
            return f"the service listed an invalid download URL {shown!r}: {exc}"
        if url.scheme not in ("http", "https") or not url.host:
            return f"the service listed an invalid download URL {shown!r}: not http(s)://host/..."
        if port is not None and not 0 < port < 65536:
            return f"the service listed an invalid download URL {shown!r}: no port {port}"
        return None

    @property
    def extension(self) -> str:
        """Lower-case extension with its dot (``.fit``, ``.png``), ``""`` when there is none."""
        return self.name_info.extension

    @property
    def format(self) -> str:
        """``FITS``, ``PNG`` or ``JPEG`` from the extension (``imageType`` is not a format)."""
        return format_of(self.extension) if self.extension else "FILE"

    @property
    def filter(self) -> str | None:
        """The filter or product from the file name: L, R, G, B, Ha, OIII, SII, Mono, LRGB."""
        return self.name_info.filter

    @property
    def file_type(self) -> str:
        """``FITS``, ``Luminance``, ``RGB``, ``Narrowband``, ``Mono`` or ``Other`` (file name)."""
        return self.name_info.image_type

    @property
    def unique_id(self) -> str | None:
        """The short unique id in a Slooh file name (``iycarr``), when it has one."""
        return self.name_info.unique_id

    @property
    def stem(self) -> str:
        """The file name without its extension."""
        return self.name_info.stem

    @cached_property
    def observed_at(self) -> datetime | None:
        """UTC time of the observation, or ``None`` when nothing parses (never raises)."""
        when = parse_display_datetime(self.display_date, self.display_time)
        if when is None and self.image_timestamp:
            stamp = (
                self.image_timestamp / 1000 if self.image_timestamp > 1e11 else self.image_timestamp
            )
            try:
                when = datetime.fromtimestamp(stamp, tz=UTC)
            except (OverflowError, OSError, ValueError):
                when = None
        if when is None:
            when = self.name_info.taken_at
        if when is None:
            log.debug(
                "no observation time for %s (%r %r)", self.key, self.display_date, self.display_time
            )
        return when

    def fits_frame(self, entry: FitsEntry, group: str | None) -> Picture:
        """A FITS frame of this picture's mission, inheriting title, telescope and time."""
        return Picture.model_validate(
            {
                "imageId": entry.image_id,
                "scheduledMissionId": self.mission_id,
                "imageTitle": self.title,
                "imageDownloadURL": entry.url,
                "imageDownloadFilename": entry.name,
                "telescopeName": self.telescope,
                "instrumentName": group or self.instrument,
                "displayDate": self.display_date,
                "displayTime": self.display_time,
                "imageTimestamp": self.image_timestamp,
                "kind": "fits",
                "fits_group": group,
                "objectId": self.object_id,
            }
        )


#: fields the client sets on a picture itself: a listing item's own values are dropped
_CLIENT_FIELDS = ("kind", "fits_group", "position")


def _listed_pictures(value: Any) -> list[Any]:
    """The pictures of a listing, item by item: one item that cannot be read is left out
    (and logged) instead of failing the whole page."""
    pictures: list[Any] = []
    for item in dicts_only(value):
        listed = {key: item[key] for key in item if key not in _CLIENT_FIELDS}
        try:
            pictures.append(Picture.model_validate(listed))
        except ValidationError as exc:  # every field is liberal: not expected, but never fatal
            log.warning("a listed picture could not be read and is left out: %s", exc)
    return pictures


class _Page(BaseModel):
    model_config = _LIBERAL_MUTABLE

    image_count: LooseInt = Field(None, alias="imageCount")
    total_count: LooseInt = Field(None, alias="totalCount")
    _problem: str | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _check_shape(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        page = handler(data)
        page._problem = list_problem(data)
        return page

    @property
    def problem(self) -> str | None:
        """How the answer broke the contract (``imageList`` not a list beside a positive
        ``totalCount``...), or ``None``."""
        return self._problem


class PicturesPage(_Page):
    """One page of ``getMyPictures``."""

    first: LooseInt = Field(None, alias="firstImageNumber")
    max_count: LooseInt = Field(None, alias="maxImageCount")
    pictures: Annotated[list[Picture], BeforeValidator(_listed_pictures)] = Field(
        default_factory=list, alias="imageList"
    )


class MissionsPage(_Page):
    """One page of ``getMissionImages``."""

    first: LooseInt = Field(None, alias="firstMissionNumber")
    max_count: LooseInt = Field(None, alias="maxMissionCount")
    missions: Annotated[list[Mission], BeforeValidator(dicts_only)] = Field(
        default_factory=list, alias="imageList"
    )

    @model_validator(mode="before")
    @classmethod
    def _mission_count(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("imageCount") is None and "missionCount" in data:
            data = {**data, "imageCount": data["missionCount"]}
        return data


class FitsEntry(BaseModel):
    """One FITS file of a mission; ``imageTitle`` is its file name."""

    model_config = _LIBERAL

    image_id: LooseId = Field(None, alias="imageId")
    name: Text = Field("", alias="imageTitle")
    url: Text = Field("", alias="imageURL")


class FitsGroup(BaseModel):
    """FITS files of one instrument of a mission."""

    model_config = _LIBERAL

    index: LooseInt = Field(None, alias="groupIndex")
    name: Text = Field("", alias="groupName")
    entries: Annotated[list[FitsEntry], BeforeValidator(dicts_only)] = Field(
        default_factory=list, alias="groupImageList"
    )


class MissionFits(BaseModel):
    """The answer of ``getMissionFITS``."""

    model_config = _LIBERAL

    groups: Annotated[list[FitsGroup], BeforeValidator(dicts_only)] = Field(
        default_factory=list, alias="groupList"
    )
