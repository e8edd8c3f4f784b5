"""``--write-metadata``: a JSON sidecar for each downloaded file, written atomically.

The sidecar of ``M42/Canary Two/Pictures/x.png`` is ``x.png.json`` beside it, or
``.slooh/metadata/M42/Canary Two/Pictures/x.png.json`` in the library
(``download.metadata_location``). A file already there that slooh did not write (another
program's sidecar, a note of yours) is never replaced. docs/scripting.md shows a sidecar.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from .._version import __version__
from ..media import replace_file

if TYPE_CHECKING:
    from ..api import Picture

__all__ = [
    "GENERATOR",
    "SCHEMA",
    "HeaderReader",
    "metadata_document",
    "sidecar_path",
    "write_sidecar",
]

#: the sidecar's layout version: grows when a field changes meaning (new fields keep it)
SCHEMA = 1
GENERATOR = "slooh-async"
#: reads a FITS file's header summary (OBJECT, DATE-OBS, EXPTIME...), ``None`` if unknown
HeaderReader = Callable[[Path], Mapping[str, Any] | None]
#: a file at the sidecar's place bigger than this is not a sidecar of ours
_OURS_AT_MOST = 1_000_000

Location = Literal["beside", ".slooh"]


def sidecar_path(file: Path, library: Path, location: Location) -> Path:
    """Where the sidecar of ``file`` goes; beside it when ``file`` is outside the library."""
    if location == ".slooh":
        try:
            relative = file.relative_to(library)
        except ValueError:
            pass
        else:
            return library / ".slooh" / "metadata" / relative.parent / f"{file.name}.json"
    return file.with_name(f"{file.name}.json")


def metadata_document(
    picture: Picture,
    file: Path,
    size: int,
    library: Path,
    names: Mapping[str, str],
    fits_header: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The sidecar: the file, the picture as listed, its object and mission, the FITS header.

    ``names`` are the organizer's template values (the object's folder name...). URLs lose
    their query (one-time tokens). ``fits_header`` is ``null`` until a reader is given.
    """
    try:
        relative = file.relative_to(library).as_posix()
    except ValueError:
        relative = str(file)
    listed = picture.model_dump(mode="json")
    for key in ("url", "display_url"):
        listed[key] = _without_query(listed.get(key))
    when = picture.observed_at
    return {
        "generator": f"{GENERATOR} {__version__}",
        "schema": SCHEMA,
        "key": picture.key,
        "file": {
            "path": relative,
            "name": file.name,
            "size": size,
            "format": picture.format,
            "kind": picture.kind,
        },
        "picture": {**listed, "observed_at": when.isoformat() if when else None},
        "object": {"name": names.get("object"), "catalog": names.get("catalog")},
        "mission": {
            "id": picture.mission_id,
            "title": picture.title,
            "telescope": picture.telescope,
            "instrument": picture.instrument,
            "observed_at": when.isoformat() if when else None,
        },
        "fits_header": dict(fits_header) if fits_header is not None else None,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _without_query(url: Any) -> Any:
    if not isinstance(url, str) or not url:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def write_sidecar(path: Path, document: Mapping[str, Any]) -> str | None:
    """Write ``document`` at ``path`` atomically; ``None`` when written, else why not.

    A file already at ``path`` is replaced only when it is slooh's sidecar of the same file
    (same generator and key): a re-download refreshes it, anything else is left alone.
    """
    if path.exists() and not _ours(path, str(document.get("key"))):
        return f"{path} exists and was not written by slooh (left as it is)"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        if _link_new(temporary, path):
            return None
        if path.exists() and not _ours(path, str(document.get("key"))):
            return f"{path} appeared meanwhile and was not written by slooh (left as it is)"
        replace_file(temporary, path)  # a viewer that has it open: tried a while
        return None
    finally:
        temporary.unlink(missing_ok=True)


def _link_new(temporary: Path, path: Path) -> bool:
    """Put the finished file at ``path`` only if nothing is there (a hard link fails on an
    existing name, where a rename would replace it); ``False`` when something is there or
    the file system has no hard links (then the caller checks and renames)."""
    try:
        os.link(temporary, path)
    except OSError:
        return False
    return True


def _ours(path: Path, key: str) -> bool:
    """Whether the file at ``path`` is slooh's sidecar for ``key``."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > _OURS_AT_MOST:
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(data, dict)
        and str(data.get("generator", "")).startswith(GENERATOR)
        and data.get("key") == key
    )
