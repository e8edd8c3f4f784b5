"""``slooh config show``, ``slooh config path`` and ``slooh configure`` through Typer's runner."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import fail
from test_config_support import (
    BrokenKeyring,
    MemoryKeyring,
    finish,
    install_keyring,
    isolate,
    write_json,
)
from typer.testing import CliRunner, Result

from slooh_async.cli import app
from slooh_async.config import KEYRING_SERVICE


@pytest.fixture(autouse=True)
def ring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    """Own HOME, config file, log file and keyring; the CLI's global state reset."""
    yield isolate(monkeypatch, tmp_path)
    finish()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The config file every command of the test uses (SLOOH_CONFIG)."""
    return tmp_path / "config.json"


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let configure ask its questions through the runner's piped stdin."""
    monkeypatch.setenv("SLOOH_FORCE_INTERACTIVE", "1")


def run(*args: str, input: str | None = None) -> Result:
    """``slooh ARGS`` in-process."""
    return CliRunner().invoke(app, list(args), input=input)


def answers(*lines: str) -> str:
    """Prompt answers, one per line."""
    return "".join(f"{line}\n" for line in lines)


# --------------------------------------------------------------------------- config path / show


def test_config_path_prints_the_file(config: Path) -> None:
    """`slooh config path` prints the config file and says it does not exist yet."""
    result = run("config", "path")
    assert result.exit_code == 0
    assert result.stdout.strip() == str(config)
    assert "does not exist yet" in result.stderr


def test_config_path_json_and_global_option(tmp_path: Path) -> None:
    """`slooh --config X config path --json` reports X, whether it exists, and the log file."""
    other = write_json(tmp_path / "other.json", {})
    result = run("--config", str(other), "config", "path", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "path": str(other),
        "exists": True,
        "log_file": str(tmp_path / "logs" / "slooh.log"),
        "error": None,
        "exit_code": 0,
    }


