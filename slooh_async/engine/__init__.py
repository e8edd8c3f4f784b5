"""The engine: one run from listing to files on disk, and the library's maintenance.

listing -> planning -> pipeline -> storage, assembled by the runner; the summary and the
progress events are what a run reports; reorganize moves files after a template change.
"""

from __future__ import annotations

from ._library import FolderStats, scan_library
from ._listing import Lister
from ._pipeline import Pipeline
from ._placement import Placement
from ._planning import (
    VERIFY_MARK,
    DownloadJob,
    DownloadRequest,
    PagePlan,
    Planner,
    Skip,
    picture_from_record,
)
from ._progress import LogProgress, NullProgress, ProgressSink, RichProgress, human_bytes
from ._reorganize import (
    ReorganizeReport,
    apply_moves,
    journal_path,
    plan_reorganize,
    recover_journal,
)
from ._runner import RunOptions, client_from_settings, download_client, run_download
from ._storage import Fetcher, FetchResult, parse_content_range
from ._summary import RunSummary

__all__ = [
    "VERIFY_MARK",
    "DownloadJob",
    "DownloadRequest",
    "FetchResult",
    "Fetcher",
    "FolderStats",
    "Lister",
    "LogProgress",
    "NullProgress",
    "PagePlan",
    "Pipeline",
    "Placement",
    "Planner",
    "ProgressSink",
    "ReorganizeReport",
    "RichProgress",
    "RunOptions",
    "RunSummary",
    "Skip",
    "apply_moves",
    "client_from_settings",
    "download_client",
    "human_bytes",
    "journal_path",
    "parse_content_range",
    "picture_from_record",
    "plan_reorganize",
    "recover_journal",
    "run_download",
    "scan_library",
]
