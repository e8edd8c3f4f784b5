"""Options as people expect them, through the CLI: global options after the command, `-o`,
relative dates, plain placeholders and messages, exit codes in the help, shell completion,
and what the command says when what it names is not in the account."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import typer
from e2e_support import Library, library_fixture
from test_config_support import finish, isolate, write_json
from typer.testing import CliRunner, Result

from slooh_async.cli import app
from slooh_async.cli._options import parse_date
from slooh_async.fake_server import FakeConfig, FakeSlooh

COMMANDS = [
    ["download"], ["mission"], ["retry"], ["test"], ["configure"], ["stats"], ["verify"],
    ["import-tracker"], ["export"], ["reorganize"], ["demo"], ["config", "show"],
    ["config", "path"],
]  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlooh]:
    """A small catalog: a few telescopes, pictures over several weeks."""
    with FakeSlooh(FakeConfig(pictures=30, seed=5, file_size=2000)).running() as srv:
        yield srv


library = library_fixture(batch_size=5)


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Own HOME, config and log file; no server."""
    isolate(monkeypatch, tmp_path)
    yield tmp_path
    finish()


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env, prog_name="slooh")


def one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- item 5


def test_unknown_mission_exits_6_with_one_line(library: Library) -> None:
    """`slooh mission 999999999` says the mission is not in the account (exit 6), with no
    all-zero summary."""
    result = library.run("mission", "999999999")
    assert result.exit_code == 6
    assert "error: no mission 999999999 in your account" in result.stderr
    assert "Summary" not in result.stdout
    assert library.files() == []


def test_known_mission_still_downloads(library: Library, server: FakeSlooh) -> None:
    """A mission of the account downloads its files and exits 0."""
    mission = server.catalog.missions[0]
    result = library.run("mission", str(mission.mission_id), "-q")
    assert result.exit_code == 0, result.output
    assert len(library.files()) == len(mission.pictures) + len(mission.fits_files)


def test_telescope_matching_none_names_the_known_ones(library: Library, server: FakeSlooh) -> None:
    """`--telescope "Chile Nine"` that matches no telescope of the listing exits 6 and names
    every telescope the listing showed."""
    result = library.run("download", "--telescope", "Chile Nine")
    assert result.exit_code == 6
    known = sorted({item.telescope for item in server.catalog.photo_roll})
    assert one_line(result.stderr).endswith(
        f"error: no telescope matches 'Chile Nine'; your pictures were taken with: "
        f"{', '.join(known)}"
    )
    assert library.files() == []


def test_telescope_matching_none_in_a_cut_listing_is_a_warning(
    library: Library, server: FakeSlooh
) -> None:
    """With --since the listing stops early, so a telescope that matched none is only a
    warning naming what was listed (exit 0)."""
    roll = server.catalog.photo_roll
    since = roll[7].taken_at.date()
    assert roll[-1].taken_at.date() < since  # older pages exist: listing stops before them
    result = library.run("download", "--telescope", "Chile Nine", "--since", str(since))
    assert result.exit_code == 0, result.output
    assert "warning: no picture listed was taken with a telescope matching 'Chile Nine'" in (
        one_line(result.stderr)
    )


# --------------------------------------------------------------------------- item 10


def test_global_options_after_the_command(isolated: Path) -> None:
    """--config, -c and -o work after the command too; after it, the later one wins."""
    first = write_json(isolated / "first.json", {"download": {"threads": 2}})
    second = write_json(isolated / "second.json", {"download": {"threads": 3}})
    result = run("config", "path", "--config", str(first))
    assert result.stdout.strip() == str(first)
    result = run("-c", str(first), "config", "path", "-c", str(second))
    assert result.stdout.strip() == str(second)
    result = run("config", "show", "--json", "-c", str(second), "-o", "download.batch_size=7")
    assert result.exit_code == 0, result.output
    download = json.loads(result.stdout)["settings"]["download"]
    assert download["threads"] == {"value": 3, "source": str(second)}
    assert download["batch_size"] == {"value": 7, "source": "command line"}


def test_verbose_after_the_command_says_more(library: Library) -> None:
    """`slooh download --verbose` shows the info lines that `slooh --verbose download` does."""
    quiet = library.run("download", "--limit", "1")
    loud = library.run("download", "--limit", "1", "--all", "--yes", "--verbose")
    assert quiet.exit_code == loud.exit_code == 0
    assert "info: session 1 completed" not in quiet.stderr
    assert "info: session 2 completed" in loud.stderr


def test_export_keeps_its_own_o(library: Library, tmp_path: Path) -> None:
    """`export -o FILE` is still the output file; `--option` works beside it."""
    assert library.run("download", "--limit", "2", "-q").exit_code == 0
    out = tmp_path / "records.csv"
    result = library.run("export", "-o", str(out), "--option", "download.threads=2")
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["status"] for row in rows].count("done") == 2


