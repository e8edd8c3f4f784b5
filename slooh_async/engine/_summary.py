"""What a run did: the counts behind the final table and the ``--json`` summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._planning import DownloadJob

__all__ = ["RunSummary"]


@dataclass
class RunSummary:
    """What a run did; ``to_json`` is the ``--json`` output."""

    total_available: int = 0
    already_downloaded: int = 0
    skipped_existing: int = 0
    queued: int = 0
    downloaded: int = 0
    failed: int = 0
    total_bytes: int = 0
    elapsed_seconds: float = 0.0
    interrupted: bool = False
    dry_run: bool = False
    complete_scan: bool = False
    session_id: int | None = None
    failures: list[dict[str, str]] = field(default_factory=list)
    planned: list[DownloadJob] = field(default_factory=list)
    error: str | None = None
    fatal: BaseException | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The public summary keys, plus failures (key, file, error) and run flags."""
        return {
            "total_available": self.total_available,
            "already_downloaded": self.already_downloaded,
            "skipped_existing": self.skipped_existing,
            "queued": self.queued,
            "downloaded": self.downloaded,
            "failed": self.failed,
            "total_bytes": self.total_bytes,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "interrupted": self.interrupted,
            "dry_run": self.dry_run,
            "session_id": self.session_id,
            "failures": self.failures,
            "error": self.error,
        }
