"""The Slooh web API client and the models of its answers."""

from ._client import PageCallback, SloohClient
from ._models import (
    Envelope,
    FitsEntry,
    FitsGroup,
    GravityStatus,
    LoginResult,
    Mission,
    MissionFits,
    MissionsPage,
    Picture,
    PicturesPage,
)

__all__ = [
    "Envelope",
    "FitsEntry",
    "FitsGroup",
    "GravityStatus",
    "LoginResult",
    "Mission",
    "MissionFits",
    "MissionsPage",
    "PageCallback",
    "Picture",
    "PicturesPage",
    "SloohClient",
]
