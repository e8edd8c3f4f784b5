"""What scripts and pipes get: plain lines, --json documents, --json-lines events, --quiet.

Through the real CLI against the fake Slooh on loopback; stdout here is not a terminal, as in
``slooh verify | grep NAME``.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Library, expected_digests, library_fixture

from slooh_async.cli._report import RETRY_KEYS, RUN_KEYS
from slooh_async.engine import RunSummary
from slooh_async.fake_server import FakeConfig, FakeSlooh

#: every --json document has these two on top of its command's keys
ALWAYS = {"error", "exit_code"}
LOCAL_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


@pytest.fixture
def server() -> Iterator[FakeSlooh]:
    """20 pictures and their FITS; two files of one server name land in one folder."""
    with FakeSlooh(FakeConfig(pictures=20, seed=1, file_size=3000)).running() as srv:
        yield srv


library = library_fixture()


def relative_files(library: Library) -> set[str]:
    return {str(p.relative_to(library.root)) for p in library.files()}


def rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()]


def sessions(library: Library) -> list[tuple[Any, ...]]:
    with sqlite3.connect(library.root / ".slooh" / "tracker.sqlite3") as db:
        return list(db.execute("select command, status from sessions"))


# --------------------------------------------------------------------------- item 1: pipes


def test_dry_run_through_a_pipe_lists_each_file_where_it_will_go(library: Library) -> None:
    """`download --dry-run | cut -f1` gives the very paths the download then creates."""
    result = library.run("download", "--dry-run")
    assert result.exit_code == 0, result.output
    planned = rows(result.stdout)
    assert all(len(row) == 3 for row in planned)
    assert "Would download" in result.stderr and "rate limit" not in result.stdout
    assert f"no rate limit: {len(planned)} files" in result.stderr  # rate_limit 0 here
    assert library.run("download", "--quiet").exit_code == 0
    assert {row[0] for row in planned} == relative_files(library)
    assert len(planned) == len(relative_files(library))


def test_verify_through_a_pipe_prints_one_line_per_file_with_whole_paths(
    library: Library,
) -> None:
    """Two damaged files are two lines (problems joined), paths with spaces unbroken."""
    assert library.run("download", "--quiet").exit_code == 0
    truncated, deleted = library.files()[0], library.files()[1]
    truncated.write_bytes(truncated.read_bytes()[:100])  # wrong size and a cut image: 2 problems
    deleted.unlink()
    result = library.run("verify")
    assert result.exit_code == 1
    lines = rows(result.stdout)
    assert sorted(row[0] for row in lines) == sorted([str(truncated), str(deleted)])
    assert " " in str(truncated)  # "Canary Two_..." and friends: grep finds them whole
    [cut] = [row for row in lines if row[0] == str(truncated)]
    assert len(cut) == 2 and "; " in cut[1]
    assert "2 files with problems, of" in result.stderr
    code, report = library.run_json("verify")
    assert code == 1 and report["files_with_problems"] == 2 and len(report["problems"]) >= 3


def test_config_show_and_stats_through_a_pipe_are_tab_separated_lines(library: Library) -> None:
    """`config show | grep KEY` and `stats | grep session`: one item a line; times local,
    to the second."""
    shown = rows(library.run("config", "show").stdout)
    assert ["download.threads", "4", str(library.config)] in shown
    assert library.run("download", "--quiet").exit_code == 0
    result = library.run("stats")
    assert result.exit_code == 0, result.output
    lines = rows(result.stdout)
    assert lines[0] == ["library", str(library.root)]
    [session] = [row for row in lines if row[0] == "session"]
    assert session[3:5] == ["completed", "download"] and LOCAL_TIME.match(session[2])
    [last] = [row for row in lines if row[:2] == ["total", "last download"]]
    assert LOCAL_TIME.match(last[2])
    assert ["total", "files", str(sum(expected_digests(library.server).values()))] in lines


def test_reorganize_dry_run_through_a_pipe_lists_from_and_to(library: Library) -> None:
    """After a template change, each move is `from<TAB>to`, relative to the library."""
    assert library.run("download", "--quiet", "--no-fits").exit_code == 0
    config = json.loads(library.config.read_text())
    config["folders"]["template"] = "{year}/{object}"
    library.config.write_text(json.dumps(config))
    result = library.run("reorganize", "--dry-run")
    assert result.exit_code == 0, result.output
    moves = rows(result.stdout)
    assert len(moves) == len(library.files())
    assert {row[0] for row in moves} == relative_files(library)
    assert all(re.match(r"^20\d\d/", row[1]) for row in moves)
    assert f"Would move {len(moves)} files." in result.stderr


# --------------------------------------------------------------------------- item 2: scripts


def test_download_json_names_the_library_and_every_file(library: Library) -> None:
    """`files` holds each file once, where it went (relative), with its bytes; two files
    of one server name are told apart by their paths."""
    code, doc = library.run_json("download")
    assert code == 0 and set(doc) == set(RUN_KEYS) | ALWAYS
    assert doc["library"] == str(library.root) and doc["error"] is None
    files = doc["files"]
    assert len(files) == doc["downloaded"] == len(library.files())
    assert {f["path"] for f in files} == relative_files(library)
    for entry in files:
        assert entry["status"] == "downloaded"
        assert (library.root / entry["path"]).stat().st_size == entry["bytes"]
    names = [f["file"] for f in files]
    twins = [f for f in files if names.count(f["file"]) > 1]
    assert twins and len({f["path"] for f in twins}) == len(twins)
    assert any(" (1)." in f["path"] for f in twins)


def test_dry_run_json_lists_planned_files_and_the_estimate(library: Library) -> None:
    """A dry run's `files` are `planned` with their paths; `estimate` counts the requests."""
    code, doc = library.run_json("download", "--dry-run", "--no-fits")
    assert code == 0 and doc["dry_run"] is True
    assert {f["status"] for f in doc["files"]} == {"planned"}
    assert len(doc["files"]) == doc["queued"] == 20
    assert doc["estimate"]["files"] == 20 and doc["estimate"]["requests"] > 20
    assert doc["estimate"]["rate_limit"] == 0 and doc["estimate"]["seconds"] == 0