def test_a_message_in_a_log_stays_one_line(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Messages to a pipe or a log are one line however long: Rich would wrap "Wrote ... to
    PATH" at 80 columns and put the path on a line of its own."""
    monkeypatch.setenv("COLUMNS", "80")  # what a pipe gets (the tests' default is wider)
    assert library.run("download", "--limit", "1", "-q").exit_code == 0
    out = tmp_path / ("a-long-folder-name-for-the-exports-of-this-library" * 2) / "records.csv"
    out.parent.mkdir()
    result = library.run("export", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert re.search(rf"^Wrote \d+ records? to {re.escape(str(out))}$", result.stderr, re.M)


def test_placeholders_read_as_words(isolated: Path) -> None:
    """No command's help shows Python types or strptime formats as placeholders."""
    for command in COMMANDS:
        text = run(*command, "--help").stdout
        for machine in ("<int range>", "<list[", "<%Y", "<str>", "range]", "--dest <"):
            assert machine not in text, (command, machine)
    download = run("download", "--help").stdout
    for word in ("--since DATE", "--limit N", "--dest DIR", "--threads N", "--exec CMD"):
        assert word in download


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "'--since': 2026-13-01 is not a date (YYYY-MM-DD)"),
        (["--until", "soon"], "soon is not a date (YYYY-MM-DD, today, yesterday"),
        (["--limit", "0"], "Invalid value for '--limit': 0 is below the minimum 1"),
        (["--limit", "many"], "many is not a whole number"),
        (["-t", "99"], "99 is above the maximum 64"),
        (["-o", "threads"], "threads is not SECTION.KEY=VALUE"),
        (["--format", "gif"], "'--format': gif is not one of: fits, png, jpeg, jpg"),
    ],
)  # fmt: skip
def test_validation_messages_in_plain_words(isolated: Path, args: list[str], message: str) -> None:
    """A bad option value is one plain sentence and exit 2."""
    result = run("download", *args)
    assert result.exit_code == 2
    assert message in one_line(result.stderr)


def test_bad_option_key_or_value_uses_the_config_messages(isolated: Path) -> None:
    """`-o` keys and values are checked like the config file's, with a did-you-mean."""
    result = run("config", "show", "-o", "download.thread=3")
    assert result.exit_code == 2
    assert (
        "unknown setting 'download.thread' (from the command line); "
        "did you mean 'download.threads'?" in one_line(result.stderr)
    )
    result = run("config", "show", "-o", "download.threads=0")
    assert result.exit_code == 2
    assert 'download.threads: "0" is below the minimum 1 (from the command line)' in (
        one_line(result.stderr)
    )


def test_top_help_lists_exit_codes_and_whole_descriptions(isolated: Path) -> None:
    """`slooh --help` at 80 columns lists every exit code and cuts no command's summary."""
    text = run("--help", env={"COLUMNS": "80"}).stdout
    for code in ("0    done", "2    usage", "5    the local disk", "6    not in your account",
                 "130  interrupted"):  # fmt: skip
        assert code in text
    commands = one_line(text[text.index("Commands:") :])
    assert "..." not in commands
    assert "Download again every file that failed before, and report what still fails." in (
        commands
    )
    assert "--install-completion" in text and "before or after the command" in text


@pytest.fixture
def no_shell_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The completion options take the shell's name (typer's switch, read as the app is
    built), instead of detecting the shell the tests run in."""
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")


def test_show_completion_prints_a_script(isolated: Path, no_shell_detection: None) -> None:
    """--show-completion prints the shell's completion script for `slooh`."""
    result = run("--show-completion", "bash")
    assert result.exit_code == 0
    assert "_SLOOH_COMPLETE=complete_bash" in result.stdout


def test_install_completion_writes_the_shell_startup_file(
    isolated: Path, no_shell_detection: None
) -> None:
    """--install-completion bash installs the script and sources it from ~/.bashrc."""
    result = run("--install-completion", "bash")
    assert result.exit_code == 0, result.output
    home = Path(os.environ["HOME"])
    assert "slooh" in (home / ".bashrc").read_text(encoding="utf-8")
    assert "_SLOOH_COMPLETE" in (home / ".bash_completions" / "slooh.sh").read_text("utf-8")


def test_completion_completes_commands_and_choices(isolated: Path) -> None:
    """The shell's completion request gets command names and an option's choices."""
    words = {"_SLOOH_COMPLETE": "complete_bash", "COMP_WORDS": "slooh dow", "COMP_CWORD": "1"}
    assert run(env=words).stdout.split() == ["download"]
    words = {"_SLOOH_COMPLETE": "complete_bash", "COMP_WORDS": "slooh download --format j",
             "COMP_CWORD": "3"}  # fmt: skip
    assert run(env=words).stdout.split() == ["jpeg", "jpg"]


