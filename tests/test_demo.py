"""`slooh demo`: a real download from the bundled fake server, files that open."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fits_support import fits_cards
from PIL import Image
from test_config_support import finish, isolate
from typer.testing import CliRunner

from slooh_async.cli import app


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    isolate(monkeypatch, tmp_path)
    yield
    finish()


def test_demo_builds_a_library_of_real_files(tmp_path: Path) -> None:
    """The demo exits 0 and its PNG, JPEG and FITS files open; it ends with its gallery's
    file:// URL; a second run fetches nothing and gives the same URL."""
    dest = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--dest", str(dest), "--pictures", "20"])
    assert result.exit_code == 0, result.output
    assert "Downloaded\t" in result.stdout and "demo" in result.stdout  # not a terminal: plain
    index = dest.absolute() / "index.html"
    assert result.stdout.rstrip().endswith(index.as_uri()) and index.is_file()
    assert (dest / ".slooh" / "gallery" / "files.html").is_file()
    files = [
        p for p in dest.rglob("*") if p.is_file() and ".slooh" not in p.parts and p != index
    ]
    suffixes = {p.suffix for p in files}
    assert {".png", ".fit"} <= suffixes
    for path in files:
        if path.suffix in {".png", ".jpg", ".jpeg"}:
            with Image.open(path) as image:
                image.load()
        else:
            header = fits_cards(path.read_bytes())
            assert header["SIMPLE"] == "T" and int(header["NAXIS"]) == 2
            assert {
                "BITPIX",
                "OBJECT",
                "TELESCOP",
                "INSTRUME",
                "FILTER",
                "DATE-OBS",
            } <= header.keys()
    again = CliRunner().invoke(app, ["demo", "--dest", str(dest), "--pictures", "20", "--json"])
    assert again.exit_code == 0
    document = json.loads(again.stdout)
    assert document["downloaded"] == 0 and document["gallery"] == index.as_uri()
