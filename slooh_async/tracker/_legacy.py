"""``slooh import-tracker``: adopt the JSON tracker of the earlier IronPython/.NET downloader.

Each legacy record becomes a tracker record under the key our client gives the same file
(``str(image_id)`` for a picture, ``fits:{mission}:{file name}`` for a FITS frame), so a user
switching tools re-downloads nothing they already have. Importing is idempotent: sessions are
keyed by :func:`legacy_key`, and a key that is already ``done`` is never touched.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any

from .._exceptions import SloohError, UsageError
from ..api import filename_from_url, format_of, parse_filename
from ..organizer import object_name
from ._moves import MoveFailed, move_file
from ._records import ImageRecord, ImageRow, from_iso
from ._sessions import LegacySession
from ._sql import chunked
from ._tracker import Tracker

__all__ = ["MISSING_ERROR", "ImportReport", "import_legacy", "legacy_key"]

log = logging.getLogger("slooh_async.tracker")

#: ``last_error`` of an imported record whose file was not found (it is fetched again).
MISSING_ERROR = "not found on disk (imported from legacy tracker)"
LEGACY_COMMAND = "legacy import"

#: Records per transaction: small enough that a crash loses little, large enough to be quick.
_BATCH = 200


@dataclass
class ImportReport:
    """What an import did; ``imported`` counts records added or upgraded to ``done``."""

    records_total: int = 0
    imported: int = 0
    already_present: int = 0
    found_on_disk: int = 0
    moved: int = 0
    missing: int = 0
    sessions_imported: int = 0
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict for ``import-tracker --json``."""
        return asdict(self)


@dataclass(frozen=True)
class _Entry:
    """One parsed legacy record: our row, where the file may be, and what the tool knew."""

    row: ImageRow
    file_path: str
    expected_size: int | None
    downloaded_at: str | None
    md5: str | None


def legacy_key(session: Mapping[str, Any]) -> str:
    """The stable identity of a legacy session, so a re-import does not duplicate it."""
    return f"legacy:{session.get('session_id')}:{session.get('start_time') or ''}"


def import_legacy(
    tracker: Tracker,
    json_path: Path,
    *,
    move_to: Callable[[ImageRow], Path] | None = None,
    search_roots: Sequence[Path] = (),
    trust_missing: bool = False,
) -> ImportReport:
    """Import the legacy tracker at ``json_path`` into ``tracker``.

    A file is looked for at its old ``file_path`` (when that is a real path here), then at the
    path's tail under each of ``search_roots``, then at ``move_to(row)``. Found with the right
    size: ``done``. Found with another size: ``pending`` (fetched again). Not found: ``pending``
    with :data:`MISSING_ERROR`, or ``done`` without a path when ``trust_missing``.
    With ``move_to``, found files are moved into the new layout, never over a different file.
    """
    data = _load(json_path)
    report = ImportReport()
    session_ids = _import_sessions(tracker, data.get("sessions"), report)
    entries = list(_entries(data["images"], session_ids, report))
    report.records_total = len(data["images"])
    known = tracker.statuses([entry.row.key for entry in entries])
    options = _Options(tuple(search_roots), move_to, trust_missing)
    for batch in chunked(entries, _BATCH):
        records = [_resolve(entry, known.get(entry.row.key), options, report) for entry in batch]
        tracker.import_records([record for record in records if record is not None])
    if report.imported:
        # Records the service never listed to us: an incremental listing that stops at known
        # keys could stop too early, so the next run lists everything once.
        tracker.set_needs_full_scan(True)
    return report


# ---------------------------------------------------------------------- reading