def test_mission_json_lists_the_missions_files(library: Library, server: FakeSlooh) -> None:
    """`mission ID --json`: the mission's pictures and FITS frames, each with its path."""
    mission = server.catalog.photo_roll[0].mission_id
    code, doc = library.run_json("mission", str(mission))
    assert code == 0 and set(doc) == set(RUN_KEYS) | ALWAYS
    expected = [f for f in server.catalog.expected_files() if f.mission_id == mission]
    assert len(doc["files"]) == len(expected) == doc["downloaded"] > 1
    assert {f["key"] for f in doc["files"]} == {f.key for f in expected}
    assert all((library.root / f["path"]).is_file() for f in doc["files"])


def test_json_lines_follow_the_run_and_end_with_the_summary(library: Library) -> None:
    """--json-lines: a run line, the events as they happen, the summary last."""
    result = library.run("download", "--json-lines")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [r["event"] for r in records]
    assert kinds[0] == "run" and kinds[-1] == "summary"
    assert {"listed", "planned", "started", "done", "listing_ended"} <= set(kinds)
    assert records[0]["library"] == str(library.root)
    done = {r["path"] for r in records if r["event"] == "done"}
    assert done == relative_files(library)
    summary = records[-1]
    assert set(summary) == set(RUN_KEYS) | ALWAYS | {"event"}
    assert summary["downloaded"] == len(done) and summary["exit_code"] == 0


def test_plain_lines_say_where_each_file_was_saved(library: Library) -> None:
    """Without a terminal, each downloaded file is a line with its path in the library."""
    result = library.run("download")
    assert result.exit_code == 0, result.output
    saved = re.findall(r"^downloaded (.+) \(\d+\.\d kB\)$", result.stderr, re.MULTILINE)
    assert sorted(saved) == sorted(relative_files(library))


