"""Issue 3: API-call efficiency (calls per 1,000 pictures) and rate-limit accuracy.

Part ``calls`` (counted by the fake server's request log, in its own process):

1. ``slooh download --dry-run --json`` on a new library: the full listing (pictures, the
   mission index, the FITS lists of missions that have FITS);
2. ``slooh download --json --quiet``: the real first download (same listing, then the files);
3. ``slooh download --json``: a re-run with nothing new (the no-op re-run);
4. the same dry run against a catalog without FITS: the spec's case, 2,000 pictures and
   batch_size 50 make exactly 40 picture-page calls plus login.

Figures are calls per endpoint, per 1,000 pictures, and against the ideal
(``ceil(pictures / batch_size)`` picture pages; at most 2 listing calls for the no-op re-run).

Part ``rate``: ``--rate`` calls per minute for ``--seconds``. ``--via client`` (default): four
tasks share one :class:`slooh_async.api.SloohClient` (``rate_limit=N``) and ask for one-picture
pages as fast as it lets them; ``--via cli``: ``slooh download --dry-run`` with
``download.rate_limit = N`` on a big catalog, stopped with SIGINT after ``--seconds``. From the
server's log of every API call: the most calls in any 60 s window (target <= N) and the
sustained rate, the mean count of the full 60 s windows that start at a call (target >= 95 %
of N). The server also enforces N per 60 s itself (``api_max_per_minute``) and counts any call
it had to refuse (it must refuse none).

Run ``.venv/bin/python bench/bench_api.py --help``.
"""

from __future__ import annotations

import argparse
import math
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from _harness import (
    Figure,
    ServerProcess,
    check,
    cli_env,
    machine_note,
    print_figures,
    rate_figures,
    run_timed,
    save_figures,
    scratch,
    slooh_command,
    write_config,
)

LISTING = ("getMyPictures", "getMissionImages", "getMissionFITS")
LOGIN = ("generateSessionToken", "login")


def describe(calls: Counter[str], pictures: int) -> str:
    """``40 getMyPictures + 20 getMissionImages + 1 login (30.5 per 1,000 pictures)``."""
    names = [name for name in LISTING if calls[name]]
    listed = " + ".join(f"{calls[name]} {name}" for name in names) or "no listing"
    total = listing_calls(calls) + calls["login"]
    return (f"{listed} + {calls['login']} login = {total * 1000 / pictures:.1f} "
            f"per 1,000 pictures")  # fmt: skip


def listing_calls(calls: Counter[str]) -> int:
    return sum(calls[name] for name in LISTING)


def run_cli(srv: ServerProcess, tmp: Path, library: Path, args: list[str],
            **download: int) -> tuple[Counter[str], dict[str, object], float]:  # fmt: skip
    """One ``slooh`` command; the API calls it made, its JSON summary, its wall time."""
    config = write_config(tmp / "config.json", srv.base_url, library, **download)
    srv.clear()
    timed = check(run_timed([*slooh_command(), *args], env=cli_env(tmp / "home", config)),
                  "slooh " + " ".join(args))  # fmt: skip
    calls = srv.calls()
    return calls, timed.json(), timed.seconds


def part_calls(args: argparse.Namespace, tmp: Path) -> list[Figure]:
    pictures, batch = args.pictures, args.batch_size
    pages = math.ceil(pictures / batch)
    figures: list[Figure] = []
    server_args = ["--pictures", str(pictures), "--file-size", "2048"]
    with ServerProcess(server_args) as srv:
        library = tmp / "library"
        steps = [
            ("full dry run", ["download", "--dry-run", "--json"]),
            ("first download", ["download", "--json", "--quiet"]),
            ("no-op re-run", ["download", "--json"]),
        ]
        for label, command in steps:
            calls, summary, seconds = run_cli(srv, tmp, library, command, batch_size=batch)
            print(f"  {label} ({pictures} pictures + FITS, {seconds:.1f} s): "
                  f"{describe(calls, pictures)}; {calls['download']} files", flush=True)
            logins = calls["login"]
            if label == "no-op re-run":
                listing = listing_calls(calls)
                figures.append(Figure(
                    f"{label}: listing calls (+ login)",
                    f"{listing}: {describe(calls, pictures)}",
                    "<= 2 listing + 1 login",
                    listing <= 2 and logins <= 1 and calls["download"] == 0,
                ))  # fmt: skip
            else:
                figures.append(Figure(
                    f"{label}: API calls",
                    describe(calls, pictures),
                    f"{pages} getMyPictures, 1 login",
                    calls["getMyPictures"] == pages and logins == 1,
                ))  # fmt: skip
            if label == "first download":
                figures.append(Figure("first download: files", f"{summary['downloaded']}"))
    with ServerProcess([*server_args, "--no-fits"]) as srv:
        dry_run = ["download", "--dry-run", "--json"]
        calls, _, seconds = run_cli(srv, tmp, tmp / "library-nofits", dry_run, batch_size=batch)
        print(f"  full dry run, no FITS ({seconds:.1f} s): {describe(calls, pictures)}", flush=True)
        figures.append(Figure(
            f"full dry run, no FITS, {pictures} pictures, batch {batch}: API calls",
            describe(calls, pictures),
            f"exactly {pages} getMyPictures + 1 login",
            calls["getMyPictures"] == pages and calls["login"] == 1,
        ))  # fmt: skip
    return figures


