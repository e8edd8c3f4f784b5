"""Shared plumbing of the bench scripts: a fake Slooh in its own process, configs, timed runs.

The fake server runs in a child process (``python bench/_harness.py serve <fake_server flags>``,
the same flags as ``python -m slooh_async.fake_server``) so that the client measured and the
server do not share a GIL. The child prints its URLs as one JSON line, then answers commands on
stdin, one per line, each with one JSON line on stdout:

- ``calls``: ``{endpoint: count}`` of API calls and ``{"download": n}`` for the file host;
- ``times WHAT``: the ``started`` monotonic times of every request to ``WHAT`` (an endpoint,
  or ``api`` / ``download`` for a whole side; ``time.monotonic`` is system-wide on Linux);
- ``faults``: ``{fault: count}`` of requests answered with a deliberate fault;
- ``clear``: forget the request log;
- ``quit`` (or end of input): stop serving and exit.

Everything else here is for the parent: an isolated environment for the ``slooh`` CLI (own
HOME, log file, a null keyring), a config file, and :func:`run_timed`, which runs a command and
returns its wall time and peak RSS (``ru_maxrss`` of that one child, from ``os.wait4``).
"""

from __future__ import annotations

import compileall
import functools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slooh_async.fake_server import FakeConfig

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PYTHON = sys.executable


def slooh_command() -> list[str]:
    """The ``slooh`` console script of this interpreter's environment (else ``-m``).

    The package's bytecode is written first: an editable install run with
    ``PYTHONDONTWRITEBYTECODE`` set would otherwise compile every module on every run
    (~0.1 s), which a user's installed copy never does.
    """
    _precompile()
    script = Path(PYTHON).parent / "slooh"
    return [str(script)] if script.exists() else [PYTHON, "-m", "slooh_async"]


@functools.cache
def _precompile() -> None:
    compileall.compile_dir(REPO / "slooh_async", quiet=1)


# --------------------------------------------------------------------------- the server child


def _serve(argv: list[str]) -> int:
    from slooh_async.fake_server import FakeSlooh, ServerSide
    from slooh_async.fake_server.__main__ import build_parser, config_from_args

    sides: dict[str, ServerSide] = {"api": "api", "download": "download"}
    config = config_from_args(build_parser().parse_args(argv))
    server = FakeSlooh(config)
    with server.running():
        _answer({"base_url": server.base_url, "download_base_url": server.download_base_url})
        for line in sys.stdin:
            command, _, arg = line.strip().partition(" ")
            if command == "calls":
                api = Counter(r.endpoint for r in server.calls(server="api"))
                api["download"] = len(server.calls(server="download"))
                _answer(dict(api))
            elif command == "times":
                side = sides.get(arg)
                records = server.calls(server=side) if side else server.calls(arg)
                _answer([r.started for r in records])
            elif command == "faults":
                _answer(dict(Counter(r.fault for r in server.request_log if r.fault)))
            elif command == "clear":
                server.clear_log()
                _answer("ok")
            elif command == "quit":
                break
            else:
                _answer({"error": f"unknown command {command!r}"})
    return 0


def _answer(value: object) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def server_config(args: Sequence[str]) -> FakeConfig:
    """The :class:`FakeConfig` the child builds from the same flags (for the catalog)."""
    from slooh_async.fake_server.__main__ import build_parser, config_from_args

    return config_from_args(build_parser().parse_args(list(args)))


