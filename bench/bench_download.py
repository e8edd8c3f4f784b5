"""Issue 4: the whole ``slooh download`` run against a bare httpx + asyncio script.

Cases (``--cases``, comma-separated; default all):

- ``small``: N files of 64 KiB (default 2,000, no FITS: listing is N/50 page calls), for each
  ``--threads`` value. Bare script (bench/bare_download.py, the same URLs taken from the
  fake server's Catalog, the same concurrency) and CLI (``slooh download --json --quiet`` into
  a fresh library, rate limits 0) alternate, ``--rounds`` pairs; both are timed as whole
  processes (spawn to exit), so both pay interpreter start-up. Target: median CLI/bare <= 1.5.
- ``fits``: the same with FITS frames on (more files, getMissionFITS listing); information.
- ``big``: 4 files of 256 MB; target CLI/bare <= 1.3 and the CLI's peak RSS < 150 MB
  (``ru_maxrss`` of that one process, from ``os.wait4``).
- ``rate``: ``download_rate_limit`` = ``--rate`` per minute for about ``--seconds``; from the
  fake server's request log: the most downloads in any 60 s window (target <= limit) and the
  sustained rate, the mean count of the full 60 s windows that start at a request (target
  >= 95 % of the limit; the overall (n - 1) * 60 / (last - first) is printed too).

The fake server runs in its own process (bench/_harness.py) so neither side shares its GIL.
Run ``.venv/bin/python bench/bench_download.py --help`` for every knob.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from _harness import (
    BENCH,
    PYTHON,
    Figure,
    ServerProcess,
    Timed,
    check,
    cli_env,
    machine_note,
    median,
    print_figures,
    rate_figures,
    run_timed,
    save_figures,
    scratch,
    server_config,
    settle,
    slooh_command,
    write_config,
)

MIB = 1024 * 1024


@dataclass
class Pair:
    """One round of a case: the bare script, the CLI, and maybe the organized bare script."""

    bare: Timed
    cli: Timed
    organized: Timed | None = None

    @property
    def ratio(self) -> float:
        return self.cli.seconds / self.bare.seconds


def catalog_urls(server_args: list[str], download_base_url: str) -> list[str]:
    """Every file a complete download holds, as URLs on the running server."""
    from slooh_async.fake_server import Catalog

    config = server_config(server_args)
    files = Catalog(config).expected_files(include_fits=config.fits)
    return [f"{download_base_url}{item.path}" for item in files]


def organized_lines(base_url: str) -> list[str]:
    """``URL<TAB>DEST/<the organizer's path>`` for every listed picture (no FITS): the bare
    script writing where slooh would, to separate the file-system layout's cost."""
    import anyio

    from slooh_async.api import Picture, SloohClient
    from slooh_async.config import FolderSettings
    from slooh_async.organizer import FileOrganizer

    async def listing() -> list[Picture]:
        async with SloohClient(base_url=base_url, username="demo", password="demo",
                               rate_limit=0) as client:  # fmt: skip
            return [picture async for picture in client.iter_pictures(50)]

    organizer = FileOrganizer(FolderSettings(base_path=Path("/library")))
    seen: set[str] = set()
    lines = []
    for number, picture in enumerate(anyio.run(listing)):
        relative = str(organizer.relative_path(picture))
        if relative in seen:  # a name clash: slooh would pick another name too
            relative = f"{relative}.{number}"
        seen.add(relative)
        lines.append(f"{picture.url}\tDEST/{relative}")
    return lines


def run_bare(tmp: Path, lines: list[str], threads: int, expected: int, tag: str) -> Timed:
    dest = tmp / f"bare-{tag}"
    dest.mkdir()
    urls_file = tmp / f"urls-{tag}.txt"
    urls_file.write_text("\n".join(line.replace("\tDEST/", f"\t{dest}/") for line in lines))
    try:
        command = [PYTHON, str(BENCH / "bare_download.py"), str(urls_file), str(dest), str(threads)]
        timed = check(run_timed(command), "bare script")
        got = sum(len(files) for _, _, files in os.walk(dest))
        if got != expected:
            raise SystemExit(f"bare script wrote {got} files, expected {expected}")
        return timed
    finally:
        settle(dest)


