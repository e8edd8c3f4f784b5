"""The gallery's pages, rendered with Jinja2 (autoescaping on: titles are user data).

Every page lives at a known place relative to the library's root and links to everything
with a relative, percent-encoded URL, so the folder can be moved, zipped or synced and still
opens from disk. The file table's data is a JSON document wrapped in a script
(``files-index.js``): a browser refuses ``fetch`` on ``file://`` pages, a ``<script src>`` works.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Callable
from datetime import datetime
from functools import cache
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from .. import _units as units
from .._version import __version__
from ._cache import GALLERY_DIR
from ._charts import bars, columns
from ._model import Item, Site

__all__ = ["INDEX_SCRIPT", "render_pages"]

_GALLERY = GALLERY_DIR.as_posix()
_ASSETS = ("gallery.css", "files.js")
INDEX_SCRIPT = "files-index.js"
#: The variable ``files-index.js`` assigns; the rest of the file is one JSON document.
INDEX_VARIABLE = "window.SLOOH_FILES = "


class Linker:
    """Relative URLs from one page's folder (both relative to the library's root)."""

    def __init__(self, root: Path, page_dir: str) -> None:
        self._root = root
        self._page_dir = page_dir

    def __call__(self, target: str) -> str:
        """The URL of ``target`` (a ``/``-separated path relative to the root)."""
        return quote(posixpath.relpath(target, self._page_dir), safe="/")

    def file(self, item: Item) -> str | None:
        """The URL of a tracked file; ``None`` when it is missing or on another drive."""
        if not item.exists or item.record.path is None:
            return None
        if item.rel_path is not None:
            return self(item.rel_path)
        try:
            relative = os.path.relpath(item.record.path, self._root / self._page_dir)
        except ValueError:
            return None
        return quote(PurePosixPath(Path(relative)).as_posix(), safe="/")

    def gallery(self, name: str | None) -> str | None:
        """The URL of a file of the gallery folder (a preview, an object page...)."""
        return None if name is None else self(f"{_GALLERY}/{name}")


def render_pages(site: Site, root: Path, index_name: str) -> dict[str, bytes]:
    """Every file of the gallery but the previews: ``{path relative to the root: bytes}``."""
    env = _environment()
    pages: dict[str, bytes] = {}

    def page(path: str, template: str, **context: Any) -> None:
        link = Linker(root, posixpath.dirname(path))
        html = env.get_template(template).render(
            site=site, link=link, index=index_name, gallery=_GALLERY, **context
        )
        pages[path] = html.encode("utf-8")

    page(index_name, "home.html", charts=_charts(site, Linker(root, "")))
    page(f"{_GALLERY}/files.html", "files.html", index_script=INDEX_SCRIPT)
    for view in site.objects:
        page(f"{_GALLERY}/objects/{view.slug}.html", "object.html", view=view)
    pages[f"{_GALLERY}/{INDEX_SCRIPT}"] = _index_script(site, Linker(root, _GALLERY))
    for name in _ASSETS:
        pages[f"{_GALLERY}/assets/{name}"] = _asset(name)
    return pages


def _charts(site: Site, link: Linker) -> dict[str, Any]:
    """The home page's charts (links as seen from the home page, at the root)."""
    top = [
        (view.name, view.exposure, link.gallery(f"objects/{view.slug}.html"))
        for view in site.top_exposure
    ]
    return {
        "months": columns(site.per_month, "Files per month"),
        "telescopes": bars([(n, c, None) for n, c in site.by_telescope], _count, "By telescope"),
        "filters": bars([(n, c, None) for n, c in site.by_filter], _count, "By filter"),
        "exposure": bars(top, duration, "Top objects by integration time"),
    }


def _index_script(site: Site, link: Linker) -> bytes:
    """One row per tracked file, the JSON the file table sorts and filters."""
    slugs = {id(item): view.slug for view in site.objects for item in view.items}
    rows = [
        {
            "object": item.object_name,
            "page": f"objects/{slugs[id(item)]}.html",
            "telescope": item.record.telescope,
            "type": item.file_type,
            "filter": item.filter,
            "exposure": item.exposure,
            "size": item.record.size,
            "date": item.observed.isoformat() if item.observed else None,
            "path": item.rel_path or (str(item.record.path) if item.record.path else None),
            "url": link.file(item),
            "key": item.record.key,
        }
        for item in site.items
    ]
    text = json.dumps({"files": rows}, ensure_ascii=False, separators=(",", ":"))
    return f"{INDEX_VARIABLE}{text};\n".encode()


@cache
def _asset(name: str) -> bytes:
    return files("slooh_async.gallery").joinpath("assets", name).read_bytes()


@cache
def _environment() -> Any:
    """The Jinja2 environment: package templates, autoescaping everywhere, strict names."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("slooh_async.gallery", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters: dict[str, Callable[..., str]] = {
        "bytes": human_bytes,
        "duration": duration,
        "when": when,
        "day": day,
        "ra": right_ascension,
        "dec": declination,
        "number": lambda value: f"{value:,}",
        "plural": units.plural,
    }
    env.filters.update(filters)
    env.globals["version"] = __version__
    return env


# --------------------------------------------------------------------------- formats


def human_bytes(size: int | None) -> str:
    """``7.5 MB``, as ``slooh`` prints sizes; ``—`` when unknown."""
    return "—" if size is None else units.human_bytes(size)


def duration(seconds: float | None) -> str:
    """An exposure as ``slooh stats`` says it (``45 s``, ``4.5 min``, ``2 h 05 min``)."""
    return "—" if seconds is None else units.exposure_text(seconds)


def _count(value: float) -> str:
    return f"{value:,.0f}"


def when(moment: datetime | None) -> str:
    """``2026-01-21 01:16 UTC``."""
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "—"


def day(moment: datetime | None) -> str:
    """``2026-01-21``."""
    return f"{moment:%Y-%m-%d}" if moment else "—"


def right_ascension(degrees: float | None) -> str:
    """``05h 35m 17s``."""
    if degrees is None:
        return "—"
    seconds = round(degrees / 15 * 3600) % 86400
    return f"{seconds // 3600:02d}h {seconds // 60 % 60:02d}m {seconds % 60:02d}s"


def declination(degrees: float | None) -> str:
    """``−05° 23′ 28″``."""
    if degrees is None:
        return "—"
    seconds = round(abs(degrees) * 3600)
    sign = "−" if degrees < 0 else "+"
    return f"{sign}{seconds // 3600:02d}° {seconds // 60 % 60:02d}′ {seconds % 60:02d}″"
