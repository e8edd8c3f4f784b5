"""The platform fallbacks one by one: signals without loop handlers, links without O_NOFOLLOW,
replaces refused while another program holds a file (Windows)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from test_storage import BODY, URL, Host

from slooh_async._exceptions import DownloadError
from slooh_async.api import RateLimiter, RetryPolicy
from slooh_async.cli._terminal import _escaping
from slooh_async.config import Settings
from slooh_async.engine import (
    DownloadRequest,
    Event,
    Fetcher,
    FileStarted,
    _partfile,
    download_client,
    journal_path,
    open_stop_signals,
    recover_journal,
    run_download,
    stop_requested,
)
from slooh_async.fake_server import FakeConfig, FakeSlooh, Faults
from slooh_async.media import (
    FileInUseError,
    _replace,
    replace_file,
    retry_in_use,
    write_atomically,
)
from slooh_async.organizer import meta_path, part_path
from slooh_async.tracker import ImageRow, Tracker

real_replace = os.replace


def refuse_replace(monkeypatch: pytest.MonkeyPatch, times: int, target: str = "") -> list[str]:
    """``os.replace`` refused (as Windows does for a file open elsewhere) the next ``times``
    times for targets whose name ends with ``target``; returns the refused targets."""
    refused: list[str] = []

    def replace(source: Any, dest: Any, **kwargs: Any) -> None:
        if len(refused) < times and os.fspath(dest).endswith(target):
            refused.append(os.fspath(dest))
            raise PermissionError(13, "The process cannot access the file", os.fspath(dest))
        real_replace(source, dest, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(_replace, "REPLACE_PAUSE", 0.001)
    return refused


# ---------------------------------------------------------------------- replace


def test_a_briefly_held_file_is_replaced_on_a_later_try(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two refusals, then the replace goes through: the new bytes are in place."""
    refused = refuse_replace(monkeypatch, 2)
    (tmp_path / "new").write_bytes(b"new")
    (tmp_path / "old").write_bytes(b"old")
    replace_file(tmp_path / "new", tmp_path / "old")
    assert len(refused) == 2
    assert (tmp_path / "old").read_bytes() == b"new" and not (tmp_path / "new").exists()


def test_a_file_held_for_good_names_the_file_and_the_likely_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the tries: FileInUseError naming the target; both files as they were."""
    refused = refuse_replace(monkeypatch, 100)
    (tmp_path / "new").write_bytes(b"new")
    (tmp_path / "old.csv").write_bytes(b"old")
    with pytest.raises(FileInUseError) as caught:
        replace_file(tmp_path / "new", tmp_path / "old.csv")
    assert str(caught.value) == (
        f"cannot replace {tmp_path / 'old.csv'}: access denied "
        "(is it open in another program?)"
    )
    assert len(refused) == _replace.REPLACE_TRIES
    assert (tmp_path / "old.csv").read_bytes() == b"old"
    assert (tmp_path / "new").read_bytes() == b"new"


def test_an_atomic_write_held_briefly_lands_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages, previews, exports and the config go through write_atomically: a target held
    open a moment is replaced on a later try, in text mode with the asked mode and newlines."""
    refused = refuse_replace(monkeypatch, 2, "page.csv")
    target = tmp_path / "page.csv"
    target.write_text("old", encoding="utf-8")
    count = write_atomically(
        target, lambda handle: handle.write("a,b\r\n"), encoding="utf-8", newline="", mode=0o640
    )
    assert count == 5 and len(refused) == 2
    assert target.read_bytes() == b"a,b\r\n"
    if os.name == "posix":
        assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.csv"]


@pytest.mark.parametrize("failure", ["write", "held"])
def test_a_failed_atomic_write_keeps_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """A write that raises (a full disk) or a target held for good: the old bytes stay, and
    no ``.index.html.*.tmp`` is left beside it (the gallery used to leave one)."""
    target = tmp_path / "index.html"
    target.write_bytes(b"old")

    def write(handle: Any) -> None:
        handle.write(b"half")
        if failure == "write":
            raise OSError(28, "No space left on device")

    if failure == "held":
        refuse_replace(monkeypatch, 100)
    with pytest.raises(OSError):
        write_atomically(target, write)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


