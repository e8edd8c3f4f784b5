"""``slooh test`` (and configure's login check) against the fake Slooh over loopback sockets."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_config_support import finish, isolate, write_json
from typer.testing import CliRunner, Result

from slooh_async.cli import app
from slooh_async.fake_server import FakeConfig, FakeSlooh

USERNAME = "demo"
PASSWORD = "Fake-Secret-77"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlooh]:
    """One fake Slooh (12 pictures) for the whole module."""
    with FakeSlooh(FakeConfig(pictures=12, username=USERNAME, password=PASSWORD)).running() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Own HOME, config and log file; no rate limit so tests do not wait."""
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("SLOOH_DOWNLOAD__RATE_LIMIT", "0")
    yield
    finish()


def login_env(monkeypatch: pytest.MonkeyPatch, base_url: str, password: str = PASSWORD) -> None:
    """Credentials and service URL through the environment."""
    monkeypatch.setenv("SLOOH_BASE_URL", base_url)
    monkeypatch.setenv("SLOOH_USERNAME", USERNAME)
    monkeypatch.setenv("SLOOH_PASSWORD", password)


def run(*args: str, input: str | None = None) -> Result:
    """``slooh ARGS`` in-process."""
    return CliRunner().invoke(app, list(args), input=input)


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_ok_prints_the_account_table(server: FakeSlooh, monkeypatch: pytest.MonkeyPatch) -> None:
    """Good credentials: exit 0 and a table with the account, count and first picture."""
    login_env(monkeypatch, server.base_url)
    result = run("test")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Login OK" in out and "Demo Observer" in out
    assert "Pictures" in out and "12" in out
    assert "API latency" in out and server.base_url in out
    assert PASSWORD not in result.output


def test_ok_json_has_exactly_the_documented_keys(
    server: FakeSlooh, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--json: ok, account, tier, picture_count, first_picture, latency_seconds, base_url,
    error and exit_code."""
    login_env(monkeypatch, server.base_url)
    result = run("test", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {
        "ok", "account", "tier", "picture_count", "first_picture", "latency_seconds", "base_url",
        "error", "exit_code",
    }  # fmt: skip
    assert doc["ok"] is True and doc["account"] == "Demo Observer"
    assert doc["error"] is None and doc["exit_code"] == 0
    assert doc["picture_count"] == 12 and isinstance(doc["first_picture"], str)
    assert doc["latency_seconds"] >= 0 and doc["base_url"] == server.base_url
    assert PASSWORD not in result.output


def test_bad_password_exits_3_with_the_service_message(
    server: FakeSlooh, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused login exits 3 and shows the service's own reason."""
    login_env(monkeypatch, server.base_url, password="Wrong-Pass-88")
    result = run("test")
    assert result.exit_code == 3
    assert "login failed for 'demo'" in result.stderr
    assert "Invalid username or password" in result.stderr
    assert "Wrong-Pass-88" not in result.output


def test_bad_password_json(server: FakeSlooh, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --json a refused login is {"ok": false, ...} with the same keys, exit 3."""
    login_env(monkeypatch, server.base_url, password="Wrong-Pass-88")
    result = run("test", "--json")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["exit_code"] == 3
    assert doc["account"] is None and "base_url" in doc
    assert "Invalid username or password" in doc["error"]


def test_unreachable_service_exits_4_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody listening: exit 4 within a few seconds (one short retry)."""
    url = f"http://127.0.0.1:{closed_port()}"
    login_env(monkeypatch, url)
    started = time.monotonic()
    result = run("test")
    assert result.exit_code == 4
    assert time.monotonic() - started < 5
    assert f"cannot reach {url}" in result.stderr


def test_missing_credentials_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """No username or password anywhere: exit 2 pointing at configure and the variables."""
    result = run("test")
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "slooh configure" in message and "SLOOH_USERNAME" in message


def test_configure_then_test_the_login(
    server: FakeSlooh, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Answering yes to "Test the login now?" runs the same check as `slooh test`."""
    monkeypatch.setenv("SLOOH_FORCE_INTERACTIVE", "1")
    write_json(tmp_path / "config.json", {"slooh": {"base_url": server.base_url}})
    answers = [USERNAME, PASSWORD, str(tmp_path / "lib"), "y", "", "", "", "y"]
    result = run("configure", input="".join(f"{a}\n" for a in answers))
    assert result.exit_code == 0, result.output
    assert "Login OK" in result.stdout and "Demo Observer" in result.stdout


def test_configure_login_check_failure_exits_3(
    server: FakeSlooh, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A wrong password typed into configure is saved, and the login check then exits 3."""
    monkeypatch.setenv("SLOOH_FORCE_INTERACTIVE", "1")
    write_json(tmp_path / "config.json", {"slooh": {"base_url": server.base_url}})
    answers = [USERNAME, "Typo-Pass-1", str(tmp_path / "lib"), "y", "", "", "", "", "n"]
    result = run("configure", input="".join(f"{a}\n" for a in answers))
    assert result.exit_code == 3
    assert "Invalid username or password" in result.stderr


def test_configure_offers_to_type_the_password_again(
    server: FakeSlooh, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A refused login test offers the username and password again, saves the new ones and
    tests again: exit 0 with the account table."""
    monkeypatch.setenv("SLOOH_FORCE_INTERACTIVE", "1")
    config = write_json(tmp_path / "config.json", {"slooh": {"base_url": server.base_url}})
    lib = tmp_path / "lib"
    lib.mkdir()
    answers = [USERNAME, "Typo-Pass-1", str(lib), "", "", "", "y", "y", "", PASSWORD]
    result = run("configure", "--no-keyring", input="".join(f"{a}\n" for a in answers))
    assert result.exit_code == 0, result.output
    assert "Invalid username or password" in result.stderr
    assert "Type the username and password again?" in result.stderr
    assert "Login OK" in result.stdout
    saved = json.loads(config.read_text(encoding="utf-8"))["slooh"]
    assert saved == {"base_url": server.base_url, "username": USERNAME, "password": PASSWORD}
