"""`slooh download` end to end: the CLI, the fake Slooh on loopback, real files on disk."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import Library, expected_digests, library_fixture, make_library
from test_config_support import finish

from slooh_async.fake_server import ExpiryMode, FakeConfig, FakeSlooh, Faults

KEYS = {
    "total_available",
    "already_downloaded",
    "skipped_existing",
    "queued",
    "downloaded",
    "failed",
    "total_bytes",
    "elapsed_seconds",
}


@pytest.fixture
def server() -> Iterator[FakeSlooh]:
    """A small catalog with clashes and hostile titles, FITS included."""
    with FakeSlooh(FakeConfig(pictures=60, seed=7, file_size=6000)).running() as srv:
        yield srv


library = library_fixture(batch_size=20)


def tracker_rows(library: Library, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(library.root / ".slooh" / "tracker.sqlite3") as db:
        return list(db.execute(query))


def test_first_run_downloads_everything_byte_for_byte(library: Library, server: FakeSlooh) -> None:
    """Every picture and FITS frame arrives with the server's exact bytes, once each."""
    code, summary = library.run_json("download")
    assert code == 0, summary
    assert KEYS <= summary.keys()
    expected = expected_digests(server)
    assert library.digests() == expected
    total = sum(expected.values())
    assert summary["downloaded"] == summary["queued"] == summary["total_available"] == total
    assert summary["failed"] == 0 and summary["total_bytes"] == sum(
        f.size for f in server.catalog.expected_files()
    )
    assert not library.parts()
    assert tracker_rows(library, "select count(*) from images where status='done'") == [(total,)]


def test_every_path_is_inside_the_library_and_portable(library: Library) -> None:
    """Hostile titles and clashing names still give distinct files inside the base folder."""
    assert library.run("download", "--quiet").exit_code == 0
    forbidden = set('<>:"|?*\\')
    for path in library.files():
        relative = path.relative_to(library.root)
        for part in relative.parts:
            assert not forbidden & set(part) and part not in {".", ".."}
            assert part == part.strip() and not part.endswith(".")


def test_second_run_downloads_nothing_with_two_listing_calls(
    library: Library, server: FakeSlooh
) -> None:
    """A re-run with nothing new makes one listing call (its first page is all known) and
    no FITS listing."""
    assert library.run("download", "--quiet").exit_code == 0
    before = library.digests()
    server.clear_log()
    code, summary = library.run_json("download")
    assert code == 0
    assert summary["downloaded"] == 0 and summary["queued"] == 0
    assert len(server.calls("getMyPictures")) == 1
    assert server.calls("getMissionFITS") == []
    assert server.calls(server=None) and not server.calls(server="download")
    assert library.digests() == before


def test_new_pictures_are_found_by_the_next_run(library: Library, server: FakeSlooh) -> None:
    """Pictures added at the top of the photoRoll (and their FITS) come with the next sync."""
    assert library.run("download", "--quiet").exit_code == 0
    before = len(server.catalog.expected_files())
    server.add_pictures(4)
    code, summary = library.run_json("download")
    assert code == 0
    assert library.digests() == expected_digests(server)
    assert summary["downloaded"] == len(server.catalog.expected_files()) - before


def test_faults_everywhere_still_deliver_every_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeSlooh
) -> None:
    """5xx, 429s, dropped connections and slow bodies: every file still arrives intact."""
    # 30% of answers fail: 10 tries make a lost file a one-in-a-hundred-thousand event
    library = make_library(tmp_path, monkeypatch, server, batch_size=20, max_retries=10)
    server.set_faults(
        Faults(
            error_rate=0.2,
            rate_429=0.1,
            retry_after=0,
            scope="both",
            retry_after_date_rate=0.0,
            drop_rate=0.2,
            slow_bytes_per_s=2_000_000,
        )
    )
    code, summary = library.run_json("download")
    assert code == 0, summary["failures"]
    assert library.digests() == expected_digests(server)
    assert not library.parts()


def test_range_off_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeSlooh
) -> None:
    """A host that ignores Range (always 200) with drops: files restart and complete."""
    library = make_library(tmp_path, monkeypatch, server, batch_size=20, max_retries=10)
    server.range_support = False
    server.set_faults(Faults(drop_rate=0.3, scope="downloads"))
    assert library.run("download", "--quiet").exit_code == 0
    assert library.digests() == expected_digests(server)


@pytest.mark.parametrize("mode", ["silent", "401"])
def test_session_expiry_mid_scan(library: Library, server: FakeSlooh, mode: ExpiryMode) -> None:
    """Sessions that expire every 3 calls (silently or with 401): all files, exactly once,
    and a new login only when a session has served its 3 calls."""
    server.set_faults(Faults(expire_after_calls=3, expiry_mode=mode))
    code, summary = library.run_json("download")
    assert code == 0, summary
    assert library.digests() == expected_digests(server)
    served = [
        record
        for record in server.calls(server="api")
        if record.endpoint not in ("generateSessionToken", "login") and record.fault == ""
    ]
    assert len(server.calls("login")) == math.ceil(len(served) / 3) > 1


