"""What a run did: the counts behind the final table and the ``--json`` summary.

The summary is an event sink: it counts what the engine reports (planned, done, failed...),
so the figures on screen and in ``--json`` come from one place. The run's own facts
(interrupted, the fatal error, whether the listing was complete) are set by the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ._events import Event, FileDone, FileFailed, FilePlanned, ListingEnded, Notice, relative_text

__all__ = ["FileEntry", "FileList", "RunSummary"]


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


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file a run downloaded, failed on, or (dry run) would download."""

    key: str
    file: str
    status: Literal["downloaded", "failed", "planned"]
    path: Path | None
    bytes: int | None = None
    error: str | None = None
    note: str | None = None

    def to_json(self, base: Path | None = None) -> dict[str, Any]:
        """The entry of ``--json``'s ``files``; ``path`` relative to the library ``base``."""
        return {
            "key": self.key,
            "file": self.file,
            "status": self.status,
            "path": None if self.path is None else relative_text(self.path, base),
            "bytes": self.bytes,
            "error": self.error,
            "note": self.note,
        }


@dataclass
class FileList:
    """The files a run touched, one entry each, in the order they finished.

    A sink of its own, added only when someone asks for the list (``--json``): a run of
    60,000 files should not hold 60,000 entries for nothing. Files the library had already
    (tracked, or found on disk) are counted by the summary, not listed.
    """

    entries: list[FileEntry] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        """Keep the events that name a file's outcome."""
        match event:
            case FilePlanned(action="download", key=key, file=name, path=path, note=note):
                self.entries.append(FileEntry(key, name, "planned", path, note=note))
            case FilePlanned(action="failed", key=key, file=name, error=error):
                self.entries.append(FileEntry(key, name, "failed", None, error=error))
            case FileDone(key=key, file=name, path=path, size=size):
                self.entries.append(FileEntry(key, name, "downloaded", path, size))
            case FileFailed(key=key, file=name, path=path, error=error):
                self.entries.append(FileEntry(key, name, "failed", path, error=error))
            case _:
                pass

    def to_json(self, base: Path | None = None) -> list[dict[str, Any]]:
        """The ``files`` list of ``--json``; for a real run, planned entries are replaced by
        their outcome (downloaded or failed), and files never reached stay ``planned``."""
        finished = {e.key for e in self.entries if e.status != "planned"}
        return [
            entry.to_json(base)
            for entry in self.entries
            if entry.status != "planned" or entry.key not in finished
        ]
