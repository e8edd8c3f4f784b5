"""A hostile service, end to end: the real CLI against the fake Slooh's hostile knobs on loopback.

Each test pins what the user gets when the service (or a file host, or a proxy) breaks the
contract: one bad answer never blocks the library, never corrupts a file, never leaks a secret.
The numbers in the docstrings are the items of the issue "A hostile service and a hostile disk".
"""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from e2e_support import Library, faults_off, library_fixture, make_library
from test_config_support import finish

from slooh_async.api import RetryPolicy
from slooh_async.config import Settings
from slooh_async.engine import DownloadRequest, Event, RunOptions, Waiting, run_download
from slooh_async.engine import _runner as runner
from slooh_async.fake_server import (
    HUGE_ID,
    CatalogFile,
    FakeConfig,
    FakeSlooh,
    Faults,
    second_version,
)
from slooh_async.tracker import Tracker


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlooh]:
    """Twelve small pictures, no FITS (every file is a photoRoll picture)."""
    config = FakeConfig(pictures=12, seed=5, file_size=3000, fits=False, hostile_titles=False)
    with FakeSlooh(config).running() as srv:
        yield srv


@pytest.fixture
def server(fake: FakeSlooh) -> Iterator[FakeSlooh]:
    """The module's server, faults off and an empty log before and after each test."""
    yield from faults_off(fake)


# A library on the fake server: quick retries, pages of 5.
library = library_fixture(batch_size=5, max_retries=1)


def rows(library: Library, query: str, *args: object) -> list[tuple[object, ...]]:
    """Rows of the library's tracker."""
    with sqlite3.connect(library.root / ".slooh" / "tracker.sqlite3") as db:
        return list(db.execute(query, args))


def digests(items: list[CatalogFile]) -> Counter[str]:
    """The bytes a library must hold for these files."""
    return Counter(item.digest() for item in items)