@pytest.mark.anyio
async def test_retry_in_use_waits_between_tries_on_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The async form tries again after anyio sleeps, then gives up with FileInUseError."""
    refused = refuse_replace(monkeypatch, 1)
    (tmp_path / "a").write_bytes(b"a")

    async def move() -> None:
        os.replace(tmp_path / "a", tmp_path / "b")

    await retry_in_use(move, tmp_path / "b")
    assert len(refused) == 1 and (tmp_path / "b").read_bytes() == b"a"
    refuse_replace(monkeypatch, 100)
    (tmp_path / "a").write_bytes(b"again")
    with pytest.raises(FileInUseError, match="is it open in another program"):
        await retry_in_use(move, tmp_path / "b")


@pytest.fixture
async def fetcher(host: Host) -> AsyncIterator[Fetcher]:
    async with download_client(transport=httpx.MockTransport(host)) as http:
        yield Fetcher(http, RateLimiter(0), RetryPolicy.no_wait(3))


@pytest.fixture
def host() -> Host:
    return Host()


@pytest.mark.anyio
async def test_download_onto_a_held_file_fails_it_and_keeps_the_part(
    fetcher: Fetcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A destination held open: the file fails with the one-line reason, the complete .part
    stays; once released, a resume finishes it without fetching the body again."""
    dest = tmp_path / "a.png"
    dest.write_bytes(b"the old picture, open in a viewer")
    refuse_replace(monkeypatch, 1000, "a.png")
    with pytest.raises(DownloadError) as caught:
        await fetcher.fetch(URL, dest)
    assert str(caught.value) == (
        f"cannot replace {dest}: access denied (is it open in another program?)"
    )
    assert part_path(dest).read_bytes() == BODY and meta_path(dest).exists()
    assert dest.read_bytes() == b"the old picture, open in a viewer"
    monkeypatch.setattr(os, "replace", real_replace)
    result = await fetcher.fetch(URL, dest)
    assert dest.read_bytes() == BODY and not part_path(dest).exists()
    assert result.resumed_from == len(BODY)


# ---------------------------------------------------------------------- links


@pytest.mark.anyio
@pytest.mark.parametrize("nofollow", ["O_NOFOLLOW", "islink check"])
async def test_a_part_that_is_a_link_is_never_written_through(
    fetcher: Fetcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nofollow: str
) -> None:
    """A .part planted as a link to another file fails the download; the other file keeps
    its bytes, with O_NOFOLLOW and (Windows) without it."""
    if nofollow == "islink check":
        monkeypatch.setattr(_partfile, "_NOFOLLOW", 0)
        monkeypatch.setattr(_partfile, "_EXTRA_FLAGS", _partfile._EXTRA_FLAGS & ~os.O_NOFOLLOW)
    victim = tmp_path / "precious.txt"
    victim.write_bytes(b"keep me")
    dest = tmp_path / "a.png"
    part_path(dest).symlink_to(victim)
    meta_path(dest).write_text(json.dumps({"etag": '"abc"', "last_modified": None}))
    with pytest.raises(DownloadError, match="refusing to write through a link"):
        await fetcher.fetch(URL, dest)
    assert victim.read_bytes() == b"keep me"
    assert not dest.exists()


# ---------------------------------------------------------------------- signals


def no_loop_signal_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The running loop's add_signal_handler raises NotImplementedError, as on Windows."""

    def refuse(*args: Any) -> None:
        raise NotImplementedError

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "add_signal_handler", refuse)


@pytest.mark.anyio
@pytest.mark.parametrize("loop_handlers", [True, False])
async def test_stop_signals_arrive_with_and_without_loop_handlers(
    monkeypatch: pytest.MonkeyPatch, loop_handlers: bool
) -> None:
    """SIGTERM and SIGINT raised in the process come out of the stream in order; the
    handlers in place before are back afterwards."""
    if not loop_handlers:
        no_loop_signal_handlers(monkeypatch)
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    got: list[int] = []
    with open_stop_signals() as signals:
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGINT)
        async for signum in signals:
            got.append(signum)
            if len(got) == 2:
                break
    assert got == [signal.SIGTERM, signal.SIGINT]
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_a_synchronous_command_stops_on_the_first_signal_and_quits_on_the_second() -> None:
    """stop_requested: the flag turns on at the first signal, the second raises
    KeyboardInterrupt, and the previous handlers come back."""
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), stop_requested() as stop:
        assert not stop()
        signal.raise_signal(signal.SIGTERM)
        assert stop()
        signal.raise_signal(signal.SIGINT)
        pytest.fail("the second signal did not interrupt")
    assert signal.getsignal(signal.SIGTERM) == before


