"""The engine: one run from listing to files on disk, and the library's maintenance.

listing -> planning -> pipeline -> storage, assembled by the runner; the summary and the
progress events are what a run reports; reorganize moves files after a template change.
"""

from __future__ import annotations

from ._events import (
    Event,
    EventSink,
    Fanout,
    FileDone,
    FileFailed,
    FilePlanned,
    FileProgress,
    FileStarted,
    ListingEnded,
    ListingPage,
    Notice,
    NullSink,
    Retrying,
    Waiting,
    relative_text,
)
from ._forecast import Estimate, Forecast, estimate_run
from ._library import FolderStats, scan_library
from ._listing import Known, Lister, ListingSink, Outcome
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
from ._producer import Producer
from ._reorganize import (
    ReorganizeReport,
    apply_moves,
    journal_path,
    plan_reorganize,
    recover_journal,
)
from ._runner import RunOptions, budget, client_from_settings, run_download
from ._signals import STOP_SIGNALS, open_stop_signals, stop_requested
from ._storage import Fetcher, FetchResult, download_client, parse_content_range
from ._summary import FileEntry, FileList, RunSummary

__all__ = [
    "Event",
    "EventSink",
    "Fanout",
    "FileDone",
    "FileFailed",
    "FilePlanned",
    "FileProgress",
    "FileStarted",
    "ListingEnded",
    "ListingPage",
    "Notice",
    "NullSink",
    "Retrying",
    "Waiting",
    "relative_text",
    "Estimate",
    "FileEntry",
    "FileList",
    "Forecast",
    "estimate_run",
    "Known",
    "ListingSink",
    "Outcome",
    "Producer",
    "VERIFY_MARK",
    "DownloadJob",
    "DownloadRequest",
    "FetchResult",
    "Fetcher",
    "FolderStats",
    "Lister",
    "PagePlan",
    "Pipeline",
    "Placement",
    "Planner",
    "ReorganizeReport",
    "RunOptions",
    "RunSummary",
    "STOP_SIGNALS",
    "Skip",
    "apply_moves",
    "budget",
    "client_from_settings",
    "download_client",
    "journal_path",
    "open_stop_signals",
    "parse_content_range",
    "picture_from_record",
    "plan_reorganize",
    "recover_journal",
    "run_download",
    "scan_library",
    "stop_requested",
]
