"""The Slooh web API: the client, the models of its answers, and the rules of its file names.

The bottom layer (with ``organizer`` and ``media``): it knows the service and nothing of the
library, the tracker or the command line. The rate budget (:class:`RateLimiter`), the retry
decisions (:class:`RetryPolicy`) and the shared TLS context live here too: every request to
the service, API call or file download, goes through them.
"""

from ._client import PageCallback, SloohClient
from ._coerce import as_int
from ._dates import parse_display_date, parse_display_datetime, parse_display_time
from ._filenames import (
    FORMAT_BY_EXTENSION,
    FilenameInfo,
    filename_from_url,
    format_of,
    parse_filename,
)
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
from ._pagination import MAX_LISTED, STALE_SESSION_SECONDS, PageCursor, PageInfo
from ._ratelimit import RateLimiter, WaitReason, budget_seconds
from ._retry import (
    RETRYABLE_STATUS,
    RetryPolicy,
    backoff_delay,
    is_retryable_status,
    parse_retry_after,
)
from ._tls import shared_ssl_context
from ._transport import DEFAULT_BASE_URL, DEFAULT_PRODUCT_ID

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PRODUCT_ID",
    "FORMAT_BY_EXTENSION",
    "MAX_LISTED",
    "RETRYABLE_STATUS",
    "STALE_SESSION_SECONDS",
    "Envelope",
    "FilenameInfo",
    "FitsEntry",
    "FitsGroup",
    "GravityStatus",
    "LoginResult",
    "Mission",
    "MissionFits",
    "MissionsPage",
    "PageCallback",
    "PageCursor",
    "PageInfo",
    "Picture",
    "PicturesPage",
    "RateLimiter",
    "RetryPolicy",
    "SloohClient",
    "WaitReason",
    "as_int",
    "backoff_delay",
    "budget_seconds",
    "filename_from_url",
    "format_of",
    "is_retryable_status",
    "parse_display_date",
    "parse_display_datetime",
    "parse_display_time",
    "parse_filename",
    "parse_retry_after",
    "shared_ssl_context",
]
