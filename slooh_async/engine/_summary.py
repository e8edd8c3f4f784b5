"""What a run did: the counts behind the final table and the ``--json`` summary.

The summary is an event sink: it counts what the engine reports (planned, done, failed...),
so the figures on screen and in ``--json`` come from one place. The run's own facts
(interrupted, the fatal error, whether the listing was complete) are set by the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._events import Event, FileDone, FileFailed, FilePlanned, ListingEnded, Notice

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
    #: a dry run's queued files, as planned
    planned: list[FilePlanned] = field(default_factory=list)
    error: str | None = None
    #: what the run warned about (the listing stopped early...), in order
    warnings: list[str] = field(default_factory=list)
    fatal: BaseException | None = field(default=None, repr=False)
    #: files the listing showed, filters aside, and the telescopes they were taken with
    listed: int = 0
    telescopes: list[str] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        """Count one event of the run."""
        match event:
            case FilePlanned(action="download"):
                self.total_available += 1
                self.queued += 1
                if self.dry_run:
                    self.planned.append(event)
            case FilePlanned(action="tracked"):
                self.total_available += 1
                self.already_downloaded += 1
            case FilePlanned(action="exists"):
                self.total_available += 1
                self.skipped_existing += 1
            case FilePlanned(action="failed", key=key, file=name, error=error):
                self.total_available += 1
                self._failed(key, name, error or "")
            case FileDone(size=size):
                self.downloaded += 1
                self.total_bytes += size
            case FileFailed(key=key, file=name, error=error):
                self._failed(key, name, error)
            case ListingEnded(complete=complete):
                self.complete_scan = complete
            case Notice(message=message, level="warning"):
                self.warnings.append(message)
            case _:
                pass

    def _failed(self, key: str, name: str, error: str) -> None:
        self.failed += 1
        self.failures.append({"key": key, "file": name, "error": error})

    @property
    def skipped(self) -> int:
        """Files not downloaded because the library has them (tracked or found on disk)."""
        return self.already_downloaded + self.skipped_existing

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
            "warnings": self.warnings,
        }