def one_line(text: str) -> str:
    """The only non-empty line of ``text`` (an error is one line, never a traceback)."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


# --------------------------------------------------------------------------- 1. malformed items


def test_malformed_items_fail_alone_and_the_rest_downloads(
    library: Library, server: FakeSlooh
) -> None:
    """1: a 40-digit id downloads (image_id NULL), bad URLs are recorded failed, the rest
    arrives, the summary counts them, exit 1, no traceback; the next run does the same."""
    kinds = frozenset({"huge_id", "bad_url", "bad_port", "odd_types"})
    server.set_faults(malformed_items=kinds)
    roll = server.catalog.photo_roll
    code, summary = library.run_json("download")
    assert code == 1, summary
    assert summary["failed"] == 2 and summary["downloaded"] == 10
    failures = {f["key"]: f["error"] for f in summary["failures"]}
    assert set(failures) == {str(roll[1].image_id), str(roll[2].image_id)}
    assert all("invalid download URL" in error for error in failures.values()), failures
    assert library.digests() == digests([roll[0], *roll[3:]])
    huge = rows(library, "select image_id, status from images where key = ?", str(HUGE_ID))
    assert huge == [(None, "done")]
    failed = rows(library, "select key, last_error from images where status = 'failed'")
    assert {key for key, _ in failed} == set(failures)
    assert all("\n" not in str(error) for _, error in failed)
    again = library.run("download")
    assert again.exit_code == 1
    assert again.stderr.count("invalid download URL") == 2
    assert "Traceback" not in again.stderr and "Traceback" not in again.stdout
    assert library.digests() == digests([roll[0], *roll[3:]])


# --------------------------------------------------------------------------- 9. part names


def flat_library(library: Library) -> None:
    """Every file straight in one folder, under its own file name."""
    settings = library.config.read_text().replace(
        '"folders": {', '"folders": {"template": "all", "filename_template": "{filename}", '
    )
    library.config.write_text(settings)


def test_a_listed_part_name_is_never_a_finished_name(library: Library, server: FakeSlooh) -> None:
    """9: a picture listed as `clash.png.part` beside `clash.png` is saved as `clash.png_part`;
    both files keep their own bytes."""
    flat_library(library)
    server.set_faults(malformed_items=frozenset({"part_name"}))
    roll = server.catalog.photo_roll
    code, summary = library.run_json("download")
    assert code == 0, summary
    folder = library.root / "all"
    assert (folder / f"{roll[1].filename}_part").read_bytes() == roll[0].body()
    assert (folder / roll[1].filename).read_bytes() == roll[1].body()
    assert not list(folder.glob("*.part")) and not list(folder.glob("*.meta"))
    assert library.digests() == digests(list(roll))


def test_a_finished_file_under_a_part_name_is_taken(library: Library, server: FakeSlooh) -> None:
    """9: a file an older library recorded under `x.png.part` is never used as x.png's partial
    download: x.png goes to `x (1).png`, the older file stays as it was."""
    flat_library(library)
    assert library.run("download", "--quiet").exit_code == 0
    roll = server.catalog.photo_roll
    folder = library.root / "all"
    older, newer = roll[0], roll[1]
    part_named = folder / f"{newer.filename}.part"
    (folder / older.filename).rename(part_named)
    (folder / newer.filename).unlink()
    with sqlite3.connect(library.root / ".slooh" / "tracker.sqlite3") as db:
        moved = (f"all/{part_named.name}", older.key)
        db.execute("update images set path = ? where key = ?", moved)
        db.execute("delete from images where key = ?", (newer.key,))
    code, summary = library.run_json("download", "--full-scan")
    assert code == 0 and summary["downloaded"] == 1, summary
    assert part_named.read_bytes() == older.body()
    numbered = folder / f"{Path(newer.filename).stem} (1){Path(newer.filename).suffix}"
    assert numbered.read_bytes() == newer.body()
    assert rows(library, "select path from images where key = ?", newer.key) == [
        (f"all/{numbered.name}",)
    ]


# --------------------------------------------------------------------------- 2. endless pages


@pytest.mark.parametrize("total", ["", "missing", "1000000000"])
def test_a_page_that_repeats_ends_the_listing_with_a_warning(
    library: Library, server: FakeSlooh, total: str
) -> None:
    """2: a service that ignores paging (totalCount real, missing or 10^9) is asked twice, not
    forever: the first page's files download, a warning names the reason, the listing counts
    as incomplete (the next run lists everything again)."""
    server.set_faults(repeat_pages=True, total_count=total)
    result = library.run("download")
    assert result.exit_code == 0, result.stderr
    assert len(server.calls("getMyPictures")) == 2
    warning = [line for line in result.stderr.splitlines() if "listing incomplete" in line]
    assert len(warning) == 1 and "brought nothing new" in warning[0], result.stderr
    assert library.digests() == digests(list(server.catalog.photo_roll[:5]))
    assert rows(library, "select value from library_state where name = 'needs_full_scan'") == [
        ("1",)
    ]
    server.set_faults(Faults())
    code, summary = library.run_json("download")
    assert code == 0 and summary["downloaded"] == 7 and summary["warnings"] == []
    assert library.digests() == digests(list(server.catalog.photo_roll))


def test_json_summary_carries_the_listing_warning(library: Library, server: FakeSlooh) -> None:
    """2: --json has the reason in `warnings`."""
    server.set_faults(repeat_pages=True)
    code, summary = library.run_json("download")
    assert code == 0
    assert len(summary["warnings"]) == 1 and "brought nothing new" in summary["warnings"][0]


# --------------------------------------------------------------------------- 14. list shapes


@pytest.mark.parametrize("shape", ["null", "object", "string"])
def test_an_image_list_of_the_wrong_shape_exits_4(
    library: Library, server: FakeSlooh, shape: str
) -> None:
    """14: imageList null, an object or a string beside totalCount 12: exit 4 with one line
    saying the answer did not match the contract; nothing is written as done."""
    server.set_faults(image_list=shape)
    result = library.run("download")
    assert result.exit_code == 4
    line = one_line(result.stderr)
    assert "did not match the contract" in line and "totalCount 12" in line, line
    assert library.files() == []
    assert rows(library, "select count(*) from images") == [(0,)]


# --------------------------------------------------------------------------- 5. redirects


def test_a_login_redirected_to_another_host_is_not_followed(
    library: Library, server: FakeSlooh
) -> None:
    """5: a 307 on the login to another origin: exit 4, one line naming it; the password and
    the session cookie never reach the other host."""
    server.set_faults(api_redirect=server.download_base_url, redirect_paths=frozenset({"login"}))
    result = library.run("download")
    assert result.exit_code == 4
    line = one_line(result.stderr)
    assert "redirected the call to http://127.0.0.1" in line and "not followed" in line, line
    assert server.config.password not in result.stderr + result.stdout
    assert server.calls(server="download") == []
    assert library.files() == []


def test_a_redirect_on_the_services_own_origin_is_followed(
    library: Library, server: FakeSlooh
) -> None:
    """5: a 307/308 to the service's own origin is followed, body and all: the run works."""
    server.set_faults(api_redirect=server.base_url, redirect_status=308)
    code, summary = library.run_json("download")
    assert code == 0 and summary["downloaded"] == 12, summary
    assert {r.fault for r in server.calls("login")} == {"redirect", ""}


# --------------------------------------------------------------------------- 11. deep JSON


