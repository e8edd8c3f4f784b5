"""``slooh configure`` on a real pseudo-terminal: detected as interactive, password not echoed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pty_support import Terminal
from test_config_support import finish, isolate

pytest.importorskip("termios")
pytest.importorskip("pty")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Own HOME, config and log file; the child gets keyring's "no backend"."""
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    yield
    finish()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_configure_on_a_real_terminal(tmp_path: Path) -> None:
    """On a tty configure asks without SLOOH_FORCE_INTERACTIVE and never echoes the password."""
    with Terminal("configure") as term:
        term.expect("Slooh username")
        term.send("ada")
        term.expect("Slooh password")
        term.wait_for_no_echo()
        term.send("Pty-Secret-5")
        term.expect("Download folder")
        term.send(str(tmp_path / "lib"))
        term.expect("Create it?")
        term.send("y")
        for question in ("batch size", "threads", "per minute"):
            term.expect(question)
            term.send("")
        term.expect("Test the login now?")
        term.send("n")
        assert term.finish() == 0, term.seen
    assert "Pty-Secret-5" not in term.seen
    assert "no usable keyring backend" in term.seen
    data = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert data["slooh"] == {"username": "ada", "password": "Pty-Secret-5"}
    assert data["folders"] == {"base_path": str(tmp_path / "lib")}


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_refused_login_asks_the_password_again_hidden(tmp_path: Path) -> None:
    """After a refused login test, configure asks the password again, hidden, and the new
    one logs in."""
    from slooh_async.fake_server import FakeConfig, FakeSlooh

    with FakeSlooh(FakeConfig(pictures=3, password="Right-Pw-9")).running() as server:
        (tmp_path / "config.json").write_text(
            json.dumps({"slooh": {"base_url": server.base_url}}), encoding="utf-8"
        )
        with Terminal("configure") as term:
            term.expect("Slooh username")
            term.send("demo")
            term.expect("Slooh password")
            term.wait_for_no_echo()
            term.send("Wrong-Pw-1")
            term.expect("Download folder")
            term.send(str(tmp_path))
            for question in ("batch size", "threads", "per minute", "Test the login now?"):
                term.expect(question)
                term.send("")
            term.expect("Type the username and password again?")
            term.send("y")
            term.expect("Slooh username")
            term.send("")
            term.expect("Slooh password")
            term.wait_for_no_echo()
            term.send("Right-Pw-9")
            term.expect("Login OK")
            assert term.finish() == 0, term.seen
    assert "Invalid username or password" in term.seen
    assert "Wrong-Pw-1" not in term.seen and "Right-Pw-9" not in term.seen
    data = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert data["slooh"]["password"] == "Right-Pw-9"
