"""``python -m slooh_async.fake_server``: serve the fake Slooh until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from ._config import FakeConfig
from ._faults import Faults
from ._runner import FakeSlooh

__all__ = ["build_parser", "config_from_args", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The command line (every knob of :class:`FakeConfig`)."""
    parser = argparse.ArgumentParser(
        prog="python -m slooh_async.fake_server",
        description="Serve a fake Slooh API and download host (for slooh-async tests and demos).",
        epilog="Faults: error_rate, rate_429, scope (api|downloads|both), retry_after, "
        "retry_after_date_rate, drop_rate, slow_bytes_per_s, expire_after_calls, "
        "expire_after_seconds, expiry_mode (silent|401), bad_credentials, "
        "fail_keys, fail_endpoints (names joined by '+'), api_max_per_minute; a hostile "
        "service: malformed_items, repeat_pages, total_count, image_list, deep_json, "
        "api_redirect, redirect_paths, redirect_status, html_keys, html_type, busy_keys, "
        "busy_status, changed_keys, ignore_if_range. See docs/fake-server.md.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    add("--port", type=int, default=8765, help="API port (default 8765; 0 = any free port)")
    add("--download-port", type=int, default=None, help="download host port (default: port + 1)")
    add("--pictures", type=int, default=300, help="pictures in the photoRoll (default 300)")
    add("--seed", type=int, default=1, help="catalog seed: the same seed, the same catalog")
    add("--file-size", type=int, default=64 * 1024, help="bytes per file (default 65536)")
    add("--png-size", type=int, default=None, help="bytes per PNG (default: --file-size)")
    add("--jpeg-size", type=int, default=None, help="bytes per JPEG (default: --file-size)")
    add("--fits-size", type=int, default=None, help="bytes per FITS (default: --file-size)")
    add(
        "--size-jitter",
        type=float,
        default=0.2,
        help="PNG/JPEG size spread (fraction, default 0.2)",
    )
    add(
        "--sizes-file",
        default=None,
        help='JSON {"PNG": [sizes...], "FITS": [...]}: the n-th file of a format, the n-th size',
    )
    add("--latency", type=float, default=0.0, help="seconds before every answer (a far host)")
    add("--no-fits", action="store_true", help="missions without FITS frames")
    add("--no-clashes", action="store_true", help="no duplicate file names across missions")
    add("--no-hostile-titles", action="store_true", help="only real titles")
    add("--no-range", action="store_true", help="the download host ignores Range (always 200)")
    add("--username", default="demo", help="the account's user name (default demo)")
    add("--password", default="demo", help="the account's password (default demo)")
    add("--faults", default="", help="comma-separated knobs, e.g. error_rate=0.2,drop_rate=0.1")
    return parser


def config_from_args(args: argparse.Namespace) -> FakeConfig:
    """The config a parsed command line asks for."""
    download_port = args.download_port
    if download_port is None:
        download_port = args.port + 1 if args.port else 0
    return FakeConfig(
        seed=args.seed, pictures=args.pictures, file_size=args.file_size,
        png_size=args.png_size, jpeg_size=args.jpeg_size, fits_size=args.fits_size,
        size_jitter=args.size_jitter, fits=not args.no_fits, clashes=not args.no_clashes,
        hostile_titles=not args.no_hostile_titles, range_support=not args.no_range,
        username=args.username, password=args.password, host=args.host, port=args.port,
        download_port=download_port, faults=Faults.parse(args.faults),
        sizes=_sizes(args.sizes_file), latency=args.latency,
    )  # fmt: skip


def _sizes(path: str | None) -> tuple[tuple[str, tuple[int, ...]], ...]:
    if not path:
        return ()
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    return tuple((name.upper(), tuple(int(size) for size in sizes)) for name, sizes in data.items())


def main(argv: Sequence[str] | None = None) -> int:
    """Run until interrupted; prints the URLs and the credentials."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    stop = _stop_on_signals()
    server = FakeSlooh(config)
    with server.running():
        _print_banner(server, config)
        while not stop.wait(0.5):
            pass
        sys.stdout.write("Stopping.\n")
    return 0


def _stop_on_signals() -> threading.Event:
    """An event set by Ctrl-C (SIGINT) or SIGTERM, even where SIGINT was ignored."""
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    return stop


def _print_banner(server: FakeSlooh, config: FakeConfig) -> None:
    catalog = server.catalog
    lines = [
        f"Fake Slooh API:     {server.base_url}",
        f"Download host:      {server.download_base_url}",
        f"Credentials:        {config.username} / {config.password}",
        f"Catalog:            {len(catalog.photo_roll)} pictures, "
        f"{len(catalog.fits_files)} FITS, seed {config.seed}",
        f"Faults:             {_describe(config.faults)}",
        "Press Ctrl-C to stop.",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def _describe(faults: Faults) -> str:
    """The knobs that differ from the defaults, as ``--faults`` would take them."""
    defaults = vars(Faults())
    changed = {
        name: "+".join(sorted(value)) if isinstance(value, frozenset) else value
        for name, value in vars(faults).items()
        if value != defaults[name]
    }
    return ", ".join(f"{name}={value}" for name, value in changed.items()) or "none"


if __name__ == "__main__":
    sys.exit(main())