def _load(json_path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(json_path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise UsageError(f"cannot read legacy tracker {json_path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{json_path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{json_path} is not UTF-8 text: {exc.reason}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("images"), dict):
        raise UsageError(f'{json_path} is not a legacy download tracker (no "images" object)')
    return data


def _import_sessions(
    tracker: Tracker, sessions: Any, report: ImportReport
) -> dict[int | None, int]:
    """Legacy session id -> our session id. Legacy sessions all ended, so they are completed."""
    mapping: dict[int | None, int] = {}
    for item in sessions if isinstance(sessions, list) else []:
        started = from_iso(item.get("start_time")) if isinstance(item, dict) else None
        if started is None:
            report.problems.append(f"legacy session without a start time skipped: {item!r}")
            continue
        session = LegacySession(
            legacy_key=legacy_key(item),
            started_at=started,
            ended_at=from_iso(item.get("end_time")),
            command=LEGACY_COMMAND,
            downloaded=_int(item.get("images_downloaded")) or 0,
            failed=_int(item.get("images_failed")) or 0,
            bytes=_int(item.get("total_bytes")) or 0,
        )
        session_id, created = tracker.import_session(session)
        mapping[_int(item.get("session_id"))] = session_id
        report.sessions_imported += created
    return mapping


def _entries(
    images: Mapping[str, Any], session_ids: Mapping[int | None, int], report: ImportReport
) -> Iterable[_Entry]:
    seen: set[str] = set()
    for legacy_id, item in images.items():
        row = _row(legacy_id, item, session_ids) if isinstance(item, dict) else None
        if row is None:
            report.problems.append(f"legacy record {legacy_id!r} has no download URL; skipped")
            continue
        if row.key in seen:
            report.problems.append(f"legacy record {legacy_id!r} repeats {row.key}; skipped")
            continue
        seen.add(row.key)
        yield _Entry(
            row=row,
            file_path=str(item.get("file_path") or ""),
            expected_size=_int(item.get("file_size")) or None,
            downloaded_at=item.get("download_date") or None,
            md5=str(item.get("md5_hash") or "").strip().lower() or None,
        )


def _row(
    legacy_id: str, item: Mapping[str, Any], session_ids: Mapping[int | None, int]
) -> ImageRow | None:
    """Our row for one legacy record, keyed exactly as the client keys the same file."""
    url = str(item.get("download_url") or "").strip()
    if not url:
        return None
    filename = filename_from_url(url) or str(item.get("filename") or "")
    info = parse_filename(filename)
    is_fits = str(item.get("image_type") or "").upper() == "FITS" or info.format == "FITS"
    image_id = _int(item.get("image_id")) or _int(legacy_id.split(":", 1)[0]) or None
    mission_id = _int(item.get("mission_id")) or None
    title = str(item.get("object_name") or "")
    if is_fits:
        key = f"fits:{mission_id or 0}:{filename}"
    elif image_id is not None:
        key = str(image_id)
    elif item.get("customer_image_id"):
        key = f"customer:{item['customer_image_id']}"
    else:
        key = f"file:{filename}"
    return ImageRow(
        key=key,
        status="done",
        kind="fits" if is_fits else "picture",
        image_id=image_id,
        mission_id=mission_id,
        title=title,
        object_name=object_name(title),
        telescope=str(item.get("telescope_name") or ""),
        format=format_of(info.extension) if info.extension else "FILE",
        filter=info.filter,
        url=url,
        filename=filename,
        observed_at=info.taken_at,
        position=_int(item.get("photoroll_position")),
        session_id=session_ids.get(_int(item.get("session_id"))),
    )


def _candidates(file_path: str, roots: Sequence[Path]) -> list[Path]:
    """Where the file may be: the old path itself, then its tails under each search root."""
    if not file_path.strip():
        return []
    old = _pure_path(file_path)
    candidates: list[Path] = []
    if Path(file_path).is_absolute():
        candidates.append(Path(file_path))
    parts = [part for part in old.parts[1 if old.anchor else 0 :] if part not in ("", ".", "..")]
    # The whole relative path ("Slooh/Orion/.../x.fit"), then the part below its first
    # folder ("Orion/.../x.fit"): a root may be the old drive or the old library itself.
    tails = [parts[start:] for start in (0, 1) if len(parts) > start]
    for root in roots:
        candidates.extend(Path(root).joinpath(*tail) for tail in tails)
    return list(dict.fromkeys(candidates))


def _pure_path(text: str) -> PurePath:
    """Windows paths (``D:\\...``, backslashes) from the .NET tool, POSIX ones from Mono."""
    if "\\" in text or (len(text) > 1 and text[1] == ":"):
        return PureWindowsPath(text)
    return PurePosixPath(text)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


# ---------------------------------------------------------------------- resolving


@dataclass(frozen=True)
class _Options:
    roots: tuple[Path, ...]
    move_to: Callable[[ImageRow], Path] | None
    trust_missing: bool


def _resolve(
    entry: _Entry, status: str | None, options: _Options, report: ImportReport
) -> ImageRecord | None:
    """The record to import for ``entry`` (``None`` when the tracker already has it done)."""
    if status == "done":
        report.already_present += 1
        return None
    destination = _destination(entry.row, options.move_to, report)
    candidates = _candidates(entry.file_path, options.roots)
    if destination is not None:
        # Where an earlier --move import (perhaps interrupted before recording) put it.
        candidates.append(destination)
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        report.missing += 1
        return _counted(_missing(entry, options.trust_missing), status, report)
    report.found_on_disk += 1
    size = found.stat().st_size
    if entry.expected_size is not None and size != entry.expected_size:
        error = f"size on disk {size} differs from the legacy tracker's {entry.expected_size}"
        report.problems.append(f"{found}: {error}; it will be downloaded again")
        return _counted(_record(entry, "pending", found, size, error), status, report)
    if destination is not None:
        found = _move(found, destination, report)
    return _counted(_record(entry, "done", found, size, None), status, report)


def _counted(record: ImageRecord, status: str | None, report: ImportReport) -> ImageRecord:
    """Count what importing ``record`` changes: a new key, or an upgrade to done."""
    if status is None or record.status == "done":
        report.imported += 1
    else:
        report.already_present += 1
    return record


def _missing(entry: _Entry, trust_missing: bool) -> ImageRecord:
    if trust_missing:
        return _record(entry, "done", None, entry.expected_size, None)
    return _record(entry, "pending", None, None, MISSING_ERROR)


def _destination(
    row: ImageRow, move_to: Callable[[ImageRow], Path] | None, report: ImportReport
) -> Path | None:
    """The file's place in the new layout; ``None`` (no move) when none can be built."""
    if move_to is None:
        return None
    try:
        return move_to(row)
    except (SloohError, ValueError, OSError) as exc:
        report.problems.append(f"{row.key}: no place in the new layout, not moved: {exc}")
        return None


def _move(found: Path, destination: Path, report: ImportReport) -> Path:
    """Move a found file into the new layout; on any refusal it stays where it is."""
    try:
        moved = move_file(found, destination)
    except MoveFailed as exc:
        report.problems.append(f"{found}: not moved: {exc}")
        return found
    report.moved += moved
    return destination


def _record(
    entry: _Entry, status: str, path: Path | None, size: int | None, error: str | None
) -> ImageRecord:
    row = entry.row
    seen = from_iso(entry.downloaded_at)
    return ImageRecord(
        key=row.key,
        status="done" if status == "done" else "pending",
        kind=row.kind,
        image_id=row.image_id,
        mission_id=row.mission_id,
        title=row.title,
        object_name=row.object_name,
        telescope=row.telescope,
        instrument=row.instrument,
        format=row.format,
        filter=row.filter,
        url=row.url,
        filename=row.filename,
        path=Path(os.path.abspath(path)) if path is not None else None,
        size=size,
        hash=entry.md5 if status == "done" and path is not None else None,
        hash_algorithm="md5" if entry.md5 and status == "done" and path is not None else None,
        observed_at=row.observed_at,
        last_error=error,
        first_seen=seen,
        last_seen=seen,
        downloaded_at=seen if status == "done" else None,
        session_id=row.session_id,
        position=row.position,
    )