def test_config_show_lists_every_key_with_its_source(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table shows values, their sources, and the password masked."""
    write_json(config, {"slooh": {"username": "ada", "password": "Pw-Never-Shown"}})
    monkeypatch.setenv("SLOOH_DOWNLOAD__THREADS", "9")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # stdout "is" a terminal: the table
    result = run("config", "show")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Pw-Never-Shown" not in result.output
    assert "slooh.password" in out and "***" in out
    assert "download.threads" in out and "env SLOOH_DOWNLOAD__THREADS" in out
    assert "folders.max_path_length" in out and "default" in out
    assert "config file" in out and str(config) in out


def test_config_show_json_masks_the_password(config: Path, ring: MemoryKeyring) -> None:
    """--json gives every key's value and source; the password is *** (from the keyring)."""
    write_json(config, {"slooh": {"username": "ada"}, "download": {"threads": 2}})
    ring.set_password(KEYRING_SERVICE, "ada", "Ring-Secret-1")
    result = run("config", "show", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert "Ring-Secret-1" not in result.output
    assert doc["config_path"] == str(config) and doc["config_exists"] is True
    assert doc["settings"]["slooh"]["password"] == {"value": "***", "source": "keyring"}
    assert doc["settings"]["download"]["threads"] == {"value": 2, "source": str(config)}
    assert doc["settings"]["download"]["batch_size"] == {"value": 50, "source": "default"}
    assert doc["settings"]["folders"]["object_preference"]["value"] == ["M", "NGC", "IC", "C"]
    keys = {f"{s}.{k}" for s, values in doc["settings"].items() for k in values}
    assert {"slooh.base_url", "download.verify_hash", "folders.template", "tracker.path"} <= keys


def test_config_show_without_password(config: Path) -> None:
    """A missing password reads (not set), not ***."""
    result = run("config", "show", "--json")
    assert json.loads(result.stdout)["settings"]["slooh"]["password"]["value"] is None
    table = run("config", "show").stdout
    assert "(not set)" in table


def test_config_show_reports_every_problem(config: Path) -> None:
    """Bad values exit 2 with one line per problem; typos are warned about first."""
    write_json(config, {"download": {"threads": 0, "batch_size": 999, "thread": 2}})
    result = run("config", "show")
    assert result.exit_code == 2
    assert f"download.threads: 0 is below the minimum 1 (in {config})" in result.stderr
    assert "download.batch_size: 999 is above the maximum 200" in result.stderr
    assert "did you mean 'download.threads'?" in result.stderr
    assert result.stdout == ""


def test_config_show_malformed_json(config: Path) -> None:
    """Malformed JSON exits 2 naming the line and column."""
    config.write_text('{"download": {"threads": 4,}}', encoding="utf-8")
    result = run("config", "show")
    assert result.exit_code == 2
    assert "malformed JSON at line 1, column 28" in result.stderr


def test_config_show_warns_about_unknown_keys(config: Path) -> None:
    """Unknown keys in a valid file are warnings; the command still succeeds."""
    write_json(config, {"folders": {"base_pth": "x"}})
    result = run("config", "show")
    assert result.exit_code == 0
    assert "unknown key 'folders.base_pth' (ignored); did you mean 'folders.base_path'?" in (
        result.stderr
    )


# --------------------------------------------------------------------------- configure


def test_configure_refuses_without_a_terminal(config: Path) -> None:
    """No terminal: exit 2 pointing at the environment variables and the config file."""
    result = run("configure")
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "needs a terminal" in message
    assert "SLOOH_USERNAME" in message and "SLOOH_PASSWORD" in message
    assert str(config) in message
    assert not config.exists()


def test_configure_through_its_prompts(
    config: Path, ring: MemoryKeyring, tmp_path: Path, interactive: None
) -> None:
    """Answers go to a 0600 file; the password goes to the keyring, not the file."""
    result = run(
        "configure",
        input=answers("ada", "Typed-Pw-1", str(tmp_path / "lib"), "y", "25", "6", "20", "n"),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(config.read_text(encoding="utf-8"))
    assert data == {
        "slooh": {"username": "ada"},
        "folders": {"base_path": str(tmp_path / "lib")},
        "download": {"batch_size": 25, "threads": 6, "rate_limit": 20},
    }
    assert ring.passwords == {(KEYRING_SERVICE, "ada"): "Typed-Pw-1"}
    if os.name == "posix":
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "saved in the OS keyring" in result.stderr
    assert "Test the login now?" in result.stderr
    assert "Typed-Pw-1" not in result.output


def test_configure_keeps_other_keys_and_shows_current_values(
    config: Path, ring: MemoryKeyring, interactive: None
) -> None:
    """Enter keeps every current value; keys configure does not ask about stay in the file."""
    write_json(
        config,
        {
            "slooh": {"username": "ada", "base_url": "http://127.0.0.1:1"},
            "download": {"threads": 8, "verify_hash": "md5"},
            "folders": {"base_path": "~/Slooh", "template": "{object}"},
            "extra": {"kept": True},
        },
    )
    ring.set_password(KEYRING_SERVICE, "ada", "Old-Pw-22")
    result = run("configure", input=answers("", "", "", "y", "", "", "", "n"))
    assert result.exit_code == 0, result.output
    prompts = result.stderr
    assert "(ada)" in prompts and "(~/Slooh)" in prompts and "(8)" in prompts
    assert "Enter keeps the current one" in prompts
    data = json.loads(config.read_text(encoding="utf-8"))
    assert data["slooh"] == {"username": "ada", "base_url": "http://127.0.0.1:1"}
    assert data["download"] == {
        "threads": 8,
        "verify_hash": "md5",
        "batch_size": 50,
        "rate_limit": 30,
    }
    assert data["folders"] == {"base_path": "~/Slooh", "template": "{object}"}
    assert data["extra"] == {"kept": True}
    assert ring.passwords[(KEYRING_SERVICE, "ada")] == "Old-Pw-22"


def test_configure_asks_again_after_a_bad_answer(
    config: Path, tmp_path: Path, interactive: None
) -> None:
    """An out-of-range answer shows the config message and the question again."""
    result = run(
        "configure",
        input=answers(
            "ada", "pw-123456", str(tmp_path), "0", "500", "10", "99", "4", "-1", "0", "n"
        ),
    )
    assert result.exit_code == 0, result.output
    assert "download.batch_size: 0 is below the minimum 1" in result.stderr
    assert "download.batch_size: 500 is above the maximum 200" in result.stderr
    assert "download.threads: 99 is above the maximum 64" in result.stderr
    assert "download.rate_limit: -1 is below the minimum 0" in result.stderr
    data = json.loads(config.read_text(encoding="utf-8"))
    assert data["download"] == {"batch_size": 10, "threads": 4, "rate_limit": 0}


def test_configure_requires_a_username(config: Path, tmp_path: Path, interactive: None) -> None:
    """An empty username is asked again."""
    result = run(
        "configure", input=answers("", "  ", "ada", "pw-1234567", str(tmp_path), "", "", "", "n")
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.count("a value is required") == 2


def test_configure_makes_a_relative_folder_absolute(
    config: Path, tmp_path: Path, interactive: None
) -> None:
    """A relative download folder is saved as an absolute path (runs start anywhere)."""
    result = run("configure", input=answers("ada", "pw-1234567", "pics", "y", "", "", "", "n"))
    assert result.exit_code == 0, result.output
    data = json.loads(config.read_text(encoding="utf-8"))
    assert data["folders"]["base_path"] == str(tmp_path / "pics")


def test_configure_no_keyring_keeps_the_password_in_the_file(
    config: Path, ring: MemoryKeyring, tmp_path: Path, interactive: None
) -> None:
    """--no-keyring puts the password in the (0600) file and leaves the keyring alone."""
    result = run(
        "configure",
        "--no-keyring",
        input=answers("ada", "File-Pw-3", str(tmp_path), "", "", "", "n"),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(config.read_text(encoding="utf-8"))
    assert data["slooh"] == {"username": "ada", "password": "File-Pw-3"}
    assert ring.passwords == {}


@pytest.mark.parametrize("backend", [fail.Keyring(), BrokenKeyring()], ids=["none", "refusing"])
def test_configure_falls_back_to_the_file_with_a_warning(
    config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    interactive: None,
    backend: object,
) -> None:
    """Without a usable keyring the password goes to the file, with a warning saying so."""
    install_keyring(monkeypatch, backend)  # type: ignore[arg-type]
    result = run("configure", input=answers("ada", "Fallback-Pw", str(tmp_path), "", "", "", "n"))
    assert result.exit_code == 0, result.output
    assert json.loads(config.read_text(encoding="utf-8"))["slooh"]["password"] == "Fallback-Pw"
    assert "warning:" in result.stderr
    assert "saved in the config file" in " ".join(result.stderr.split())


def test_configure_moves_a_file_password_to_the_keyring(
    config: Path, ring: MemoryKeyring, interactive: None
) -> None:
    """Keeping a password that was in the file stores it in the keyring and removes it."""
    write_json(config, {"slooh": {"username": "ada", "password": "Moved-Pw-4"}})
    result = run("configure", input=answers("", "", "", "y", "", "", "", "n"))
    assert result.exit_code == 0, result.output
    assert "password" not in json.loads(config.read_text(encoding="utf-8"))["slooh"]
    assert ring.passwords == {(KEYRING_SERVICE, "ada"): "Moved-Pw-4"}


def test_configure_without_any_password_warns(
    config: Path, tmp_path: Path, interactive: None
) -> None:
    """No password typed and none stored: nothing is saved for it, and a warning says so."""
    result = run("configure", input=answers("ada", "", str(tmp_path), "", "", ""))
    assert result.exit_code == 0, result.output
    assert "no password saved" in result.stderr
    assert "Test the login now?" not in result.stderr


def test_configure_stops_cleanly_when_input_ends(config: Path, interactive: None) -> None:
    """Input ending half-way exits 2 and writes nothing."""
    result = run("configure", input=answers("ada"))
    assert result.exit_code == 2
    assert "nothing was saved" in result.stderr
    assert not config.exists()


def test_configure_refuses_a_malformed_file(config: Path, interactive: None) -> None:
    """A config file with broken JSON is not overwritten: exit 2 naming line and column."""
    config.write_text("{\n oops\n}", encoding="utf-8")
    result = run("configure", input=answers("ada"))
    assert result.exit_code == 2
    assert "malformed JSON at line 2, column 2" in result.stderr
    assert config.read_text(encoding="utf-8") == "{\n oops\n}"


def test_configure_reports_unasked_problems_before_the_prompts(
    config: Path, tmp_path: Path, interactive: None
) -> None:
    """A bad key configure does not ask about is named before the first question; kept
    (answer "n"), it is reported again after saving (exit 2)."""
    write_json(config, {"download": {"timeout": -1}})
    result = run("configure", input=answers("n", "ada", "pw-1234567", str(tmp_path), "", "", ""))
    assert result.exit_code == 2
    problem = "download.timeout: -1 must be greater than 0"
    assert result.stderr.index(problem) < result.stderr.index("Slooh username")
    assert result.stderr.count(problem) == 2
    data = json.loads(config.read_text(encoding="utf-8"))
    assert data["slooh"]["username"] == "ada"
    assert data["download"]["timeout"] == -1


def test_configure_names_a_typo_in_the_file_before_the_prompts(
    config: Path, tmp_path: Path, interactive: None
) -> None:
    """An unknown key (a typo) is a warning with a did-you-mean before the first question;
    configure keeps it in the file, as it keeps every key it does not ask about."""
    write_json(config, {"download": {"thredas": 8}})
    result = run("configure", input=answers("ada", "pw-1234567", str(tmp_path), "", "", ""))
    assert result.exit_code == 0, result.output
    typo = "unknown key 'download.thredas' (ignored); did you mean 'download.threads'?"
    assert typo in result.stderr
    assert result.stderr.index(typo) < result.stderr.index("Slooh username")
    assert result.stderr.count(typo) == 1  # said before the questions, not again after saving
    assert json.loads(config.read_text(encoding="utf-8"))["download"]["thredas"] == 8


def test_configure_resets_unasked_problems_when_asked(
    config: Path, tmp_path: Path, interactive: None
) -> None:
    """Answering yes to the reset removes the bad key: the saved file is valid (exit 0)."""
    write_json(config, {"download": {"timeout": -1, "threads": 2}})
    result = run("configure", input=answers("y", "ada", "pw-1234567", str(tmp_path), "", "", ""))
    assert result.exit_code == 0, result.output
    assert "Reset download.timeout to the default" in result.stderr
    data = json.loads(config.read_text(encoding="utf-8"))
    assert data["download"] == {"threads": 2, "batch_size": 50, "rate_limit": 30}


def test_configure_offers_only_valid_values_as_defaults(
    config: Path, tmp_path: Path, interactive: None
) -> None:
    """Invalid values in the file are named up front and never offered: Enter takes the
    built-in default (30, not `(True)`)."""
    write_json(
        config,
        {
            "slooh": {"username": "ada"},
            "download": {"rate_limit": True, "threads": 0},
            "folders": {"base_path": 5},
        },
    )
    result = run("configure", input=answers("", "pw-1234567", "", "y", "", "", ""))
    assert result.exit_code == 0, result.output
    prompts = result.stderr
    assert "download.rate_limit: true is not a whole number" in prompts
    assert "(asked below)" in prompts
    assert "(True)" not in prompts and "(0)" not in prompts and "(5)" not in prompts
    assert "Parallel downloads (threads) (4)" in prompts
    data = json.loads(config.read_text(encoding="utf-8"))
    assert data["download"] == {"rate_limit": 30, "threads": 4, "batch_size": 50}
    assert data["folders"] == {"base_path": str(tmp_path / "SloohImages")}


def test_configure_refuses_a_file_as_the_download_folder(
    config: Path, tmp_path: Path, interactive: None
) -> None:
    """A file (like /etc/passwd) or a path under a file is refused, then asked again."""
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0\n", encoding="utf-8")
    under = passwd / "Slooh"
    lib = tmp_path / "lib"
    lib.mkdir()
    result = run(
        "configure",
        input=answers("ada", "pw-1234567", str(passwd), str(under), "y", str(lib), "", "", ""),
    )
    assert result.exit_code == 0, result.output
    assert f"{passwd} is a file, not a folder" in result.stderr
    assert f"cannot create {under}: Not a directory" in result.stderr
    assert passwd.read_text(encoding="utf-8") == "root:x:0:0\n"
    data = json.loads(config.read_text(encoding="utf-8"))
    assert data["folders"] == {"base_path": str(lib)}


def test_configure_creates_the_folder_only_when_asked(
    config: Path, tmp_path: Path, interactive: None
) -> None:
    """A missing folder is created on "y"; on "n" the question comes again."""
    first, second = tmp_path / "no" / "thanks", tmp_path / "new" / "lib"
    result = run(
        "configure",
        input=answers("ada", "pw-1234567", str(first), "n", str(second), "y", "", "", ""),
    )
    assert result.exit_code == 0, result.output
    assert not first.parent.exists()
    assert second.is_dir()
    assert json.loads(config.read_text(encoding="utf-8"))["folders"]["base_path"] == str(second)


def test_configure_warns_when_the_environment_overrides_an_answer(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interactive: None
) -> None:
    """A saved value that an environment variable overrides is pointed out."""
    monkeypatch.setenv("SLOOH_DOWNLOAD__THREADS", "2")
    result = run("configure", input=answers("ada", "pw-1234567", str(tmp_path), "", "6", "", "n"))
    assert result.exit_code == 0, result.output
    message = " ".join(result.stderr.split())
    assert "download.threads comes from the environment (SLOOH_DOWNLOAD__THREADS)" in message
