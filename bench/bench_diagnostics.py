"""Diagnostics of the CLI's remaining cost: the CLI with one part of its work changed.

A variant is a monkeypatch applied in the ``slooh`` child process before the CLI starts
(``--child``). Each round runs the bare script (bench/bare_download.py), the unpatched CLI and
every variant, in an order that turns by one every round, each as a whole process against the
same fake server (own process), with a ``sync`` between runs; the figures are medians of the
per-round ratios against the unpatched CLI and against the bare script.

Variants (``--variants``, joined with ``+`` to combine):

- ``nohash``: no digest while streaming (what hashing small files costs);
- ``inline``: every ``to_thread`` call run on the event loop: no worker threads at all (what
  the thread trips and the GIL hand-offs cost; not a proposal: the loop must not block);
- ``switch``: ``sys.setswitchinterval(0.0005)`` instead of 5 ms;
- ``double``: two workers per connection, so a worker's file is finished on disk while the
  other one's request is on the wire.

The changes once proposed here (one connection per worker, cheaper planning, fewer copies,
faster start) are made; docs/performance.md has their history. These patches reach into
the engine's classes (imported from ``slooh_async.engine``, patched on the class itself) and
may need updating when they change; they are experiments, not product code.
Run ``.venv/bin/python bench/bench_diagnostics.py --help``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _harness import (
    BENCH,
    PYTHON,
    ServerProcess,
    check,
    cli_env,
    machine_note,
    median,
    run_timed,
    scratch,
    server_config,
    settle,
    write_config,
)

# --------------------------------------------------------------------------- the patches


def patch_nohash() -> None:
    from slooh_async.engine import Fetcher

    Fetcher._algorithm_for = lambda self, size: None  # type: ignore[method-assign]


def patch_inline() -> None:
    import anyio.to_thread

    async def run_sync(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]


def patch_switch() -> None:
    sys.setswitchinterval(0.0005)


def patch_double() -> None:
    from slooh_async.engine import Pipeline

    made = Pipeline.__post_init__

    def post_init(self: Pipeline) -> None:
        made(self)
        self.threads *= 2  # two workers share each of the fetcher's connections

    Pipeline.__post_init__ = post_init  # type: ignore[method-assign]


PATCHES: dict[str, Callable[[], None]] = {
    "nohash": patch_nohash,
    "inline": patch_inline,
    "switch": patch_switch,
    "double": patch_double,
}


def child(variant: str, cli_args: list[str]) -> int:
    """Apply the variant's patches, then run the CLI as the ``slooh`` script does."""
    for name in filter(None, variant.split("+")):
        if name != "base":
            PATCHES[name]()
    from slooh_async.cli import main

    sys.argv = ["slooh", *cli_args]
    main()
    return 0


# --------------------------------------------------------------------------- the parent


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, list[float]]:
    from slooh_async.fake_server import Catalog

    server_args = ["--pictures", str(args.files), "--no-fits", "--file-size", str(args.size)]
    if args.size >= 1 << 20:
        server_args += ["--size-jitter", "0"]
    files = Catalog(server_config(server_args)).expected_files(include_fits=False)
    names = ["bare", "base", *args.variants]
    times: dict[str, list[float]] = {name: [] for name in names}
    with ServerProcess(server_args) as srv:
        urls = tmp / "urls.txt"
        urls.write_text("\n".join(f"{srv.download_base_url}{item.path}" for item in files))
        for number in range(args.rounds + 1):  # round 0 warms up and is not counted
            # the order turns every round, so that no variant always runs in the same place
            for name in names[number % len(names) :] + names[: number % len(names)]:
                folder = tmp / f"run-{name}"
                if name == "bare":
                    folder.mkdir()
                    command = [PYTHON, str(BENCH / "bare_download.py"), str(urls), str(folder),
                               str(args.threads)]  # fmt: skip
                    timed = check(run_timed(command), "bare script")
                else:
                    config = write_config(tmp / "config.json", srv.base_url, folder,
                                          threads=args.threads)  # fmt: skip
                    command = [PYTHON, str(Path(__file__).resolve()), "--child", name, "--",
                               "download", "--json", "--quiet"]  # fmt: skip
                    timed = check(run_timed(command, env=cli_env(tmp / "home", config)), name)
                    if timed.json()["downloaded"] != len(files):
                        raise SystemExit(f"{name}: {timed.json()}")
                settle(folder)
                if number:
                    times[name].append(timed.seconds)
                    print(f"  round {number} {name}: {timed.seconds:.2f} s "
                          f"(cpu {timed.cpu_seconds:.2f} s)", flush=True)  # fmt: skip
    return times


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        separator = argv.index("--")
        return child(argv[1], argv[separator + 1 :])
    parser = argparse.ArgumentParser(
        description="The CLI with one part of its work changed, against the unpatched CLI."
    )
    add = parser.add_argument
    add("--variants", nargs="+",
        default=["nohash", "inline", "double"],
        help=f"patches, '+' to combine: {', '.join(PATCHES)}")  # fmt: skip
    add("--files", type=int, default=2000, help="files (default 2000)")
    add("--size", type=int, default=64 * 1024, help="bytes per file (default 64 KiB)")
    add("--threads", type=int, default=4, help="download.threads (default 4)")
    add("--rounds", type=int, default=5, help="rounds (default 5)")
    add("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for variant in args.variants:
        unknown = [n for n in variant.split("+") if n not in PATCHES]
        if unknown:
            parser.error(f"unknown patch {unknown[0]!r}")
    print(f"bench_diagnostics: {machine_note()}; {args.files} x {args.size} B, "
          f"{args.threads} threads, {args.rounds} rounds", flush=True)  # fmt: skip
    with scratch() as tmp:
        times = measure(args, tmp)
    base, bare = times["base"], times["bare"]
    print("variant                         median s   vs unpatched CLI   vs bare script")
    for name, values in times.items():
        against_base = median([v / b for v, b in zip(values, base, strict=True)])
        against_bare = median([v / b for v, b in zip(values, bare, strict=True)])
        print(f"  {name:<30} {median(values):7.2f}   {against_base:10.2f}x   {against_bare:12.2f}x")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main(sys.argv[1:]))