def run_cli(
    tmp: Path, srv: ServerProcess, threads: int, expected: int, tag: str,
    slooh: list[str] | None = None, **download: int | None,
) -> Timed:  # fmt: skip
    """``slooh download --json --quiet`` into a fresh library (``slooh``: another build's
    command, for an A/B; default: this one's)."""
    library = tmp / f"lib-{tag}"
    config = write_config(tmp / f"config-{tag}.json", srv.base_url, library, threads=threads,
                          **download)  # fmt: skip
    try:
        env = cli_env(tmp / "home", config)
        command = [*(slooh or slooh_command()), "download", "--json", "--quiet"]
        timed = check(run_timed(command, env=env), "slooh download")
        summary = timed.json()
        if summary["downloaded"] != expected or summary["failed"]:
            raise SystemExit(f"slooh downloaded {summary['downloaded']} of {expected}: {summary}")
        return timed
    finally:
        settle(library)


def compare(
    tmp: Path, server_args: list[str], threads: int, rounds: int, label: str,
    organized: bool = False,
) -> list[Pair]:  # fmt: skip
    """Alternate bare and CLI runs of one case (and the organized bare run); prints each."""
    pairs = []
    with ServerProcess(server_args) as srv:
        urls = catalog_urls(server_args, srv.download_base_url)
        laid_out = organized_lines(srv.base_url) if organized else []
        # warm-up (not counted): the page cache, .pyc files, the server's first connections
        run_bare(tmp, urls, threads, len(urls), "warm")
        run_cli(tmp, srv, threads, len(urls), "warm")
        for number in range(rounds):
            srv.clear()
            bare = run_bare(tmp, urls, threads, len(urls), str(number))
            cli = run_cli(tmp, srv, threads, len(urls), str(number))
            calls = srv.calls()
            extra = run_bare(tmp, laid_out, threads, len(laid_out), f"o{number}") if organized \
                else None  # fmt: skip
            pair = Pair(bare, cli, extra)
            pairs.append(pair)
            listing = calls["getMyPictures"] + calls["getMissionImages"] + calls["getMissionFITS"]
            also = f", organized bare {extra.seconds:.2f} s" if extra else ""
            print(
                f"  {label} threads={threads} round {number + 1}: bare {bare.seconds:6.2f} s, "
                f"cli {cli.seconds:6.2f} s (run {cli.json()['elapsed_seconds']:.2f} s), "
                f"ratio {pair.ratio:.2f}{also}; {len(urls)} files, {listing} listing calls, "
                f"RSS bare {bare.peak_rss_mib:.0f} MiB cli {cli.peak_rss_mib:.0f} MiB; "
                f"steal: bare {bare.steal_seconds:.1f} s cli {cli.steal_seconds:.1f} s",
                flush=True,
            )
    return pairs


def summarize(label: str, threads: int, pairs: list[Pair], target: float | None) -> list[Figure]:
    ratio = median([p.ratio for p in pairs])
    bare = median([p.bare.seconds for p in pairs])
    cli = median([p.cli.seconds for p in pairs])
    spread = f"{min(p.ratio for p in pairs):.2f}-{max(p.ratio for p in pairs):.2f}"
    value = f"{ratio:.2f}x (bare {bare:.2f} s, cli {cli:.2f} s, range {spread}, n={len(pairs)})"
    figures = [
        Figure(
            f"{label}, {threads} threads: cli/bare",
            value,
            f"<= {target}x" if target else "",
            (ratio <= target) if target else None,
        )
    ]
    laid_out = [p for p in pairs if p.organized is not None]
    if laid_out:
        layout = median([p.organized.seconds / p.bare.seconds for p in laid_out if p.organized])
        cli = median([p.cli.seconds / p.organized.seconds for p in laid_out if p.organized])
        figures.append(Figure(
            f"{label}, {threads} threads: bare writing slooh's folder layout / bare",
            f"{layout:.2f}x; cli / that organized bare {cli:.2f}x (information)",
        ))  # fmt: skip
    return figures


