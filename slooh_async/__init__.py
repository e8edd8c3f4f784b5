"""slooh-async: download every image you took on the Slooh telescopes, and keep it in sync.

The public API: the async client, the settings, the tracker and the exception tree.
Everything else is private (``_modules``) or a command-line detail. Names load lazily
(PEP 562) so that ``slooh --help`` does not pay for httpx and pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._exceptions import (
    AccountError,
    AuthenticationError,
    ConfigError,
    DownloadError,
    LibraryLockedError,
    NotFoundError,
    ServiceError,
    ServiceUnavailableError,
    SessionExpiredError,
    SloohError,
    StorageError,
    UsageError,
)
from ._lazy import lazy_getattr
from ._version import __version__

if TYPE_CHECKING:
    from .api import GravityStatus, LoginResult, Mission, Picture, SloohClient
    from .config import Settings, load_settings
    from .engine import DownloadRequest, RunSummary
    from .organizer import FileOrganizer
    from .tracker import ImageRecord, Tracker

_LAZY = {
    "GravityStatus": ".api",
    "LoginResult": ".api",
    "Mission": ".api",
    "Picture": ".api",
    "SloohClient": ".api",
    "Settings": ".config",
    "load_settings": ".config",
    "FileOrganizer": ".organizer",
    "RunSummary": ".engine",
    "DownloadRequest": ".engine",
    "ImageRecord": ".tracker",
    "Tracker": ".tracker",
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


__all__ = [
    "AccountError",
    "AuthenticationError",
    "ConfigError",
    "DownloadError",
    "DownloadRequest",
    "FileOrganizer",
    "GravityStatus",
    "ImageRecord",
    "LibraryLockedError",
    "LoginResult",
    "Mission",
    "NotFoundError",
    "Picture",
    "RunSummary",
    "ServiceError",
    "ServiceUnavailableError",
    "SessionExpiredError",
    "Settings",
    "SloohClient",
    "SloohError",
    "StorageError",
    "Tracker",
    "UsageError",
    "__version__",
    "load_settings",
]
