"""Logging: stderr by verbosity, a rotating file in the user log folder, secrets masked.

The console shows warnings (``--verbose``: info, ``--debug``: everything). The log file
(``slooh.log`` in platformdirs' user log dir, or ``$SLOOH_LOG_FILE``) always keeps INFO and up
(DEBUG with ``--debug``), so a failed night run can be read in the morning. Both handlers pass
every record through :class:`~slooh_async._redact.RedactingFilter`.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import TextIO

from .._redact import RedactingFilter

__all__ = ["LOGGER_NAME", "configure_logging", "log_file_path", "reset_logging"]

LOGGER_NAME = "slooh_async"
LOG_FILE_BYTES = 2_000_000
LOG_FILE_BACKUPS = 3

_FILE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_MARK = "_slooh_handler"


class _ConsoleFormatter(logging.Formatter):
    """``warning: message``, like the CLI's own lines."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return f"{record.levelname.lower()}: {text}"


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to the current ``sys.stderr`` (test runners swap it between commands)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


class _LogFileHandler(logging.handlers.RotatingFileHandler):
    """The rotating log file; a write it cannot make (a full disk) turns it off instead of
    printing a traceback on the console, which keeps saying what happens."""

    def handleError(self, record: logging.LogRecord) -> None:
        self.setLevel(logging.CRITICAL + 1)


def log_file_path() -> Path:
    """Where the rotating log file lives: ``$SLOOH_LOG_FILE`` or the user log folder."""
    if os.environ.get("SLOOH_LOG_FILE"):
        return Path(os.path.expanduser(os.environ["SLOOH_LOG_FILE"]))
    from platformdirs import user_log_path

    return user_log_path("slooh-async", appauthor=False) / "slooh.log"


def configure_logging(console_level: int, *, log_file: Path | None = None) -> None:
    """(Re)configure the ``slooh_async`` logger; safe to call more than once."""
    logger = logging.getLogger(LOGGER_NAME)
    reset_logging()
    file_level = logging.DEBUG if console_level <= logging.DEBUG else logging.INFO
    logger.setLevel(min(file_level, console_level))
    logger.propagate = False

    console = _StderrHandler()
    console.setLevel(console_level)
    console.setFormatter(_ConsoleFormatter("%(message)s"))
    _add(logger, console)

    rotating = _file_handler(log_file or log_file_path())
    if rotating is not None:
        rotating.setLevel(file_level)
        rotating.setFormatter(logging.Formatter(_FILE_FORMAT))
        _add(logger, rotating)


def reset_logging() -> None:
    """Remove the handlers :func:`configure_logging` added and let records propagate again."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(handler)
        handler.close()
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


def _file_handler(path: Path) -> logging.Handler | None:
    """A rotating handler, or ``None`` when the folder cannot be written (console still works)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _LogFileHandler(
            path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"
        )
    except OSError:
        return None


def _add(logger: logging.Logger, handler: logging.Handler) -> None:
    handler.addFilter(RedactingFilter())
    setattr(handler, _MARK, True)
    logger.addHandler(handler)