class ServerProcess:
    """``with ServerProcess(["--pictures", "2000", "--no-fits"]) as srv:`` then ``srv.base_url``."""

    def __init__(self, args: Sequence[str]) -> None:
        self.args = ["--port", "0", "--download-port", "0", *args]
        self._proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.download_base_url = ""

    def __enter__(self) -> ServerProcess:
        if self._proc is None:
            self.start()
        if not self.base_url:
            self.wait_ready()
        return self

    def start(self) -> ServerProcess:
        """Spawn the child (it builds its catalog meanwhile); :meth:`wait_ready` waits for it."""
        self._proc = subprocess.Popen(
            [PYTHON, str(Path(__file__).resolve()), "serve", *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        return self

    def wait_ready(self) -> None:
        """Wait until the child serves; then its URLs are known."""
        urls = self._read()
        self.base_url, self.download_base_url = urls["base_url"], urls["download_base_url"]

    def __exit__(self, *exc_info: object) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            assert proc.stdin is not None
            proc.stdin.write("quit\n")
            proc.stdin.close()
            proc.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()  # our own child, by its handle
            proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()

    def _read(self) -> Any:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the fake server child ({' '.join(self.args)}) did not start")
        return json.loads(line)

    def _ask(self, command: str) -> Any:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        return self._read()

    def calls(self) -> Counter[str]:
        """API calls per endpoint, and ``download`` for file requests, since the last clear."""
        return Counter(self._ask("calls"))

    def times(self, endpoint: str) -> list[float]:
        """Monotonic start times of the requests to ``endpoint``."""
        return list(self._ask(f"times {endpoint}"))

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process used so far (Linux /proc)."""
        assert self._proc is not None
        try:
            fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def faults(self) -> Counter[str]:
        """Requests answered with a deliberate fault (``rate_limit``, ``429``...), by kind."""
        return Counter(self._ask("faults"))

    def clear(self) -> None:
        """Forget the request log."""
        self._ask("clear")


# --------------------------------------------------------------------------- the CLI side


def settle(folder: Path | None = None) -> None:
    """Remove ``folder`` (a finished run's output) and write back every dirty page (``sync``),
    so that no run pays for the previous run's files being flushed or discarded."""
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
    os.sync()


@contextmanager
def scratch(prefix: str = "slooh-bench-") -> Iterator[Path]:
    """A temporary folder (on the same disk as /tmp), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cli_env(home: Path, config: Path) -> dict[str, str]:
    """The environment of a ``slooh`` child: its own HOME and log file, no OS keyring."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLOOH_")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".state"),
        SLOOH_CONFIG=str(config),
        SLOOH_LOG_FILE=str(home / "slooh.log"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        COLUMNS="120",
    )
    return env


def write_config(path: Path, base_url: str, library: Path, **download: Any) -> Path:
    """A config file for ``slooh`` against ``base_url``: no rate limit unless asked."""
    settings = {"rate_limit": 0, "download_rate_limit": 0, "threads": 4, "batch_size": 50}
    settings.update(download)
    body = {
        "slooh": {"base_url": base_url, "username": "demo", "password": "demo"},
        "download": settings,
        "folders": {"base_path": str(library)},
        # the downloads are measured, not the gallery refreshed after them
        "gallery": {"auto": False},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2))
    return path


@dataclass(frozen=True)
class Timed:
    """A finished child: wall seconds (spawn to exit), peak RSS in MiB, exit code, output,
    its CPU seconds (user + system, all its threads) and the system part alone."""

    seconds: float
    peak_rss_mib: float
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0
    system_seconds: float = 0.0
    #: CPU time the hypervisor gave to other guests during the run, all CPUs (``/proc/stat``)
    steal_seconds: float = 0.0

    def json(self) -> Any:
        """The last stdout line that parses as JSON (``--json`` summaries)."""
        for line in reversed(self.stdout.strip().splitlines()):
            try:
                return json.loads(line)
            except ValueError:
                continue
        return json.loads(self.stdout)