def test_deeply_nested_json_exits_4_with_one_line(library: Library, server: FakeSlooh) -> None:
    """11: an answer nested 100,000 deep: exit 4, "the service's answer could not be read"."""
    server.set_faults(deep_json=True)
    result = library.run("download")
    assert result.exit_code == 4
    line = one_line(result.stderr)
    assert "the service's answer could not be read" in line, line
    assert library.files() == []


# --------------------------------------------------------------------------- 3. HTML bodies


@pytest.mark.parametrize("content_type", ["text/html", "image/png"])
def test_an_html_page_is_never_kept_as_the_image(
    library: Library, server: FakeSlooh, content_type: str
) -> None:
    """3: a 200 HTML page (plain, or disguised as image/png) is retried, then recorded failed
    with a one-line reason and no file; a plain re-run and a --full-scan fetch it again, and
    once the host answers right the real bytes arrive."""
    victim = server.catalog.photo_roll[3]
    server.set_faults(html_keys=frozenset({victim.key}), html_type=content_type)
    code, summary = library.run_json("download")
    assert code == 1 and summary["failed"] == 1, summary
    error = summary["failures"][0]["error"]
    assert ("text/html" in error) if content_type == "text/html" else ("HTML" in error), error
    assert victim.digest() not in library.digests() and not library.parts()
    assert rows(library, "select status from images where key = ?", victim.key) == [("failed",)]
    downloads = len(server.calls(victim.filename))
    assert downloads == 2  # max_retries 1: two tries
    assert library.run_json("download")[0] == 1
    assert library.run_json("download", "--full-scan")[0] == 1
    assert len(server.calls(victim.filename)) == 3 * downloads
    server.set_faults(Faults())
    code, again = library.run_json("retry")
    assert code == 0 and again["downloaded"] == 1
    assert library.digests() == digests(list(server.catalog.photo_roll))


# --------------------------------------------------------------------------- 4. versions


@pytest.mark.parametrize("ignore_if_range", [False, True])
def test_a_file_that_changed_between_attempts_is_never_spliced(
    library: Library, server: FakeSlooh, ignore_if_range: bool
) -> None:
    """4: attempt 1 gets version 1 and drops half way; the host then has version 2. The resume
    sends If-Range; whether the host answers 200 (honours it) or a 206 of version 2 (ignores
    it), the file on disk is exactly version 2, never half of each."""
    victim = server.catalog.photo_roll[0]
    server.set_faults(changed_keys=frozenset({victim.key}), ignore_if_range=ignore_if_range)
    code, summary = library.run_json("download")
    assert code == 0, summary
    newer = second_version(victim)
    on_disk = [path for path in library.files() if path.name.endswith(victim.filename)]
    assert len(on_disk) == 1 and on_disk[0].read_bytes() == newer.body()
    tries = server.calls(victim.filename)
    assert tries[1].range is not None  # the second try resumed, with If-Range
    assert rows(library, "select hash from images where key = ?", victim.key) == [(newer.digest(),)]


# --------------------------------------------------------------------------- 6. planted parts


def forget_one(library: Library, item: CatalogFile) -> Path:
    """Delete a downloaded file and mark it failed: the next run downloads it again."""
    (stored,) = rows(library, "select path from images where key = ?", item.key)[0]
    path = library.root / str(stored)
    path.unlink()
    with sqlite3.connect(library.root / ".slooh" / "tracker.sqlite3") as db:
        db.execute("update images set status = 'failed' where key = ?", (item.key,))
    return path


@pytest.mark.parametrize("planted", ["part link", "meta link", "part fifo"])
def test_a_planted_part_is_never_written_through(
    library: Library, server: FakeSlooh, tmp_path: Path, planted: str
) -> None:
    """6: a `.part` (or `.part.meta`) that is a link to a file outside the library, or a FIFO:
    the file outside keeps its bytes, nothing hangs, that file is recorded failed with one line
    (exit 1); the rest of the library is untouched."""
    if planted == "part fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    assert library.run("download", "--quiet").exit_code == 0
    victim = server.catalog.photo_roll[2]
    dest = forget_one(library, victim)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not yours")
    suffix = ".part.meta" if planted == "meta link" else ".part"
    trap = dest.with_name(dest.name + suffix)
    if planted == "part fifo":
        os.mkfifo(trap)
    else:
        trap.symlink_to(outside)
    code, summary = library.run_json("download")
    assert code == 1, summary
    assert [f["key"] for f in summary["failures"]] == [victim.key]
    assert "link or into something that is not a file" in summary["failures"][0]["error"]
    assert outside.read_bytes() == b"not yours"
    assert not dest.exists() and trap.is_symlink() == (planted != "part fifo")
    query = "select status, last_error from images where key = ?"
    ((status, error),) = rows(library, query, victim.key)
    assert status == "failed" and "refusing to write through a link" in str(error)
    assert library.digests() == digests([f for f in server.catalog.photo_roll if f != victim])