def test_failed_files_are_recorded_and_retry_recovers_them(
    library: Library, server: FakeSlooh
) -> None:
    """Files the server fails on purpose: exit 1, recorded failed; `slooh retry` fetches them."""
    victims = list(server.catalog.expected_files())[:3]
    server.set_faults(Faults(fail_keys=frozenset(f.key for f in victims)))
    code, summary = library.run_json("download")
    assert code == 1
    assert summary["failed"] == 3
    assert {f["key"] for f in summary["failures"]} == {f.key for f in victims}
    assert tracker_rows(library, "select count(*) from images where status='failed'") == [(3,)]
    still, again = library.run_json("retry")
    assert still == 1 and again["failed"] == 3
    server.set_faults(Faults())
    code, summary = library.run_json("retry")
    assert code == 0 and summary["downloaded"] == 3 and summary["still_failing"] == []
    assert library.digests() == expected_digests(server)


def test_retry_reads_the_config_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeSlooh
) -> None:
    """`slooh retry` loads the settings once: a typo in the config file is warned about once,
    not before and again after "Retrying..."."""
    library = make_library(tmp_path, monkeypatch, server, thraeds=2)
    try:
        victim = server.catalog.photo_roll[0]
        server.set_faults(Faults(fail_keys=frozenset({victim.key})))
        assert library.run("download", "--quiet").exit_code == 1
        server.set_faults(Faults())
        result = library.run("retry")
        assert result.exit_code == 0, result.stderr
        assert "Retrying 1 failed file" in result.stderr
        assert result.stderr.count("download.thraeds") == 1, result.stderr
    finally:
        finish()


def test_a_failed_file_is_recorded_with_its_real_number_of_tries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeSlooh
) -> None:
    """With max_retries 2, a file the server always fails is tried 3 times and recorded with
    attempts 3 (not 1); `slooh retry` adds its own 3."""
    library = make_library(tmp_path, monkeypatch, server, max_retries=2, retry_delay=0)
    try:
        victim = server.catalog.photo_roll[0]
        server.set_faults(Faults(fail_keys=frozenset({victim.key})))
        code, summary = library.run_json("download")
        assert code == 1 and [f["key"] for f in summary["failures"]] == [victim.key]
        assert "gave up after 3 tries" in summary["failures"][0]["error"]
        assert len(server.calls(victim.path)) == 3
        query = f"select status, attempts from images where key = '{victim.key}'"
        assert tracker_rows(library, query) == [("failed", 3)]
        assert library.run_json("retry")[0] == 1
        assert tracker_rows(library, query) == [("failed", 6)]
    finally:
        finish()


def test_verify_finds_damage_and_download_repairs_it(library: Library, server: FakeSlooh) -> None:
    """verify spots a truncated and a deleted file; --fix plus download repairs both."""
    assert library.run("download", "--quiet").exit_code == 0
    files = library.files()
    truncated, deleted = files[0], files[1]
    truncated.write_bytes(truncated.read_bytes()[:100])
    deleted.unlink()
    code, report = library.run_json("verify")
    assert code == 1
    assert {Path(p["path"]) for p in report["problems"]} == {truncated, deleted}
    assert library.run("verify", "--fix").exit_code == 1
    code, summary = library.run_json("download")
    assert code == 0 and summary["downloaded"] == 2
    assert library.run("verify").exit_code == 0
    assert library.digests() == expected_digests(server)


def test_bad_credentials_exit_3_with_the_services_message(library: Library) -> None:
    """A refused login exits 3 and shows Slooh's own reason."""
    result = library.run("--config", str(library.config), "download")
    assert result.exit_code == 0
    env_result = library.run("download")
    assert env_result.exit_code == 0
    library.config.write_text(
        library.config.read_text().replace('"password": "demo"', '"password": "wrong"')
    )
    bad = library.run("download")
    assert bad.exit_code == 3
    assert "Invalid username or password" in bad.stderr
    assert "wrong" not in bad.stderr


