"""The tracker: the library's SQLite memory of every file, failure and session.

``Tracker`` is synchronous (plain :mod:`sqlite3`); async code calls it through
``anyio.to_thread``. See docs/tracker.md for the schema, the lock and the legacy import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr
from ._headers import read_headers
from ._integration import Exposure, Integration, filter_label, object_label
from ._lock import lock_path_for
from ._moves import MoveFailed, move_file
from ._records import (
    Header,
    ImageRecord,
    ImageRow,
    ImageStatus,
    SessionRecord,
    SessionStatus,
)
from ._schema import SCHEMA_VERSION
from ._sessions import LegacySession
from ._stats import GroupCount, ObjectCount, TrackerStats
from ._tracker import Tracker

if TYPE_CHECKING:
    from ._export import EXPORT_COLUMNS, export_records
    from ._legacy import ImportReport, import_legacy, legacy_key
    from ._verify import VerifyProblem, check_file, verify_library

#: what only some commands need loads when first used (a download does not export)
_LAZY = {
    "EXPORT_COLUMNS": "._export",
    "export_records": "._export",
    "ImportReport": "._legacy",
    "import_legacy": "._legacy",
    "legacy_key": "._legacy",
    "VerifyProblem": "._verify",
    "check_file": "._verify",
    "verify_library": "._verify",
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


__all__ = [
    "EXPORT_COLUMNS",
    "SCHEMA_VERSION",
    "Exposure",
    "GroupCount",
    "Header",
    "ImageRecord",
    "ImageRow",
    "ImageStatus",
    "ImportReport",
    "Integration",
    "LegacySession",
    "MoveFailed",
    "ObjectCount",
    "SessionRecord",
    "SessionStatus",
    "Tracker",
    "TrackerStats",
    "VerifyProblem",
    "check_file",
    "export_records",
    "filter_label",
    "import_legacy",
    "legacy_key",
    "lock_path_for",
    "move_file",
    "object_label",
    "read_headers",
    "verify_library",
]
