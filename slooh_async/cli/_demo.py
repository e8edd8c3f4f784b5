"""``slooh demo``: a real download from the bundled fake Slooh server, on loopback only.

The fake server runs in a background thread on free ports; the client reaches it through the
normal configuration path (a config file written into the demo library, plus the usual
command-line overrides), so the demo exercises exactly what a real sync does. It ends with
the library's gallery built (the run's ``gallery`` refresh, always on for the demo).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.tree import Tree

    from ..engine import DownloadRequest
    from ._report import Output, RunOutcome

__all__ = ["render_tree", "run_demo"]

Execute = Callable[..., "RunOutcome"]


def run_demo(
    dest: Path, *, pictures: int, seed: int, output: Output, execute: Execute
) -> RunOutcome:
    """Serve a fake catalog, download it into ``dest`` and show the folder tree made."""
    from ..engine import DownloadRequest
    from ..fake_server import FakeConfig, FakeSlooh

    dest = dest.expanduser().absolute()
    # FITS frames of ~360 x 360 pixels: as wide as the gallery's previews, so they (and the
    # colour composites) are sharp; pictures stay small. 60 pictures take a few seconds.
    fake = FakeConfig(pictures=pictures, seed=seed, file_size=48 * 1024, fits_size=256 * 1024)
    with FakeSlooh(fake).running() as server:
        config = _write_config(dest, server.base_url, fake.username, fake.password)
        overrides: dict[str, Any] = {
            "slooh.base_url": server.base_url,
            "slooh.username": fake.username,
            "slooh.password": fake.password,
            "folders.base_path": str(dest),
        }
        request: DownloadRequest = DownloadRequest()
        return execute(request, "demo", output, overrides, config_path=config)


def _write_config(dest: Path, base_url: str, username: str, password: str) -> Path:
    """The demo's own config file: fast settings for a loopback server (no rate limit)."""
    folder = dest / ".slooh"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo-config.json"
    data = {
        "slooh": {"base_url": base_url, "username": username, "password": password},
        "download": {"rate_limit": 0, "threads": 4, "retry_delay": 0.2, "max_retries": 3},
        "folders": {"base_path": str(dest)},
    }
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    path.chmod(0o600)
    return path


def render_tree(root: Path, *, files_per_folder: int = 3, max_folders: int = 40) -> Tree:
    """The library as a Rich tree: every folder, a few files each, counts for the rest."""
    from rich.markup import escape
    from rich.tree import Tree

    from .._units import human_bytes, plural

    tree = Tree(f"[bold]{escape(str(root))}[/]")
    nodes: dict[Path, Tree] = {root: tree}
    shown = 0
    for folder in sorted(p for p in root.rglob("*") if p.is_dir() and ".slooh" not in p.parts):
        parent = nodes.get(folder.parent)
        if parent is None:
            continue
        if shown >= max_folders:
            tree.add("[dim]... more folders[/]")
            break
        nodes[folder] = parent.add(f"[bold blue]{escape(folder.name)}/[/]")
        shown += 1
        files = sorted(p for p in folder.iterdir() if p.is_file())
        for file in files[:files_per_folder]:
            nodes[folder].add(f"{escape(file.name)} [dim]({human_bytes(file.stat().st_size)})[/]")
        if len(files) > files_per_folder:
            more = plural(len(files) - files_per_folder, "more file")
            nodes[folder].add(f"[dim]... and {more}[/]")
    return tree
