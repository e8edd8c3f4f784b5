"""Keep secrets out of logs, errors and output.

Two nets: every secret value the process learns (password, session token, ``at``, ``cid``,
``token``) is registered and replaced wherever it appears; and ``key=value`` / ``"key": "value"``
pairs with a secret-looking key are masked even when the value was never registered
(a short ``at`` like ``"7"`` cannot be replaced blindly inside other text).
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["MASK", "RedactingFilter", "redact", "register_secret"]

MASK = "***"
# Only values this long are replaced blindly: shorter ones would mangle ordinary text.
_MIN_BLIND = 6

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None

_PAIR = re.compile(
    r"""(?ix)
    (?<![\w-])(?P<key>["']?(?:passwd|password|at|cid|token|sloohSessionToken|sloohSiteSessionToken|_sloohsstkn)["']?)
    (?P<sep>\s*[:=]\s*)
    (?P<quote>["']?)(?P<value>[^"'&\s,;}]*)
    """
)


def register_secret(*values: str | None) -> None:
    """Remember secret values so :func:`redact` masks them wherever they appear."""
    global _pattern
    with _lock:
        for value in values:
            if value and len(value) >= _MIN_BLIND:
                _secrets.add(value)
        if _secrets:
            ordered = sorted(_secrets, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    """``text`` with registered secrets and secret-keyed values masked."""
    if _pattern is not None:
        text = _pattern.sub(MASK, text)
    return _PAIR.sub(
        lambda m: f"{m['key']}{m['sep']}{m['quote']}{MASK}" if m["value"] else m[0], text
    )


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True