def test_force_color_in_a_log_still_gets_plain_lines(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`FORCE_COLOR=1` (common in CI) asks for colours, not for a live display: with stderr
    going to a log, each file is still one plain line, and no cursor movement is written."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    result = library.run("download")
    assert result.exit_code == 0, result.output
    saved = re.findall(r"^downloaded (.+) \(\d+\.\d kB\)$", result.stderr, re.MULTILINE)
    assert sorted(saved) == sorted(relative_files(library))
    assert "\x1b[" not in result.stderr


def test_download_all_asks_where_questions_can_be_asked(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`download --all` asks as `configure` does: not without a terminal (exit 2, add --yes),
    but yes with SLOOH_FORCE_INTERACTIVE (expect scripts); "n" changes nothing, exit 0."""
    from typer.testing import CliRunner

    from slooh_async.cli import app

    monkeypatch.delenv("SLOOH_FORCE_INTERACTIVE", raising=False)
    refused = library.run("download", "--all")
    assert refused.exit_code == 2 and "add --yes to confirm" in refused.stderr
    monkeypatch.setenv("SLOOH_FORCE_INTERACTIVE", "1")
    asked = CliRunner().invoke(app, ["download", "--all"], input="n\n", catch_exceptions=False)
    assert asked.exit_code == 0 and "aborted, nothing changed" in asked.stderr
    assert library.files() == []


def test_api_retries_are_told_where_they_happen(library: Library, server: FakeSlooh) -> None:
    """An API call the service keeps failing is retried in the open: a plain line per retry
    (and a --json-lines "retry" event), not a silent pause; the run goes on without it."""
    server.set_faults(fail_endpoints={"getMissionImages"})  # only a shortcut of the listing
    result = library.run("download", "--dry-run")
    assert result.exit_code == 0, result.output
    told = re.findall(r"^retrying getMissionImages in \d+ s: (.+)$", result.stderr, re.MULTILINE)
    assert told == ["HTTP 500"] * 4  # max_retries 4 in the test library
    events = library.run("download", "--json-lines")
    retries = [
        record
        for record in map(json.loads, events.stdout.splitlines())
        if record["event"] == "retry"
    ]
    assert [(r["what"], r["error"], r["attempt"], r["key"]) for r in retries] == [
        ("getMissionImages", "HTTP 500", n, None) for n in range(1, 5)
    ]


def test_retry_json_has_the_same_keys_whatever_happened(
    library: Library, server: FakeSlooh
) -> None:
    """No tracker, nothing to retry, or files retried: one set of keys."""
    code, no_tracker = library.run_json("retry")
    assert code == 2 and "nothing was downloaded yet" in no_tracker["error"]
    assert library.run("download", "--quiet", "--no-fits").exit_code == 0
    code, nothing = library.run_json("retry")
    assert code == 0 and set(nothing) == set(no_tracker) == set(RETRY_KEYS) | ALWAYS
    assert nothing["failed_before"] == 0 and nothing["files"] == []
    server.add_pictures(2)
    key = server.catalog.photo_roll[0].key
    server.set_faults(fail_keys=frozenset({key}))
    code, first = library.run_json("download", "--no-fits")
    assert code == 1 and first["failures"][0]["key"] == key
    code, again = library.run_json("retry")
    assert code == 1 and set(again) == set(nothing)
    assert again["failed_before"] == 1 and again["still_failing"] == [key]
    assert again["files"][0]["status"] == "failed"


def test_run_keys_are_the_summarys_keys() -> None:
    """The documented key list holds every key of the summary (so failures match success)."""
    assert set(RunSummary().to_json()) - {"error"} <= set(RUN_KEYS)


# --------------------------------------------------------------------------- item 4: --quiet


def test_quiet_is_silent_when_all_goes_well_and_speaks_of_failures(
    library: Library, server: FakeSlooh
) -> None:
    """--quiet prints nothing for a run that downloads, nothing for a no-op; a failure is
    an error line plus one line of summary."""
    for _ in range(2):
        result = library.run("download", "--quiet", "--no-fits")
        assert result.exit_code == 0 and (result.stdout, result.stderr) == ("", "")
    server.add_pictures(2)
    server.set_faults(fail_keys=frozenset({server.catalog.photo_roll[0].key}))
    result = library.run("download", "--quiet", "--no-fits")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 2, result.stderr
    assert "error: failed:" in result.stderr
    assert "1 file failed (1 downloaded): `slooh retry` tries them again" in result.stderr


def test_the_readme_cron_recipe_is_silent_on_a_no_op_run(library: Library, tmp_path: Path) -> None:
    """`SLOOH_USERNAME=… SLOOH_PASSWORD=… SLOOH_BASE_PATH=… slooh download --quiet`, no
    config file, default rate limit: nothing new means no output at all (cron mails nothing)."""
    assert library.run("download", "--quiet").exit_code == 0
    server = library.server
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "SLOOH_USERNAME": server.config.username,
        "SLOOH_PASSWORD": server.config.password,
        "SLOOH_BASE_PATH": str(library.root),
        "SLOOH_BASE_URL": server.base_url,
        "SLOOH_CONFIG": str(tmp_path / "no-config-here.json"),
        "SLOOH_LOG_FILE": str(tmp_path / "cron.log"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    done = subprocess.run(
        [sys.executable, "-m", "slooh_async", "download", "--quiet"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert sessions(library)[-1] == ("download", "completed")


@pytest.mark.parametrize("command", [["export"], ["stats"]])
def test_a_closed_stdout_ends_quietly(library: Library, command: list[str]) -> None:
    """`slooh export | head -1`: the reader is gone; exit 0, no "Broken pipe" message."""
    assert library.run("download", "--quiet").exit_code == 0
    reader, writer = os.pipe()
    os.close(reader)  # gone before the first byte: every write meets a closed pipe
    env = {**os.environ, "SLOOH_CONFIG": str(library.config)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "slooh_async", *command],
            env=env, stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        os.close(writer)
    assert (done.returncode, done.stderr) == (0, "")


# --------------------------------------------------------------------------- item 7: promises


def test_json_reports_a_missing_login_a_bad_config_and_a_disk_error(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--json prints one document with error and exit_code when the run cannot start."""
    config = json.loads(library.config.read_text())
    no_login = {**config, "slooh": {"base_url": config["slooh"]["base_url"]}}
    library.config.write_text(json.dumps(no_login))
    code, doc = library.run_json("download")
    assert code == 2 and doc["exit_code"] == 2 and "no Slooh credentials" in doc["error"]
    assert set(doc) == set(RUN_KEYS) | ALWAYS and doc["downloaded"] is None
    library.config.write_text(json.dumps({**config, "download": {"threads": 0, "timeout": -1}}))
    code, doc = library.run_json("download")
    assert code == 2 and "download.threads: 0 is below the minimum 1" in doc["error"]
    assert "download.timeout" in doc["error"]  # every problem, in one document
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    tracker = {"path": str(blocker / "tracker.sqlite3")}
    library.config.write_text(json.dumps({**config, "tracker": tracker}))
    code, doc = library.run_json("download")
    assert code == 5 and doc["exit_code"] == 5
    assert doc["error"].startswith(f"cannot create the tracker folder {blocker}")


def test_json_reports_a_disk_error_that_ends_a_run_after_downloads(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tracker cannot be written once files are in (the disk filled up): the document
    still comes, with what was downloaded, the error and exit code 5."""
    from slooh_async._exceptions import StorageError
    from slooh_async.tracker import Tracker

    def disk_full(self: Tracker, rows: object) -> None:
        raise StorageError("cannot write the tracker: the disk is full")

    monkeypatch.setattr(Tracker, "set_fits_checked_many", disk_full)
    code, doc = library.run_json("download")
    assert code == 5 and doc["exit_code"] == 5
    assert doc["error"] == "cannot write the tracker: the disk is full"
    assert doc["downloaded"] > 0 and len(doc["files"]) >= doc["downloaded"]


def test_a_new_login_mid_run_is_an_event(library: Library, server: FakeSlooh) -> None:
    """The session ends mid-run: --json-lines tells the wait for the new login."""
    server.set_faults(expire_after_calls=2, expiry_mode="401")
    result = library.run("download", "--json-lines")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"event": "wait", "reason": "login", "seconds": 0.0, "scope": "all"} in records


def test_refused_login_is_one_line_without_summary_or_session(
    library: Library, server: FakeSlooh
) -> None:
    """A refused login: exit 3, its one line, no table of zeros, no failed session."""
    server.set_faults(bad_credentials=True)
    for _ in range(2):
        result = library.run("download")
        assert result.exit_code == 3
        assert result.stdout == "" and result.stderr.count("error:") == 1
        assert "Invalid username or password" in result.stderr
    assert sessions(library) == []
    code, doc = library.run_json("download")
    assert code == 3 and doc["exit_code"] == 3 and "login failed" in doc["error"]


def test_unreachable_service_with_json_says_so_and_keeps_no_session(
    library: Library, server: FakeSlooh
) -> None:
    """Nobody answering: exit 4 with the document's error; no session is recorded."""
    config = json.loads(library.config.read_text())
    config["slooh"]["base_url"] = "http://127.0.0.1:9"
    config["download"]["max_retries"] = 0
    library.config.write_text(json.dumps(config))
    code, doc = library.run_json("download")
    assert code == 4 and "cannot reach" in doc["error"] and "1 try)" in doc["error"]
    assert sessions(library) == []


def test_a_library_path_that_is_a_file_exits_2_wherever_it_came_from(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--dest FILE and SLOOH_BASE_PATH=FILE: exit 2 and a line naming the path."""
    plain_file = tmp_path / "photos.txt"
    plain_file.write_text("not a library")
    code, doc = library.run_json("download", "--dest", str(plain_file))
    assert code == 2 and doc["error"].startswith(f"the library folder {plain_file} is a file")
    config = json.loads(library.config.read_text())
    del config["folders"]
    library.config.write_text(json.dumps(config))
    monkeypatch.setenv("SLOOH_BASE_PATH", str(plain_file))
    for command in (["download"], ["stats"], ["verify"]):
        result = library.run(*command)
        assert result.exit_code == 2, command
        assert f"the library folder {plain_file} is a file" in result.stderr


def test_stats_of_a_missing_library_and_a_missing_config_are_errors(
    library: Library, tmp_path: Path
) -> None:
    """`stats --dest NOWHERE` says no library is there; `--config MISSING` is an error."""
    nowhere = tmp_path / "nowhere"
    result = library.run("stats", "--dest", str(nowhere))
    assert result.exit_code == 2 and f"no library at {nowhere}" in result.stderr
    assert result.stdout == ""
    missing = tmp_path / "typo.json"
    result = library.run("--config", str(missing), "stats")
    assert result.exit_code == 2
    assert f"config file {missing} (--config) does not exist" in result.stderr


# --------------------------------------------------------------------------- item 12


def test_exported_attempts_and_the_error_text_agree(library: Library, server: FakeSlooh) -> None:
    """The error says this run's tries; `attempts` adds up every run's."""
    key = server.catalog.photo_roll[0].key
    server.set_faults(fail_keys=frozenset({key}))
    for _ in range(2):
        assert library.run("download", "--quiet", "--no-fits").exit_code == 1
    [record] = json.loads(library.run("export", "--format", "json", "--status", "failed").stdout)
    assert record["attempts"] == 10  # max_retries 4: 5 tries a run, two runs
    assert record["last_error"].endswith("(gave up after 5 tries this run)")
