"""Logging: console by verbosity, a rotating log file, secrets masked in both."""

from __future__ import annotations

import errno
import io
import logging
import logging.handlers
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_config_support import finish, isolate
from typer.testing import CliRunner

from slooh_async._redact import register_secret
from slooh_async.cli import app
from slooh_async.cli._logging import (
    LOG_FILE_BACKUPS,
    LOG_FILE_BYTES,
    configure_logging,
    log_file_path,
    reset_logging,
)

log = logging.getLogger("slooh_async.test")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Own HOME and log file; logging handlers removed afterwards."""
    isolate(monkeypatch, tmp_path)
    yield
    finish()


def _ours() -> list[logging.Handler]:
    return logging.getLogger("slooh_async").handlers


def _file_text(path: Path) -> str:
    for handler in _ours():
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_log_file_path_honours_the_environment(tmp_path: Path) -> None:
    """SLOOH_LOG_FILE chooses the log file."""
    assert log_file_path() == tmp_path / "logs" / "slooh.log"


def test_default_log_file_is_in_the_user_log_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without SLOOH_LOG_FILE the log is slooh.log in platformdirs' user log folder."""
    monkeypatch.delenv("SLOOH_LOG_FILE")
    from platformdirs import user_log_path

    assert log_file_path() == user_log_path("slooh-async", appauthor=False) / "slooh.log"


def test_default_level_warns_on_console_and_keeps_info_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Normal runs: warnings on stderr, info and up in the file, debug nowhere."""
    path = tmp_path / "a.log"
    configure_logging(logging.WARNING, log_file=path)
    log.debug("debug-line")
    log.info("info-line")
    log.warning("warning-line")
    err = capsys.readouterr().err
    assert "warning: warning-line" in err and "info-line" not in err
    text = _file_text(path)
    assert "info-line" in text and "warning-line" in text and "debug-line" not in text


def test_debug_level_records_everything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--debug: debug lines on the console and in the file."""
    path = tmp_path / "a.log"
    configure_logging(logging.DEBUG, log_file=path)
    log.debug("debug-line")
    assert "debug: debug-line" in capsys.readouterr().err
    assert "debug-line" in _file_text(path)


def test_secrets_are_masked_on_console_and_in_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Registered secrets and password=... pairs never reach a log line."""
    path = tmp_path / "a.log"
    register_secret("Sup3r-Secret-Token")
    configure_logging(logging.INFO, log_file=path)
    log.warning("token %s in body", "Sup3r-Secret-Token")
    log.warning("sent password=hunter2&x=1")
    err = capsys.readouterr().err
    text = _file_text(path)
    for output in (err, text):
        assert "Sup3r-Secret-Token" not in output and "hunter2" not in output
        assert "token *** in body" in output and "password=***" in output


def test_tracebacks_are_masked(tmp_path: Path) -> None:
    """An exception's text is redacted in the file's traceback too."""
    path = tmp_path / "a.log"
    register_secret("Trace-Secret-99")
    configure_logging(logging.INFO, log_file=path)
    try:
        raise RuntimeError("failed with Trace-Secret-99")
    except RuntimeError:
        log.exception("boom")
    text = _file_text(path)
    assert "Trace-Secret-99" not in text and "RuntimeError: failed with ***" in text


def test_reconfiguring_does_not_duplicate_handlers(tmp_path: Path) -> None:
    """Calling configure_logging twice leaves one console and one file handler."""
    configure_logging(logging.WARNING, log_file=tmp_path / "a.log")
    configure_logging(logging.INFO, log_file=tmp_path / "a.log")
    kinds = sorted(type(h).__name__ for h in _ours())
    assert kinds == ["_LogFileHandler", "_StderrHandler"]


def test_the_file_rotates(tmp_path: Path) -> None:
    """The log file is a rotating file with a size cap and a few backups."""
    configure_logging(logging.WARNING, log_file=tmp_path / "a.log")
    (rotating,) = [h for h in _ours() if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert (rotating.maxBytes, rotating.backupCount) == (LOG_FILE_BYTES, LOG_FILE_BACKUPS)


def test_unwritable_log_folder_keeps_the_console(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """When the log folder cannot be created, logging still works on the console."""
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    configure_logging(logging.WARNING, log_file=blocker / "sub" / "a.log")
    log.warning("still-here")
    assert "still-here" in capsys.readouterr().err
    assert [type(h).__name__ for h in _ours()] == ["_StderrHandler"]


def test_reset_restores_propagation(tmp_path: Path) -> None:
    """reset_logging removes our handlers and lets records reach the root logger again."""
    configure_logging(logging.WARNING, log_file=tmp_path / "a.log")
    reset_logging()
    logger = logging.getLogger("slooh_async")
    assert logger.propagate and _ours() == []


@pytest.mark.parametrize(
    ("flags", "console_level", "file_level"),
    [
        ([], logging.WARNING, logging.INFO),
        (["--verbose"], logging.INFO, logging.INFO),
        (["-v"], logging.INFO, logging.INFO),
        (["--debug"], logging.DEBUG, logging.DEBUG),
    ],
)
def test_cli_verbosity_flags(
    tmp_path: Path, flags: list[str], console_level: int, file_level: int
) -> None:
    """--verbose and --debug (before the command) set the console and file levels."""
    result = CliRunner().invoke(app, [*flags, "config", "path"])
    assert result.exit_code == 0, result.output
    levels = {type(h).__name__: h.level for h in _ours()}
    assert levels == {"_StderrHandler": console_level, "_LogFileHandler": file_level}
    assert (tmp_path / "logs" / "slooh.log").exists()


def test_a_log_file_that_cannot_be_written_goes_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log file the disk refuses (full) stops taking records; no "Logging error" traceback."""
    configure_logging(logging.WARNING, log_file=tmp_path / "slooh.log")
    (handler,) = [h for h in _ours() if isinstance(h, logging.handlers.RotatingFileHandler)]
    handler.close()
    setattr(handler, "stream", _FullDisk())  # noqa: B010 (the stub types it as a real file)
    logging.getLogger("slooh_async.test").error("first")
    logging.getLogger("slooh_async.test").error("second")
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    assert err.count("error: first") == 1 and err.count("error: second") == 1


class _FullDisk(io.StringIO):
    """A stream on a full disk: every write is refused."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(
    ("args", "level"),
    [
        (["config", "path"], logging.WARNING),
        (["config", "path", "--json"], logging.ERROR),
        (["--verbose", "config", "path", "--json"], logging.INFO),
        (["config", "path", "--json", "--debug"], logging.DEBUG),
    ],
)
def test_a_command_sets_logging_up_once_by_all_its_options(
    monkeypatch: pytest.MonkeyPatch, args: list[str], level: int
) -> None:
    """Logging is configured once a command, when its own options and the global ones (before
    or after the command) are all known: the log file is opened once, at the right level."""
    from slooh_async.cli import _logging

    levels: list[int] = []
    monkeypatch.setattr(_logging, "configure_logging", levels.append)
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert levels == [level]
