"""Issue 5: the no-op re-run (nothing new) on libraries of 1,000, 10,000 (and 100,000) files.

For each size, a library's tracker is filled directly (no download): one ``done`` row per
picture of the fake server's catalog (``--fits``: also per FITS frame), every mission's FITS
marked checked, as a finished ``slooh download`` leaves them. A first ``slooh download
--json`` against a fake server (own process) with that catalog lists everything, finds it all
tracked and marks the library synced; then the no-op re-run is timed ``--rounds`` times. The
server's log counts the calls.

Figures: median wall time of the whole process, its ratio against the same no-op at 1,000
files and against ``slooh --help`` (the interpreter and CLI start-up floor), both measured in
the same invocation; the listing calls each run made. For information also the first run
after filling the tracker: a full listing that finds everything tracked (what a re-run costs
when the library is not known to be complete, e.g. after an interrupted sync).
Targets (issue 5): at most 2 listing calls (plus login), under 2 s for 10,000 tracked files.

Tracker lookup costs at these sizes: bench/bench_tracker.py.
Run ``.venv/bin/python bench/bench_rerun.py [--large]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _harness import (
    Figure,
    ServerProcess,
    check,
    cli_env,
    machine_note,
    median,
    print_figures,
    run_timed,
    save_figures,
    scratch,
    server_config,
    slooh_command,
    write_config,
)

BASELINE = 1_000
LISTING = ("getMyPictures", "getMissionImages", "getMissionFITS")


def fill_tracker(server_args: list[str], library: Path) -> int:
    """A tracker holding the whole catalog as downloaded; returns the number of rows.

    The library is not marked "synced": the first ``slooh download`` lists everything, finds
    it all tracked and marks it so itself (whatever flags the runner keeps for that)."""
    from slooh_async.fake_server import Catalog
    from slooh_async.tracker import ImageRow, Tracker

    config = server_config(server_args)
    catalog = Catalog(config)
    files = catalog.expected_files(include_fits=config.fits)
    rows = [
        ImageRow(
            key=item.key, status="done", kind=item.kind, image_id=item.image_id,
            mission_id=item.mission_id, title=item.title, telescope=item.telescope,
            format=item.format, filename=item.filename, observed_at=item.taken_at,
            path=library / item.path.lstrip("/"), size=item.size, attempts=1,
        )
        for item in files
    ]  # fmt: skip
    with Tracker.open(library / ".slooh" / "tracker.sqlite3", base_path=library) as tracker:
        for first in range(0, len(rows), 5_000):
            tracker.record_batch(rows[first : first + 5_000])
        for mission in catalog.missions:
            tracker.set_fits_checked(mission.mission_id, len(mission.fits_files))
    return len(rows)


def measure(size: int, args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    server_args = ["--pictures", str(size), "--file-size", "2048"]
    if not args.fits:
        server_args.append("--no-fits")
    library = tmp / f"library-{size}"
    began = time.perf_counter()
    srv = ServerProcess(server_args).start()  # builds its catalog while we fill the tracker
    try:
        rows = fill_tracker(server_args, library)
    except BaseException:
        srv.__exit__(None, None, None)
        raise
    with srv:  # waits until it serves
        built = time.perf_counter() - began
        config = write_config(tmp / f"config-{size}.json", srv.base_url, library)
        env = cli_env(tmp / "home", config)
        srv.clear()
        first = check(run_timed([*slooh_command(), "download", "--json"], env=env),
                      f"first (full) listing at {size}")  # fmt: skip
        full_pages = srv.calls()["getMyPictures"]
        if first.json()["downloaded"]:
            raise SystemExit(f"the tracker did not cover the catalog: {first.json()}")
        walls, runs, listing, pages = [], [], [], []
        for _ in range(args.rounds):
            srv.clear()
            timed = check(run_timed([*slooh_command(), "download", "--json"], env=env),
                          f"no-op re-run at {size}")  # fmt: skip
            summary, calls = timed.json(), srv.calls()
            if summary["downloaded"] or summary["queued"]:
                raise SystemExit(f"the re-run at {size} was not a no-op: {summary}")
            walls.append(timed.seconds)
            runs.append(float(summary["elapsed_seconds"]))
            listing.append(sum(calls[name] for name in LISTING))
            pages.append(calls["getMyPictures"])
        help_walls = [
            check(run_timed([*slooh_command(), "--help"], env=env), "slooh --help").seconds
            for _ in range(args.rounds)
        ]
    result = {
        "rows": rows, "wall": median(walls), "run": median(runs), "help": median(help_walls),
        "listing": max(listing), "pages": max(pages), "logins": calls["login"], "built": built,
        "full": first.seconds, "full_pages": full_pages,
    }  # fmt: skip
    print(f"  {rows:>7,} tracked: no-op {result['wall']:.2f} s (pipeline {result['run']:.2f} s), "
          f"slooh --help {result['help']:.2f} s, {result['listing']} listing call(s) "
          f"({result['pages']} getMyPictures) + {result['logins']} login; first run after "
          f"filling the tracker (full listing, {full_pages} pages) {first.seconds:.1f} s; "
          f"set-up {built:.0f} s", flush=True)  # fmt: skip
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Issue 5: no-op re-run time and listing calls.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[BASELINE, 10_000],
                        help="library sizes (default 1000 10000; 1000 is always the baseline)")
    parser.add_argument("--large", action="store_true", help="add 100,000 (a few minutes)")
    parser.add_argument("--rounds", type=int, default=5, help="re-runs per size (default 5)")
    parser.add_argument("--fits", action="store_true", help="catalogs with FITS frames too")
    parser.add_argument("--json-out", help="append the figures as JSON lines to this file")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes) | {BASELINE} | ({100_000} if args.large else set()))
    print(f"bench_rerun: {machine_note()}", flush=True)
    with scratch() as tmp:
        results = {size: measure(size, args, tmp) for size in sizes}
    base = results[BASELINE]
    figures = []
    for size, result in results.items():
        wall = result["wall"]
        target = size == 10_000
        figures.append(Figure(
            f"no-op re-run, {int(result['rows']):,} tracked: wall",
            f"{wall:.2f} s ({wall / base['wall']:.2f}x the 1,000 no-op, "
            f"{wall / result['help']:.1f}x slooh --help)",
            "< 2 s" if target else "", (wall < 2.0) if target else None,
        ))  # fmt: skip
        figures.append(Figure(
            f"no-op re-run, {int(result['rows']):,} tracked: listing calls",
            f"{int(result['listing'])} + {int(result['logins'])} login",
            "<= 2 + login", result["listing"] <= 2,
        ))  # fmt: skip
    print(f"bench_rerun figures (medians of {args.rounds} runs):")
    print_figures(figures)
    save_figures(args.json_out, "bench_rerun", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
