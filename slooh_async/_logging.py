"""Logging: stderr by verbosity, a rotating file in the user log folder, secrets masked.

The log file (``slooh.log`` in platformdirs' user log dir, or ``$SLOOH_LOG_FILE``) always
keeps INFO and up (DEBUG with ``--debug``), so a failed night run can be read in the morning.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from ._redact import RedactingFilter

__all__ = ["configure_logging", "log_file_path"]

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_MARK = "_slooh_handler"


def log_file_path() -> Path:
    """Where the rotating log file lives."""
    if os.environ.get("SLOOH_LOG_FILE"):
        return Path(os.path.expanduser(os.environ["SLOOH_LOG_FILE"]))
    from platformdirs import user_log_path

    return user_log_path("slooh-async", appauthor=False) / "slooh.log"


def configure_logging(console_level: int, *, log_file: Path | None = None) -> None:
    """(Re)configure the ``slooh_async`` logger; safe to call more than once."""
    logger = logging.getLogger("slooh_async")
    for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.DEBUG if console_level <= logging.DEBUG else logging.INFO)
    logger.propagate = False

    console = logging.StreamHandler()
    console.setLevel(console_level)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    _add(logger, console)

    path = log_file or log_file_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8", delay=True
        )
    except OSError:
        return  # no writable log folder: the console still gets everything that matters
    rotating.setLevel(logging.DEBUG if console_level <= logging.DEBUG else logging.INFO)
    rotating.setFormatter(logging.Formatter(_FORMAT))
    _add(logger, rotating)


def _add(logger: logging.Logger, handler: logging.Handler) -> None:
    handler.addFilter(RedactingFilter())
    setattr(handler, _MARK, True)
    logger.addHandler(handler)
