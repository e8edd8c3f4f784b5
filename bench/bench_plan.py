"""The producer's per-picture cost, stage by stage, against parsing the listing itself.

Lists N pictures once from an in-process fake server (set-up, not measured), then times, on
the same pictures, page by page (50 a page):

- ``parse`` (the baseline): the JSON of a page into ``PicturesPage`` (pydantic), which any
  client of the API pays;
- ``relative_path``: the organizer's pure path rules;
- ``Placement.get_destination_path``: the engine's placement of the same path, joined to the
  library (``FileOrganizer.destination``) and checked with ``resolve()``;
- ``Planner.plan``: a whole page planned against a fresh tracker (lookups, path owners,
  ``stat`` calls, ``mark_pending``), as ``slooh download`` does in a worker thread;
- ``record_batch``: writing the pages' done rows (one transaction per 32, as the pipeline).

Figures are CPU microseconds per picture (``time.process_time``: less sensitive than wall time
to other load on a shared machine; sqlite's and ``stat``'s system time included), medians, and
ratios against ``parse`` in the same run. Each timed run gets freshly parsed pictures, since
``Picture`` caches derived values (``name_info``).
Run: ``.venv/bin/python bench/bench_plan.py [--pictures N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _harness import Figure, machine_note, print_figures, save_figures


def listed_pages(pictures: int, batch: int) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """Raw JSON pages and their parsed pictures, from an in-process fake server."""
    import httpx

    from slooh_async.api import PicturesPage
    from slooh_async.fake_server import FakeConfig, FakeSlooh

    raw = []
    with FakeSlooh(FakeConfig(pictures=pictures, fits=False)).running() as srv:
        body = srv.session_body(viewType="photoRoll", maxImageCount=batch)
        with httpx.Client(base_url=srv.base_url) as http:
            for first in range(1, pictures + 1, batch):
                answer = http.post("/api/images/getMyPictures", json={**body,
                                   "firstImageNumber": first})  # fmt: skip
                raw.append(answer.json())
    pages = [PicturesPage.model_validate(page).pictures for page in raw]
    return raw, pages


def fresh_pages(raw: list[dict[str, Any]]) -> list[list[Any]]:
    """Newly parsed pictures: ``Picture`` caches derived values, so every timed run gets its own."""
    from slooh_async.api import PicturesPage

    return [PicturesPage.model_validate(page).pictures for page in raw]


def cpu_us(action: Callable[[list[list[Any]]], object], raw: list[dict[str, Any]],
           count: int, repeat: int) -> float:  # fmt: skip
    """Least CPU time of ``action(fresh pages)`` over ``repeat`` runs, in us per picture."""
    times = []
    for _ in range(repeat):
        pages = fresh_pages(raw)
        gc.collect()
        gc.disable()  # as timeit does: a collection in one run only would be noise
        try:
            began = time.process_time()
            action(pages)
            times.append(time.process_time() - began)
        finally:
            gc.enable()
    return min(times) / count * 1e6


def measure(pictures: int, repeat: int) -> dict[str, float]:
    """Microseconds of CPU per picture for each stage (see the module docstring)."""
    from slooh_async.api import PicturesPage
    from slooh_async.config import DownloadSettings, FolderSettings
    from slooh_async.engine import DownloadRequest, Placement, Planner
    from slooh_async.organizer import FileOrganizer
    from slooh_async.tracker import ImageRow, Tracker

    raw, pages = listed_pages(pictures, 50)
    count = sum(len(page) for page in pages)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="slooh-bench-plan-") as folder:
        library = Path(folder) / "library"
        organizer = FileOrganizer(FolderSettings(base_path=library))

        def each(func: Callable[[Any], object]) -> Callable[[list[list[Any]]], object]:
            return lambda fresh: [func(p) for page in fresh for p in page]

        results["parse (baseline)"] = cpu_us(
            lambda _: [PicturesPage.model_validate(page) for page in raw], raw, count, repeat
        )
        results["relative_path"] = cpu_us(each(organizer.relative_path), raw, count, repeat)
        placement = Placement(organizer)
        results["Placement.get_destination_path"] = cpu_us(
            each(placement.get_destination_path), raw, count, repeat
        )
        runs = iter(range(repeat))

        def plan(fresh: list[list[Any]]) -> None:
            tracker = Tracker.open(Path(folder) / f"t{next(runs)}.sqlite3", base_path=library)
            session = tracker.start_session("download")
            planner = Planner(tracker, organizer, DownloadSettings(), DownloadRequest(), session)
            for page in fresh:
                planner.plan(page)
            tracker.close()

        results["Planner.plan (fresh tracker)"] = cpu_us(plan, raw, count, repeat)
        tracker = Tracker.open(Path(folder) / "rows.sqlite3", base_path=library)
        rows = [ImageRow.from_picture(p, status="done", path=library / p.filename, size=65536,
                                      attempts=1) for page in pages for p in page]  # fmt: skip

        def record(_: object) -> None:
            for first in range(0, len(rows), 32):
                tracker.record_batch(rows[first : first + 32])

        results["record_batch (32 a batch)"] = cpu_us(record, raw, count, repeat)
        tracker.close()
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Per-picture cost of listing-side stages.")
    parser.add_argument("--pictures", type=int, default=2000, help="pictures (default 2000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per stage (default 5)")
    parser.add_argument("--json-out", help="append the figures as JSON lines to this file")
    args = parser.parse_args(argv)
    print(f"bench_plan: {machine_note()}", flush=True)
    results = measure(args.pictures, args.repeat)
    base = results["parse (baseline)"]
    figures = [
        Figure(f"{name} per picture", f"{value:8.1f} us ({value / base:5.2f}x parse)")
        for name, value in results.items()
    ]
    print(f"bench_plan figures ({args.pictures} pictures, medians of {args.repeat} runs):")
    print_figures(figures)
    save_figures(args.json_out, "bench_plan", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