async def _hammer(base_url: str, rate: int, seconds: float) -> int:
    """Four tasks asking one-picture pages through one rate-limited client for ``seconds``."""
    import anyio

    from slooh_async.api import SloohClient

    done = 0

    async def ask(client: SloohClient, until: float) -> None:
        nonlocal done
        while time.monotonic() < until:
            await client.get_pictures(1, 1)
            done += 1

    async with SloohClient(base_url=base_url, username="demo", password="demo",
                           rate_limit=rate) as client:  # fmt: skip
        until = time.monotonic() + seconds
        with anyio.move_on_after(seconds + 5):
            async with anyio.create_task_group() as tg:
                for _ in range(4):
                    tg.start_soon(ask, client, until)
    return done


def part_rate(args: argparse.Namespace, tmp: Path) -> list[Figure]:
    import anyio

    rate, seconds = args.rate, args.seconds
    server_args = ["--pictures", str(args.rate_pictures), "--file-size", "2048",
                   "--faults", f"api_max_per_minute={rate}"]  # fmt: skip
    with ServerProcess(server_args) as srv:
        if args.via == "client":
            anyio.run(_hammer, srv.base_url, rate, seconds)
            how = "SloohClient"
        else:
            config = write_config(tmp / "rate.json", srv.base_url, tmp / "rate-lib",
                                  rate_limit=rate)  # fmt: skip
            proc = subprocess.Popen(
                [*slooh_command(), "download", "--dry-run", "--json"],
                env=cli_env(tmp / "home", config), stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                proc.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGINT)  # our own child: stop listing, exit 130
                proc.wait(timeout=30)
            how = "slooh CLI"
        times = srv.times("api")
        refused = srv.faults()["rate_limit"]
    label = f"API rate {rate}/min via {how}"
    return [
        *rate_figures(label, times, rate),
        Figure(f"{label}: calls the server refused as over {rate}/min", str(refused), "0",
               refused == 0),
    ]  # fmt: skip


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Issue 3: API calls per 1,000 pictures and rate-limit accuracy."
    )
    add = parser.add_argument
    add("--parts", default="calls,rate", help="calls,rate (default: both)")
    add("--pictures", type=int, default=2000, help="pictures in the catalog (default 2000)")
    add("--batch-size", type=int, default=50, help="download.batch_size (default 50)")
    add("--rate", type=int, default=120, help="API calls per minute (default 120)")
    add("--seconds", type=float, default=90, help="length of the rate run (default 90 s)")
    add("--via", choices=("client", "cli"), default="client", help="who calls (default client)")
    add("--rate-pictures", type=int, default=2000, help="catalog of the rate run (2000)")
    add("--json-out", help="append the figures as JSON lines to this file (run_all.py)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    print(f"bench_api: {machine_note()}", flush=True)
    figures: list[Figure] = []
    with scratch() as tmp:
        for part in filter(None, (p.strip() for p in args.parts.split(","))):
            if part == "calls":
                figures += part_calls(args, tmp)
            elif part == "rate":
                figures += part_rate(args, tmp)
            else:
                raise SystemExit(f"unknown part {part!r}")
    print("bench_api figures:")
    print_figures(figures)
    save_figures(args.json_out, "bench_api", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
