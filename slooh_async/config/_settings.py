"""The settings models: validated, immutable, one per section (docs/configuration.md).

Loading them from the file, the environment and the command line is :mod:`._load`'s job.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
)

from ..api import DEFAULT_BASE_URL, DEFAULT_PRODUCT_ID
from ..organizer import PRESET_TEMPLATES, validate_object_preference, validate_template

__all__ = [
    "FORMATS",
    "SECTIONS",
    "DownloadSettings",
    "FolderSettings",
    "GallerySettings",
    "Settings",
    "SloohSettings",
    "TrackerSettings",
]

FORMATS = ("FITS", "PNG", "JPEG")

_FROZEN = ConfigDict(frozen=True, extra="ignore", validate_default=True)


def _whole_number(value: object) -> object:
    """JSON ``true`` is not 1 here, and ``" 8 "`` from the environment is 8."""
    if isinstance(value, bool):
        raise ValueError("is not a whole number")
    return value.strip() if isinstance(value, str) else value


def _number(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("is not a number")
    return value.strip() if isinstance(value, str) else value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
Number = Annotated[float, BeforeValidator(_number)]


def _absolute(value: object) -> object:
    """``~`` expanded, relative to the current directory."""
    if isinstance(value, str | Path):
        text = str(value).strip()
        if not text:
            raise ValueError("must not be empty")
        if "\x00" in text:  # no system can open such a path
            raise ValueError("must not contain a NUL character")
        return Path(os.path.abspath(os.path.expanduser(text)))
    return value


class SloohSettings(BaseModel):
    """How to reach the service and who to log in as."""

    model_config = _FROZEN

    base_url: str = DEFAULT_BASE_URL
    username: str | None = None
    password: SecretStr | None = None
    product_id: str = Field(DEFAULT_PRODUCT_ID, min_length=1)
    locale: str = Field("en", min_length=1)

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https"):
            raise ValueError("must start with http:// or https://")
        if not parts.hostname or any(c.isspace() for c in value):
            raise ValueError("is not a URL with a host name (like https://app.slooh.com)")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise ValueError("has an invalid port") from None
        return value

    @field_validator("username")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("password")
    @classmethod
    def _blank_password_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value() else None


class DownloadSettings(BaseModel):
    """How much to fetch at once, how fast, and what to do with what is already there."""

    model_config = _FROZEN

    batch_size: WholeNumber = Field(50, ge=1, le=200)
    threads: WholeNumber = Field(4, ge=1, le=64)
    rate_limit: WholeNumber = Field(30, ge=0, le=6000)
    download_rate_limit: WholeNumber | None = Field(None, ge=0, le=60000)
    timeout: Number = Field(300, gt=0, le=3600)
    min_speed: Number = Field(1024, ge=0, le=1e9)
    max_retries: WholeNumber = Field(3, ge=0, le=50)
    retry_delay: Number = Field(5, ge=0, le=600)
    skip_existing: bool = True
    check_tracker: bool = True
    handle_duplicates: Literal["skip", "overwrite", "rename"] = "skip"
    verify_hash: bool | Literal["md5", "sha256"] = False
    fits: bool = True
    queue_size: WholeNumber = Field(0, ge=0, le=10000)
    write_metadata: bool = False
    metadata_location: Literal["beside", ".slooh"] = "beside"

    @field_validator("verify_hash", mode="before")
    @classmethod
    def _hash_choice(cls, value: object) -> object:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if isinstance(value, str) else None
        if text in ("md5", "sha256"):
            return text
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        raise ValueError('is not allowed, expected true, false, "md5" or "sha256"')

    @property
    def hash_algorithm(self) -> Literal["md5", "sha256"]:
        """The digest computed while streaming: the configured one, SHA-256 by default."""
        return self.verify_hash if isinstance(self.verify_hash, str) else "sha256"

    @property
    def queue_bound(self) -> int:
        """Capacity of the job stream between the lister and the workers."""
        return self.queue_size or 2 * self.threads


class FolderSettings(BaseModel):
    """Where the library lives and how it is laid out."""

    model_config = _FROZEN

    base_path: Annotated[Path, BeforeValidator(_absolute)] = Path("SloohImages")
    template: str | None = None
    filename_template: str = "{telescope}_{filename}"
    organize_by: Literal["object", "date", "telescope"] = "object"
    unknown_object: str = Field("Unknown", min_length=1, max_length=100)
    object_preference: tuple[str, ...] = ("M", "NGC", "IC", "C")
    max_path_length: WholeNumber = Field(240, ge=60, le=4096)
    format_names: dict[str, str] = Field(
        default_factory=lambda: {"FITS": "FITS", "PNG": "Pictures", "JPEG": "JPEG"}
    )

    @field_validator("template", "filename_template")
    @classmethod
    def _check_template(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or (value == "" and info.field_name == "template"):
            return None  # an empty folder template means "use the organize_by preset"
        if info.field_name == "filename_template":
            validate_template(value, kind="filename")
        else:
            validate_template(value, kind="folder")
        return value

    @field_validator("object_preference", mode="before")
    @classmethod
    def _split_preference(cls, value: object) -> object:
        """``"M, NGC"`` (handy in the environment) is the list ``["M", "NGC"]``."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("object_preference")
    @classmethod
    def _check_preference(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(validate_object_preference(list(value)))

    @field_validator("format_names")
    @classmethod
    def _check_format_names(cls, value: dict[str, str]) -> dict[str, str]:
        # keys are formats in any case ("jpg" is JPEG): two spellings of one format must
        # agree, or which folder wins would depend on the order of the keys
        given: dict[str, str] = {}
        spelled: dict[str, str] = {}
        for key, folder in value.items():
            name = {"JPG": "JPEG"}.get(key.upper(), key.upper())
            if name not in FORMATS:
                raise ValueError(f"has unknown format {key!r} (allowed: FITS, PNG, JPEG)")
            if name in given and given[name].strip() != folder.strip():
                raise ValueError(
                    f"names {name} twice ({spelled[name]!r} and {key!r}) with different folders"
                )
            given[name], spelled[name] = folder, key
        merged = {"FITS": "FITS", "PNG": "Pictures", "JPEG": "JPEG", **given}
        for name, folder in merged.items():
            text = folder.strip()
            if not text or text in {".", ".."} or "/" in text or "\\" in text:
                raise ValueError(f"gives {name} the folder name {folder!r}, which is not valid")
        return {name: folder.strip() for name, folder in merged.items()}

    @property
    def folder_template(self) -> str:
        """The folder template in force: ``template`` or the ``organize_by`` preset."""
        return self.template or PRESET_TEMPLATES[self.organize_by]


class TrackerSettings(BaseModel):
    """Where the tracker database lives (default: inside the library)."""

    model_config = _FROZEN

    path: Path | None = None

    @field_validator("path", mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _absolute(value)


class GallerySettings(BaseModel):
    """The gallery written into the library (docs/gallery.md)."""

    model_config = _FROZEN

    auto: bool = True
    index_name: str = Field("index.html", min_length=1, max_length=100)

    @field_validator("index_name")
    @classmethod
    def _plain_file_name(cls, value: str) -> str:
        value = value.strip()
        if not value or value in {".", ".."} or any(c in value for c in '/\\:\x00'):
            raise ValueError("must be a plain file name (no folder), like index.html")
        if value.startswith("."):
            raise ValueError("must not start with a dot (a hidden file)")
        return value


class Settings(BaseModel):
    """Every setting slooh-async reads, validated and frozen."""

    model_config = _FROZEN

    slooh: SloohSettings = Field(default_factory=SloohSettings)
    download: DownloadSettings = Field(default_factory=DownloadSettings)
    folders: FolderSettings = Field(default_factory=FolderSettings)
    tracker: TrackerSettings = Field(default_factory=TrackerSettings)
    gallery: GallerySettings = Field(default_factory=GallerySettings)

    @property
    def tracker_path(self) -> Path:
        """The tracker database file: ``tracker.path`` or ``<base_path>/.slooh/tracker.sqlite3``."""
        return self.tracker.path or self.folders.base_path / ".slooh" / "tracker.sqlite3"


SECTIONS: dict[str, type[BaseModel]] = {
    "slooh": SloohSettings,
    "download": DownloadSettings,
    "folders": FolderSettings,
    "tracker": TrackerSettings,
    "gallery": GallerySettings,
}
