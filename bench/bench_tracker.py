"""Micro-benchmark of the tracker at 10,000 and 100,000 files, against a 1,000-file baseline.

Run: ``.venv/bin/python bench/bench_tracker.py [SIZE ...]``. For each size it builds a tracker
in a temporary folder and times what a download run does with it:

- ``statuses(50)``: the skip check for one page of 50 listed pictures;
- ``record_batch(50)``: recording one batch of results (one transaction);
- ``no-op re-run``: ``statuses`` for every tracked key in pages of 50 (the tracker's whole share
  of a re-run that finds nothing new);
- ``stats()``: everything ``slooh stats`` shows.

Figures are medians in milliseconds; the ratio column compares with the baseline size measured
in the same run, so the numbers travel between machines.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slooh_async.tracker import ImageRecord, ImageRow, Tracker

BASELINE = 1_000
DEFAULT_SIZES = (BASELINE, 10_000, 100_000)
PAGE = 50
TELESCOPES = ("Canary One", "Canary Two", "Canary Three", "Chile One", "Chile Two", "Australia")
OBJECTS = tuple(f"M{n}" for n in range(1, 111)) + tuple(f"NGC {n}" for n in range(1, 200))


def make_record(n: int, library: Path, start: datetime) -> ImageRecord:
    """A plausible done record: every fifth is a FITS frame."""
    fits = n % 5 == 0
    name = f"m{n % 110}_20260121_{n % 240000:06d}_0_abc{n}_b{'_cal.fit' if fits else '.png'}"
    key = f"fits:{4_000_000 + n // 7}:{name}" if fits else str(17_000_000 + n)
    obj = OBJECTS[n % len(OBJECTS)]
    telescope = TELESCOPES[n % len(TELESCOPES)]
    when = start + timedelta(minutes=n)
    return ImageRecord(
        key=key,
        status="done",
        kind="fits" if fits else "picture",
        image_id=17_000_000 + n,
        title=obj,
        object_name=obj,
        telescope=telescope,
        format="FITS" if fits else "PNG",
        url=f"https://polaris.slooh.test/{name}",
        filename=name,
        path=library / obj / telescope / name,
        size=720_000 if fits else 2_800_000,
        observed_at=when,
        first_seen=when,
        downloaded_at=when,
    )


def build(size: int, folder: Path) -> tuple[Tracker, list[str]]:
    """A tracker of ``size`` done records; returns it and its keys."""
    library = folder / f"lib{size}"
    tracker = Tracker.open(library / ".slooh" / "tracker.sqlite3", base_path=library)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    records = [make_record(n, library, start) for n in range(size)]
    for first in range(0, size, 5_000):
        tracker.import_records(records[first : first + 5_000])
    return tracker, [record.key for record in records]


def median_ms(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``action`` in milliseconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(size: int, folder: Path) -> dict[str, float]:
    """The four figures for one tracker size."""
    began = time.perf_counter()
    tracker, keys = build(size, folder)
    build_ms = (time.perf_counter() - began) * 1000
    picker = random.Random(size)
    library = tracker.base_path
    try:
        pages = [picker.sample(keys, PAGE) for _ in range(200)]
        page_iter = iter(pages)
        lookup = median_ms(lambda: tracker.statuses(next(page_iter)), repeat=200)

        def batch() -> None:
            chosen = picker.sample(keys, PAGE)
            rows = [
                ImageRow(key=key, status="done", path=library / "x" / key, size=1, attempts=1)
                for key in chosen
            ]
            tracker.record_batch(rows)

        write = median_ms(batch, repeat=50)

        def rerun() -> None:
            for first in range(0, len(keys), PAGE):
                tracker.statuses(keys[first : first + PAGE])

        noop = median_ms(rerun, repeat=3)
        stats = median_ms(lambda: tracker.stats(), repeat=5)
    finally:
        tracker.close()
    return {
        "build": build_ms,
        f"statuses({PAGE})": lookup,
        f"record_batch({PAGE})": write,
        "no-op re-run": noop,
        "stats()": stats,
    }


def report(results: dict[int, dict[str, float]]) -> None:
    """A table of absolute figures and ratios against the baseline size."""
    baseline = results[min(results)]
    names = list(baseline)
    print(f"{'files':>9}  " + "  ".join(f"{name:>22}" for name in names))
    for size, figures in results.items():
        cells = [
            f"{figures[name]:9.3f} ms ({figures[name] / baseline[name]:6.1f}x)" for name in names
        ]
        print(f"{size:>9,}  " + "  ".join(f"{cell:>22}" for cell in cells))
    print(f"(ratios against {min(results):,} files; medians; build = creating the tracker)")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        description="Tracker micro-benchmarks at several sizes, against a 1,000-file baseline."
    )
    parser.add_argument(
        "sizes", nargs="*", type=int, metavar="SIZE", help="tracked files (1000 10000 100000)"
    )
    given = parser.parse_args(argv).sizes
    sizes = sorted(set(given) | {BASELINE}) if given else list(DEFAULT_SIZES)
    with tempfile.TemporaryDirectory(prefix="slooh-bench-") as folder:
        results = {size: measure(size, Path(folder)) for size in sizes}
    report(results)


if __name__ == "__main__":
    main(sys.argv[1:])