def case_small(args: argparse.Namespace, tmp: Path, fits: bool) -> list[Figure]:
    pictures = args.fits_pictures if fits else args.files
    server_args = ["--pictures", str(pictures), "--file-size", str(args.size)]
    if not fits:
        server_args.append("--no-fits")
    label = f"{pictures} pictures{' + FITS' if fits else ''} x {args.size // 1024} KiB"
    figures = []
    for threads in args.threads if not fits else args.threads[:1]:
        organized = not fits and not args.no_organized
        pairs = compare(tmp, server_args, threads, args.rounds, label, organized)
        figures += summarize(label, threads, pairs, None if fits else 1.5)
    return figures


def case_big(args: argparse.Namespace, tmp: Path) -> list[Figure]:
    size = args.big_size
    server_args = ["--pictures", str(args.big_files), "--no-fits", "--file-size", str(size),
                   "--size-jitter", "0"]  # fmt: skip
    label = f"{args.big_files} x {size // MIB} MiB"
    pairs = compare(tmp, server_args, args.big_threads, args.big_rounds, label)
    figures = summarize(label, args.big_threads, pairs, 1.3)
    rss = max(p.cli.peak_rss_mib for p in pairs)
    figures.append(
        Figure(
            f"{label}: cli peak RSS",
            f"{rss:.0f} MiB (bare {max(p.bare.peak_rss_mib for p in pairs):.0f} MiB)",
            "< 150 MB",
            rss * MIB < 150e6,
        )
    )
    return figures


def case_rate(args: argparse.Namespace, tmp: Path) -> list[Figure]:
    rate = args.rate
    files = max(rate, math.ceil(rate * args.seconds / 60))
    server_args = ["--pictures", str(files), "--no-fits", "--file-size", "4096"]
    with ServerProcess(server_args) as srv:
        timed = run_cli(tmp, srv, 4, files, "rate", download_rate_limit=rate)
        times = srv.times("download")
    return rate_figures(f"download rate {rate}/min", times, rate,
                        f"; process {timed.seconds:.0f} s")  # fmt: skip


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Issue 4: slooh download vs a bare httpx+asyncio script (ratios), "
        "peak RSS with big files, download rate-limit accuracy.",
    )
    add = parser.add_argument
    add("--cases", default="small,fits,big,rate", help="small,fits,big,rate (default: all)")
    add("--files", type=int, default=2000, help="pictures in the small case (default 2000)")
    add("--size", type=int, default=64 * 1024, help="bytes per file, small case (default 64 KiB)")
    add("--threads", type=int, nargs="+", default=[4, 8], help="concurrency values (4 8)")
    add("--rounds", type=int, default=5, help="bare/cli pairs per case (default 5)")
    add("--no-organized", action="store_true",
        help="skip the third run of each small round (bare script into slooh's folder layout)")
    add("--fits-pictures", type=int, default=1000, help="pictures in the FITS case (1000)")
    add("--big-files", type=int, default=4, help="files in the big case (default 4)")
    add("--big-size", type=int, default=256 * MIB, help="bytes per big file (256 MiB)")
    add("--big-threads", type=int, default=4, help="concurrency of the big case (4)")
    add("--big-rounds", type=int, default=3, help="pairs in the big case (default 3)")
    add("--rate", type=int, default=120, help="download_rate_limit per minute (default 120)")
    add("--seconds", type=float, default=150, help="length of the rate case (default 150 s)")
    add("--json-out", help="append the figures as JSON lines to this file (run_all.py)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    print(f"bench_download: {machine_note()}", flush=True)
    figures: list[Figure] = []
    with scratch() as tmp:
        for case in cases:
            if case == "small":
                figures += case_small(args, tmp, fits=False)
            elif case == "fits":
                figures += case_small(args, tmp, fits=True)
            elif case == "big":
                figures += case_big(args, tmp)
            elif case == "rate":
                figures += case_rate(args, tmp)
            else:
                raise SystemExit(f"unknown case {case!r}")
    print("bench_download figures (ratios: medians of per-round cli/bare pairs):")
    print_figures(figures)
    save_figures(args.json_out, "bench_download", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