def run_timed(
    command: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Timed:
    """Run ``command`` to its end: its wall time, CPU time and peak RSS.

    The peak RSS is the child's ``VmHWM`` (``/proc/<pid>/status``) polled every 20 ms: the
    ``ru_maxrss`` of ``os.wait4`` would also count the parent's RSS at spawn time, since
    Linux carries the pre-exec memory's high-water mark over ``exec``. Without ``/proc``, it
    falls back to ``ru_maxrss`` (an upper bound).
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        stolen = _steal_seconds()
        began = time.perf_counter()
        proc = subprocess.Popen(list(command), stdout=out, stderr=err, env=env, cwd=cwd)
        peak = [0]
        done = threading.Event()
        watcher = threading.Thread(target=_watch_hwm, args=(proc.pid, peak, done), daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - began
        stolen = _steal_seconds() - stolen
        done.set()
        watcher.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        rss_kib = peak[0] or usage.ru_maxrss
        return Timed(seconds, rss_kib / 1024, proc.returncode, out.read(), err.read(),
                     cpu, usage.ru_stime, stolen)  # fmt: skip


def _steal_seconds() -> float:
    """The machine's total steal time so far (0 where ``/proc/stat`` has none): on a shared
    VM it says how much of a slow run was the host's doing."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _watch_hwm(pid: int, peak: list[int], done: threading.Event) -> None:
    """Keep the highest ``VmHWM`` (KiB) of process ``pid`` in ``peak[0]`` until it exits."""
    path = f"/proc/{pid}/status"
    while not done.is_set():
        try:
            with open(path, encoding="ascii", errors="replace") as handle:
                text = handle.read()
        except OSError:
            return
        match = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
        if match is None:  # a zombie: its memory is gone
            return
        peak[0] = max(peak[0], int(match[1]))
        done.wait(0.02)


def check(timed: Timed, what: str) -> Timed:
    """Fail loudly when a measured command did not succeed."""
    if timed.returncode != 0:
        raise SystemExit(
            f"{what} failed (exit {timed.returncode}):\n{timed.stdout[-2000:]}\n"
            f"{timed.stderr[-4000:]}"
        )
    return timed


def median(values: Sequence[float]) -> float:
    """The median (the figure every ratio here is built from)."""
    return statistics.median(values)


def windows(times: Sequence[float], width: float = 60.0) -> int:
    """The most events in any ``width``-second window (closed on the left, open on the right)."""
    ordered = sorted(times)
    best = first = 0
    for last, when in enumerate(ordered):
        while when - ordered[first] >= width:
            first += 1
        best = max(best, last - first + 1)
    return best


@dataclass(frozen=True)
class Figure:
    """One reported figure, with the issue's target when it has one (``met`` None: none)."""

    name: str
    value: str
    target: str = ""
    met: bool | None = None


def save_figures(path: str | None, bench: str, figures: Sequence[Figure]) -> None:
    """Append the figures as JSON lines to ``path`` (run_all.py collects them)."""
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        for figure in figures:
            handle.write(json.dumps({"bench": bench, **figure.__dict__}) + "\n")


def print_figures(figures: Sequence[Figure]) -> None:
    """The figures as an aligned table."""
    for figure in figures:
        verdict = "" if figure.met is None else ("MET" if figure.met else "NOT MET")
        target = f"   [target {figure.target}: {verdict}]" if figure.target else ""
        print(f"  {figure.name}: {figure.value}{target}")


def full_windows(times: Sequence[float], width: float = 60.0) -> list[int]:
    """Events in each ``width``-second window that starts at an event and ends before the last
    one: the rate a limiter sustained, free of the run's ragged start and end."""
    ordered = sorted(times)
    counts = []
    last = 0
    for first, start in enumerate(ordered):
        if start + width > ordered[-1]:
            break
        while last < len(ordered) and ordered[last] < start + width:
            last += 1
        counts.append(last - first)
    return counts


def rate_figures(label: str, times: Sequence[float], limit: int, extra: str = "") -> list[Figure]:
    """Busiest 60 s window (<= limit) and the sustained rate (>= 95 % of it) of ``times``."""
    span = max(times) - min(times) if times else 0.0
    busiest = windows(times)
    full = full_windows(times)
    sustained = sum(full) / len(full) if full else float("nan")
    overall = (len(times) - 1) * 60 / span if span > 0 else float("nan")
    print(f"  {label}: {len(times)} requests in {span:.1f} s; busiest 60 s window {busiest}; "
          f"full windows {len(full)} (min {min(full, default=0)}, mean {sustained:.1f}); "
          f"overall {overall:.1f}/min{extra}", flush=True)  # fmt: skip
    return [
        Figure(f"{label}: busiest 60 s window", f"{busiest} requests ({span:.0f} s run{extra})",
               f"<= {limit}", busiest <= limit),
        Figure(f"{label}: sustained rate", f"{sustained:.1f}/min ({sustained / limit:.1%}; "
               f"mean of {len(full)} full 60 s windows, least {min(full, default=0)})",
               ">= 95%", sustained >= 0.95 * limit),
    ]  # fmt: skip


def machine_note() -> str:
    """One line about where the figures were taken."""
    import platform

    return (
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "serve":
    raise SystemExit(_serve(sys.argv[2:]))