# ---------------------------------------------------------------------- streams


class _SeeksUntilUsed(io.BytesIO):
    """The bytes under a stream that was opened seekable and whose file no longer is (a
    terminal put where /dev/null was): tell() fails once ``fail`` is set."""

    fail = False

    def tell(self) -> int:
        if self.fail:
            raise OSError(29, "Illegal seek")
        return super().tell()


@pytest.mark.parametrize("tell_fails", [False, True])
def test_standard_streams_escape_what_their_encoding_lacks(tell_fails: bool) -> None:
    """An ASCII stream set up by the entry point writes accents and emoji as escapes, also
    when reconfiguring it is refused (a new text layer then does the escaping)."""
    raw = _SeeksUntilUsed()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    raw.fail = tell_fails
    escaping = _escaping(stream)
    escaping.write("\u00c9toiles \U0001f52d\n")
    escaping.flush()
    assert raw.getvalue() == b"\\xc9toiles \\U0001f52d\n"
    assert (escaping is stream) is not tell_fails


# ---------------------------------------------------------------------- reorganize


def test_the_run_after_a_hard_stop_points_the_tracker_and_removes_emptied_folders(
    tmp_path: Path,
) -> None:
    """A reorganization killed after moving a file (journal left behind): the next run
    records the file where it is and removes the folder the move emptied, not the others."""
    library = tmp_path / "library"
    old = library / "M42" / "Chile One" / "a.png"
    new = library / "Chile One" / "2026" / "M42" / "a.png"
    kept = library / "M31" / "b.png"
    for path in (old, kept):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"png")
    with Tracker.open(library / ".slooh" / "tracker.sqlite3", base_path=library) as tracker:
        tracker.record_batch([ImageRow(key="1", status="done", path=old, size=3)])
        journal_path(tracker).write_text(json.dumps([["1", str(old), str(new)]]))
        new.parent.mkdir(parents=True)
        os.rename(old, new)  # the move was done, its bookkeeping was not
        assert recover_journal(tracker) == 1
        record = tracker.get("1")
    assert record is not None and record.path == new
    assert not (library / "M42").exists()
    assert kept.read_bytes() == b"png" and not journal_path(tracker).exists()


# ---------------------------------------------------------------------- sessions


class CancelAtFirstFile:
    """An event sink that cancels the run as soon as a download starts."""

    def __init__(self, scope: anyio.CancelScope) -> None:
        self.scope = scope

    def emit(self, event: Event) -> None:
        if isinstance(event, FileStarted):
            self.scope.cancel()


@pytest.mark.anyio
async def test_a_run_cancelled_from_outside_ends_its_session_interrupted(tmp_path: Path) -> None:
    """Ctrl-C before the pipeline watches for it (the event loop cancels the run): the
    session ends 'interrupted', not 'failed'."""
    config = FakeConfig(pictures=6, seed=3, fits=False, file_size=40_000)
    with FakeSlooh(config).running() as server:
        server.set_faults(Faults(slow_bytes_per_s=20_000, scope="downloads"))
        settings = Settings.model_validate(
            {
                "slooh": {"base_url": server.base_url, "username": "demo", "password": "demo"},
                "download": {"rate_limit": 0},
                "folders": {"base_path": str(tmp_path / "lib")},
            }
        )
        base = settings.folders.base_path
        with Tracker.open(settings.tracker_path, base_path=base) as tracker:
            with anyio.CancelScope() as scope:
                sink = CancelAtFirstFile(scope)
                await run_download(settings, tracker, DownloadRequest(), events=sink)
            assert [s.status for s in tracker.sessions()] == ["interrupted"]
