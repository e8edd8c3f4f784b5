"""Evidence for the changes proposed in docs/performance.md: the CLI with and without each one.

A proposal is tried as a monkeypatch applied in the ``slooh`` child process before the CLI
starts (``--child``), so it can be measured before anyone edits slooh_async/. Each round runs
the bare script (bench/bare_download.py), the unpatched CLI and every variant, in an order that
turns by one every round, each as a whole process against the same fake server (own process),
with a ``sync`` between runs; the figures are medians of the per-round ratios against the
unpatched CLI and against the bare script.

Variants (``--variants``, joined with ``+`` to combine):

- ``perworker``: one download ``httpx.AsyncClient`` (one connection) per worker task, so
  httpcore's per-request pool scan probes one idle connection (``getpeername`` + ``poll``)
  instead of all of them;
- ``overlap``: the write + hash of each buffered MiB runs in a worker thread while the next
  MiB is read (at most one write in flight per download) instead of stopping the download;
- ``fastplan``: ``sanitize_component`` returns plain-ASCII names unchanged (one regex instead
  of a Python call per character) and ``get_destination_path`` resolves the library and each
  folder once (plus an ``lstat`` of the file itself) instead of two ``resolve()`` a picture;
- diagnostics, not proposals: ``noprobe`` (httpcore's idle-connection probe skipped),
  ``nohash`` (no SHA-256 while streaming), ``inline`` (every ``to_thread`` call run on the
  event loop: no worker threads at all).

These patches reach into private code and may need updating when it changes; they are
experiments, not product code. Run ``.venv/bin/python bench/bench_proposals.py --help``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
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


def patch_perworker() -> None:
    import anyio
    import httpx

    from slooh_async import storage

    class PerTask:
        def __init__(self, shared: httpx.AsyncClient) -> None:
            self.shared = shared
            self.clients: dict[int, httpx.AsyncClient] = {}

        def stream(self, *args: Any, **kwargs: Any) -> Any:
            key = anyio.get_current_task().id
            client = self.clients.get(key)
            if client is None:
                client = self.clients[key] = httpx.AsyncClient(
                    timeout=self.shared.timeout,
                    headers=self.shared.headers,
                    follow_redirects=True,
                    limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                )
            return client.stream(*args, **kwargs)

    original = storage.Fetcher.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.http = PerTask(self.http)

    storage.Fetcher.__init__ = init  # type: ignore[method-assign]


def patch_overlap() -> None:
    import asyncio

    import anyio

    from slooh_async import storage

    original = storage.Fetcher._thread

    def write_data(part: Any, data: bytes) -> None:
        if part.handle is None:
            part._open()
        part.handle.write(data)
        if part.hasher is not None:
            part.hasher.update(data)
        part.written = part._offset_after_open + len(data)
        part._offset_after_open = part.written

    async def thread(self: Any, func: Callable[..., Any], *args: Any) -> Any:
        part = getattr(func, "__self__", None)
        pending = part.__dict__.get("_inflight") if part is not None else None
        if pending is not None:
            await pending.wait()  # every other step waits for the write in flight
        if getattr(func, "__name__", "") != "flush":
            return await original(self, func, *args)
        data = b"".join(part._buffer)
        part._buffer, part._buffered = [], 0
        done = anyio.Event()
        part._inflight = done

        async def write() -> None:
            try:
                await original(self, write_data, part, data)
            finally:
                part._inflight = None
                done.set()

        # the real change would start it in the pipeline's task group; keep a reference
        part._task = asyncio.get_running_loop().create_task(write())
        return None

    storage.Fetcher._thread = thread  # type: ignore[method-assign]


def patch_fastplan() -> None:
    from slooh_async.organizer import PathError, _layout, _sanitize

    slow = _sanitize.sanitize_component
    plain = re.compile(r"[ !#-)+-.0-9;=@-\[\]-{}~]+")  # printable ASCII but / \ : * ? " < > |

    def sanitize_component(
        text: str, *, fallback: str = "_", max_bytes: int | None = _sanitize.MAX_COMPONENT_BYTES
    ) -> str:
        if (
            plain.fullmatch(text)
            and "  " not in text
            and text[0] not in " ."
            and text[-1] not in " ."
            and (max_bytes is None or len(text) <= max_bytes)
            and not _sanitize._is_reserved(text)
        ):
            return text
        return slow(text, fallback=fallback, max_bytes=max_bytes)

    def get_destination_path(self: Any, picture: Any) -> Path:
        destination: Path = self.base_path.joinpath(*self.relative_path(picture).parts)
        cache = self.__dict__.setdefault("_resolved", {})
        base = cache.get(None) or cache.setdefault(None, self.base_path.resolve())
        parent = cache.get(destination.parent)
        if parent is None:
            parent = destination.parent.resolve()
            if len(cache) < 4096:
                cache[destination.parent] = parent
        resolved = destination.resolve() if destination.is_symlink() else parent / destination.name
        if resolved == base or not resolved.is_relative_to(base):
            raise PathError(f"{destination} resolves to {resolved}, outside {base}")
        return destination

    _layout.sanitize_component = sanitize_component
    _layout.FileOrganizer.get_destination_path = get_destination_path  # type: ignore[method-assign]


def patch_noprobe() -> None:
    from httpcore._async import http11

    def has_expired(self: Any) -> bool:
        return self._expire_at is not None and time.monotonic() > self._expire_at

    http11.AsyncHTTP11Connection.has_expired = has_expired  # type: ignore[method-assign]


def patch_nohash() -> None:
    from slooh_async import storage

    original = storage._PartFile.__init__

    def init(self: Any, dest: Path, algorithm: str | None) -> None:
        original(self, dest, None)

    storage._PartFile.__init__ = init  # type: ignore[method-assign]


def patch_inline() -> None:
    import anyio.to_thread

    async def run_sync(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]


PATCHES: dict[str, Callable[[], None]] = {
    "perworker": patch_perworker,
    "overlap": patch_overlap,
    "fastplan": patch_fastplan,
    "noprobe": patch_noprobe,
    "nohash": patch_nohash,
    "inline": patch_inline,
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
    parser = argparse.ArgumentParser(description="The CLI with each proposed change, measured.")
    add = parser.add_argument
    add("--variants", nargs="+",
        default=["perworker", "overlap", "fastplan", "perworker+overlap+fastplan"],
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
    print(f"bench_proposals: {machine_note()}; {args.files} x {args.size} B, "
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