def test_help_stays_light() -> None:
    """`slooh --help` imports neither pydantic, httpx, Rich nor the settings (it answers at
    once): the completion options and the global options cost no heavy import."""
    code = (
        "import sys\nfrom slooh_async.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('pydantic', 'httpx', 'rich', 'slooh_async.config', 'slooh_async.engine')\n"
        "print([name for name in heavy if name in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


# --------------------------------------------------------------------------- item 11


def test_relative_dates() -> None:
    """today, yesterday, 7d and 2w count back from today; YYYY-MM-DD is itself."""
    today = date(2026, 3, 10)
    assert parse_date("today", today=today) == today
    assert parse_date("Yesterday", today=today) == date(2026, 3, 9)
    assert parse_date("7d", today=today) == date(2026, 3, 3)
    assert parse_date("2w", today=today) == date(2026, 2, 24)
    assert parse_date("2026-01-31", today=today) == date(2026, 1, 31)
    with pytest.raises(typer.BadParameter, match="is not a date"):
        parse_date("-3d", today=today)


def test_since_relative_filters_like_the_date(library: Library, server: FakeSlooh) -> None:
    """`--since Nd` lists the same pictures as `--since` the date N days ago."""
    newest = server.catalog.photo_roll[0].taken_at.date()
    days = (date.today() - newest).days + 3
    relative = library.run("download", "--dry-run", "--json", "--since", f"{days}d")
    absolute = library.run(
        "download", "--dry-run", "--json", "--since", str(date.today() - timedelta(days=days))
    )
    assert relative.exit_code == absolute.exit_code == 0
    queued = json.loads(relative.stdout)["queued"]
    assert queued == json.loads(absolute.stdout)["queued"]
    assert 0 < queued < len(server.catalog.expected_files())


def test_o_overrides_a_setting_for_one_run(library: Library) -> None:
    """`-o folders.organize_by=date` lays out this run's files by date; the file is
    unchanged."""
    before = library.config.read_text(encoding="utf-8")
    result = library.run("download", "--limit", "2", "-q", "-o", "folders.organize_by=date")
    assert result.exit_code == 0, result.output
    for path in library.files():
        year = path.relative_to(library.root).parts[0]
        assert year.isdigit() and len(year) == 4
    assert library.config.read_text(encoding="utf-8") == before


# --------------------------------------------------------------------------- item 12


def test_one_underscore_variable_gets_a_suggestion(isolated: Path) -> None:
    """SLOOH_DOWNLOAD_THREADS is not silently ignored: a warning names the real variable."""
    result = run("config", "show", env={"SLOOH_DOWNLOAD_THREADS": "8"})
    assert result.exit_code == 0
    assert (
        "environment variable SLOOH_DOWNLOAD_THREADS is not a setting (ignored); did you mean "
        "SLOOH_DOWNLOAD__THREADS? (two underscores between section and key)"
    ) in one_line(result.stderr)


def test_other_slooh_variables_are_left_alone(isolated: Path) -> None:
    """Variables slooh reads besides settings, and unrelated SLOOH_ names, warn nothing."""
    write_json(isolated / "config.json", {})
    env = {"SLOOH_FORCE_INTERACTIVE": "0", "SLOOH_MY_SCRIPT_FLAG": "1"}
    result = run("config", "show", env=env)
    assert result.exit_code == 0
    assert "warning" not in result.stderr


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_readable_config_with_a_password_gets_a_warning(isolated: Path) -> None:
    """A config file with a password that others can read is named with the fix; a private
    one, or a readable one without a password, is not."""
    config = write_json(isolated / "config.json", {"slooh": {"password": "Pw-1234567"}})
    config.chmod(0o644)
    result = run("config", "show")
    assert f"{config} holds a password and other users can read it (mode 0644)" in (
        one_line(result.stderr)
    )
    assert f"chmod 600 {config}" in one_line(result.stderr)
    config.chmod(0o600)
    assert "other users can read" not in run("config", "show").stderr
    write_json(config, {"slooh": {"username": "ada"}}).chmod(0o644)
    assert "other users can read" not in run("config", "show").stderr


def test_base_url_at_the_image_host_says_it_is_not_the_api(
    isolated: Path, server: FakeSlooh
) -> None:
    """Pointing slooh.base_url at the image host (HTTP 405 to every API call) says that this
    does not look like the Slooh API, naming the setting."""
    env = {
        "SLOOH_BASE_URL": server.download_base_url,
        "SLOOH_USERNAME": "demo",
        "SLOOH_PASSWORD": "demo",
    }
    result = run("test", env=env)
    assert result.exit_code == 4
    assert (
        f"HTTP 405: {server.download_base_url} does not look like the Slooh API "
        "(check slooh.base_url" in one_line(result.stderr)
    )
