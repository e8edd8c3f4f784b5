"""Every bench script with quick defaults, one after the other, then one table of figures.

Run: ``.venv/bin/python bench/run_all.py`` (what ``make bench`` does; about 6 minutes on two
cores), ``--full`` for each script's own defaults (the figures of docs/performance.md; about
15 minutes), ``--only NAME ...`` for some of them. Each script also runs alone (``--help``).
Every figure is a ratio against a baseline measured in the same invocation, or a count;
absolute times are printed for information, since machines differ and are noisy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

#: (script, quick arguments, full arguments)
SCRIPTS: list[tuple[str, list[str], list[str]]] = [
    ("bench_realistic.py", ["--rounds", "2", "--pictures", "14", "--cases", "far,cpu"], []),
    ("bench_tracker.py", ["1000", "10000"], []),
    ("bench_plan.py", ["--pictures", "1000", "--repeat", "5"], []),
    ("bench_api.py", ["--pictures", "1000", "--seconds", "65"], ["--seconds", "150"]),
    (
        "bench_download.py",
        ["--rounds", "3", "--big-rounds", "1", "--fits-pictures", "500", "--seconds", "65"],
        [],
    ),
    ("bench_rerun.py", ["--rounds", "3"], ["--large"]),
    ("bench_gallery.py", ["--files", "1000"], []),
]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Run every bench script; print the figures.")
    parser.add_argument("--full", action="store_true", help="each script's own (long) defaults")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="e.g. bench_api bench_rerun")
    args = parser.parse_args(argv)
    chosen = [s for s in SCRIPTS if not args.only or Path(s[0]).stem in args.only]
    failures = []
    with tempfile.TemporaryDirectory(prefix="slooh-bench-all-") as folder:
        figures_file = Path(folder) / "figures.jsonl"
        for script, quick, full in chosen:
            extra = full if args.full else quick
            takes_json = script != "bench_tracker.py"
            command = [sys.executable, str(BENCH / script), *extra]
            if takes_json:
                command += ["--json-out", str(figures_file)]
            print(f"\n=== {script} {' '.join(extra)}", flush=True)
            began = time.perf_counter()
            code = subprocess.call(command)
            print(f"=== {script}: exit {code}, {time.perf_counter() - began:.0f} s", flush=True)
            if code:
                failures.append(script)
        lines = figures_file.read_text().splitlines() if figures_file.exists() else []
        figures = [json.loads(line) for line in lines]
    report(figures, failures)
    return 1 if failures else 0


def report(figures: list[dict[str, object]], failures: list[str]) -> None:
    """One compact table: every figure with a target, and whether it is met."""
    print("\n=== summary (targets of issues 3, 4, 5 and 15; see docs/performance.md)")
    targeted = [f for f in figures if f.get("target")]
    width = max([len(str(f["name"])) for f in targeted] + [10])
    for figure in targeted:
        verdict = "MET" if figure["met"] else "NOT MET"
        print(f"  {verdict:<8} {figure['name']!s:<{width}}  {figure['value']}  "
              f"(target {figure['target']})")  # fmt: skip
    met = sum(1 for f in targeted if f["met"])
    print(f"  {met} of {len(targeted)} targets met; bench_tracker and bench_plan print "
          "their own tables above")
    for script in failures:
        print(f"  FAILED: {script}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