def test_unreachable_service_exits_4(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    """A closed port is 'unreachable' (exit 4), after the configured retries."""
    monkeypatch.setenv("SLOOH_BASE_URL", "http://127.0.0.1:9")
    result = library.run("download")
    assert result.exit_code == 4
    assert "cannot reach" in result.stderr


def test_dry_run_writes_nothing(library: Library) -> None:
    """--dry-run lists what would be downloaded and where, and creates no file at all."""
    result = library.run("download", "--dry-run")
    assert result.exit_code == 0
    assert "Would download" in result.stderr  # stdout (a pipe here) has the files, one a line
    assert result.stdout.count("\n") == sum(expected_digests(library.server).values())
    assert not library.root.exists() or not any(library.root.rglob("*"))


def test_all_needs_confirmation_without_a_terminal(library: Library) -> None:
    """--all refuses without --yes when nobody can be asked; with --yes it fetches again."""
    assert library.run("download", "--quiet").exit_code == 0
    refused = library.run("download", "--all")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    code, summary = library.run_json("download", "--all", "--yes")
    assert code == 0 and summary["downloaded"] == summary["total_available"] > 0
    assert len(library.files()) == sum(expected_digests(library.server).values())


def test_filters_format_telescope_object_limit(library: Library, server: FakeSlooh) -> None:
    """--format fits / --telescope / --object / --limit download only what matches."""
    code, summary = library.run_json("download", "--format", "fits", "--limit", "5")
    assert code == 0 and summary["downloaded"] == 5
    assert all(p.suffix in {".fit", ".fits"} for p in library.files())
    telescope = server.catalog.photo_roll[0].telescope
    code, summary = library.run_json("download", "--telescope", telescope, "--no-fits")
    assert code == 0
    wanted = sum(1 for f in server.catalog.photo_roll if f.telescope == telescope)
    assert summary["downloaded"] + summary["already_downloaded"] == wanted


def test_mission_command(library: Library, server: FakeSlooh) -> None:
    """`slooh mission ID` fetches that mission's pictures and FITS frames only."""
    mission = next(m for m in server.catalog.missions if m.fits_available)
    expected = len(mission.pictures) + len(mission.fits_files)
    code, summary = library.run_json("mission", str(mission.mission_id))
    assert code == 0, summary
    assert summary["downloaded"] == expected == len(library.files())


def test_stats_after_download(library: Library, server: FakeSlooh) -> None:
    """stats --json reports what the library holds with the documented keys."""
    assert library.run("download", "--quiet").exit_code == 0
    code, stats = library.run_json("stats")
    assert code == 0
    total = sum(expected_digests(server).values())
    assert stats["total_images"] == total and stats["failed"] == 0 and stats["sessions"] == 1
    assert {
        "total_bytes",
        "last_download",
        "by_format",
        "by_telescope",
        "by_object",
    } <= stats.keys()
    assert sum(g["files"] for g in stats["by_format"].values()) == total


def test_second_process_is_refused(library: Library) -> None:
    """While one slooh holds the library, another is refused with a clear message (exit 2)."""
    from slooh_async.tracker import Tracker

    library.root.mkdir(parents=True)
    with Tracker.open(library.root / ".slooh" / "tracker.sqlite3", base_path=library.root):
        result = library.run("download")
    assert result.exit_code == 2
    assert "another slooh" in result.stderr


def test_downloads_start_before_the_listing_ends(library: Library, server: FakeSlooh) -> None:
    """Listing and downloading overlap: the first file is fetched before the last page is asked."""
    assert library.run("download", "--quiet").exit_code == 0
    first_download = min(r.started for r in server.calls(server="download"))
    last_listing = max(
        r.started
        for r in server.calls(server="api")
        if r.path.endswith(("getMyPictures", "getMissionFITS"))
    )
    assert first_download < last_listing


def test_console_entry_point_flushes_everything_before_it_leaves(
    library: Library, server: FakeSlooh, tmp_path: Path
) -> None:
    """The process skips interpreter teardown (os._exit): piped stdout still carries the whole
    JSON, the log file the run's last line, and the exit code is the command's (0, then 2
    for a usage error)."""
    import json
    import os
    import subprocess
    import sys

    log = tmp_path / "child.log"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env.update(SLOOH_CONFIG=str(library.config), SLOOH_LOG_FILE=str(log))

    def slooh(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "slooh_async", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    done = slooh("download", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["downloaded"] == len(expected_digests(server)) and KEYS <= summary.keys()
    lines = log.read_text().splitlines()
    assert any("session" in line and "completed" in line for line in lines), lines[-5:]

    unknown = slooh("download", "--no-such-flag")
    assert unknown.returncode == 2 and "--no-such-flag" in unknown.stderr


def test_listing_runs_ahead_of_slow_downloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next pages are listed and planned while the workers drain the small job stream
    (one worker, a stream of 2): by the third download, pages 1-3 have been asked for."""
    config = FakeConfig(pictures=30, seed=3, file_size=3000, fits=False)
    with FakeSlooh(config).running() as srv:
        srv.set_faults(Faults(slow_bytes_per_s=60_000, scope="downloads"))
        library = make_library(tmp_path, monkeypatch, srv, threads=1, batch_size=10)
        try:
            assert library.run("download", "--quiet").exit_code == 0
        finally:
            finish()
        downloads = sorted(r.started for r in srv.calls(server="download"))
        pages = [r.started for r in srv.calls("getMyPictures")]
    assert len(downloads) == 30
    assert sum(started < downloads[2] for started in pages) >= 3
