"""Reading a built gallery as a browser would: its pages, their links, the file index."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from slooh_async.gallery import GALLERY_DIR

#: Elements that must be closed (a parse that leaves them open is a broken page).
_CLOSED = {"html", "head", "body", "main", "section", "figure", "a", "table", "ul", "svg", "g"}
_VOID = {"meta", "link", "img", "input", "br", "hr", "source", "rect", "line", "path"}


@dataclass
class Page:
    """What a reader gets from one HTML file."""

    path: Path
    links: list[tuple[str, str]] = field(default_factory=list)  # (tag, url)
    images: list[tuple[str, str]] = field(default_factory=list)  # (src, alt)
    scripts: list[str] = field(default_factory=list)  # src of each <script>
    inline_scripts: int = 0
    text: list[str] = field(default_factory=list)
    unclosed: list[str] = field(default_factory=list)

    def targets(self) -> list[Path]:
        """Every local file a link or image of the page points at (fragments dropped)."""
        found = []
        for _, url in self.links:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                raise AssertionError(f"{self.path.name}: not a relative link: {url}")
            if parts.path:
                found.append((self.path.parent / unquote(parts.path)).resolve())
        return found


class _Reader(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.stack: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src"):
            if values.get(name) is not None:
                self.page.links.append((tag, str(values[name])))
        if tag == "img":
            self.page.images.append((str(values.get("src")), str(values.get("alt"))))
        if tag == "script":
            self.in_script = True
            if values.get("src"):
                self.page.scripts.append(str(values["src"]))
            else:
                self.page.inline_scripts += 1
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not self.in_script and data.strip():
            self.page.text.append(data.strip())


def read_page(path: Path) -> Page:
    """Parse one HTML page."""
    page = Page(path)
    reader = _Reader(page)
    reader.feed(path.read_text("utf-8"))
    reader.close()
    page.unclosed = [tag for tag in reader.stack if tag in _CLOSED]
    return page


def gallery_pages(root: Path, index_name: str = "index.html") -> list[Page]:
    """The home page and every page under the gallery folder."""
    folder = root / GALLERY_DIR
    return [read_page(root / index_name), *map(read_page, sorted(folder.rglob("*.html")))]


def file_index(root: Path) -> list[dict[str, Any]]:
    """The rows of ``files-index.js`` (a JSON document behind an assignment)."""
    text = (root / GALLERY_DIR / "files-index.js").read_text("utf-8")
    prefix = "window.SLOOH_FILES = "
    assert text.startswith(prefix) and text.endswith(";\n")
    rows: list[dict[str, Any]] = json.loads(text[len(prefix) : -2])["files"]
    return rows


def mtimes(root: Path) -> dict[Path, int]:
    """Modification times (ns) of every gallery file and the home page."""
    files = [p for p in (root / GALLERY_DIR).rglob("*") if p.is_file()]
    return {p: p.stat().st_mtime_ns for p in [*files, root / "index.html"] if p.exists()}


@contextmanager
def tracker_db(root: Path) -> Iterator[sqlite3.Connection]:
    """The library's tracker database, straight from SQLite: committed and closed after."""
    db = sqlite3.connect(root / ".slooh" / "tracker.sqlite3")
    try:
        with db:
            yield db
    finally:
        db.close()