# --------------------------------------------------------------------------- 7. Retry-After


@pytest.mark.parametrize("status", [503, 429])
def test_a_huge_retry_after_is_capped_and_a_503_pauses_only_its_file(
    library: Library, server: FakeSlooh, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    """7: `Retry-After: 99999999` on one file is capped (here to 0.4 s; 120 s by default); a
    503 delays only that file (the others download meanwhile), a 429 pauses every request. The
    file is recorded failed after its tries, exit 1, one line per failure."""
    monkeypatch.setattr(runner, "RetryPolicy", functools.partial(RetryPolicy, max_retry_after=0.4))
    victim = server.catalog.photo_roll[0]
    server.set_faults(busy_keys=frozenset({victim.key}), busy_status=status, retry_after=99999999)
    code, summary = library.run_json("download", "--threads", "2")
    assert code == 1 and summary["downloaded"] == 11, summary
    assert f"HTTP {status}" in summary["failures"][0]["error"]
    first, retry = server.calls(victim.filename)
    assert 0.35 < retry.started - first.started < 5
    others = [r.started for r in server.calls(server="download") if r.endpoint != victim.filename]
    meanwhile = [t for t in others if first.started + first.duration < t < first.started + 0.35]
    if status == 503:
        assert len(meanwhile) >= 3, "unrelated downloads waited for one file's 503"
    else:
        assert len(meanwhile) <= 1, "a 429 did not pause the other requests"
    assert rows(library, "select status from images where key = ?", victim.key) == [("failed",)]


@pytest.mark.anyio
@pytest.mark.parametrize(("status", "scope"), [(503, "one"), (429, "all")])
async def test_server_waits_are_told_with_their_scope(
    server: FakeSlooh, tmp_path: Path, status: int, scope: Literal["one", "all"]
) -> None:
    """7: the engine tells the display what it waits for: a 503's capped Retry-After as a
    wait of that file ("one"), a 429's as a wait of every request ("all")."""
    victim = server.catalog.photo_roll[0]
    server.set_faults(busy_keys=frozenset({victim.key}), busy_status=status, retry_after=99999999)
    settings = Settings.model_validate(
        {
            "slooh": {"base_url": server.base_url, "username": "demo", "password": "demo"},
            "download": {"rate_limit": 0, "max_retries": 1},
            "folders": {"base_path": str(tmp_path / "lib")},
        }
    )
    events: list[Event] = []
    retry = RetryPolicy(max_retries=1, base_delay=0.0, max_retry_after=0.2)
    with Tracker.open(settings.tracker_path, base_path=settings.folders.base_path) as tracker:
        summary = await run_download(
            settings,
            tracker,
            DownloadRequest(limit=1),
            events=Recorder(events),
            options=RunOptions(retry=retry),
        )
    assert summary.failed == 1
    assert [e for e in events if isinstance(e, Waiting)] == [Waiting("server", 0.2, scope)]


class Recorder:
    """An event sink that keeps every event."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events

    def emit(self, event: Event) -> None:
        self.events.append(event)


def test_retry_after_is_capped_at_two_minutes() -> None:
    """7: the default policy honours Retry-After up to 120 s, never 99999999 s."""
    assert RetryPolicy().delay(0, 99999999.0) == 120.0
    assert RetryPolicy().delay(0, 30.0) == 30.0


# --------------------------------------------------------------------------- 8. trickles


def test_a_trickling_body_is_abandoned_then_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeSlooh
) -> None:
    """8: a body trickling ~200 bytes a second with timeout 1 s and min_speed 1024 B/s: each try
    is abandoned after about a second (not left to run), the file is recorded failed with the
    reason, its part kept; once the host is fast, `slooh retry` resumes it to the right bytes."""
    library = make_library(tmp_path, monkeypatch, server, max_retries=1, timeout=1, min_speed=1024)
    server.set_faults(slow_bytes_per_s=200)
    started = time.monotonic()
    code, summary = library.run_json("download", "--limit", "1")
    assert time.monotonic() - started < 8
    assert code == 1 and summary["failed"] == 1, summary
    assert "below download.min_speed 1024 B/s" in summary["failures"][0]["error"], summary
    key = server.catalog.photo_roll[0].key
    assert rows(library, "select status, attempts from images where key = ?", key) == [
        ("failed", 2)
    ]
    (part,) = library.parts()
    assert 0 < part.stat().st_size < server.catalog.photo_roll[0].size
    server.set_faults(Faults())
    code, again = library.run_json("retry")
    assert code == 0 and again["downloaded"] == 1
    assert server.calls(server.catalog.photo_roll[0].filename)[-1].range is not None
    assert library.digests() == digests([server.catalog.photo_roll[0]])
    finish()
