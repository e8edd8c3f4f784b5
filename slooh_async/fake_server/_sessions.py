"""Session tokens, logins and their expiry.

A login issues ``at`` / ``cid`` / ``token``; every authenticated call names them in its body.
A session expires after ``expire_after_calls`` authenticated calls or ``expire_after_seconds``
since its login (whichever comes first); an expired session stays expired, a new login gives
new credentials that work.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ._faults import Faults

__all__ = ["Session", "SessionCheck", "SessionStore"]


class SessionCheck(Enum):
    """What the credentials in a body amount to."""

    VALID = "valid"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class Session:
    """One login's credentials and how much it has been used."""

    at: str
    cid: str
    token: str
    created: float
    calls: int = 0
    expired: bool = False


class SessionStore:
    """Issued site tokens and sessions; thread-safe (tests read it too)."""

    def __init__(self, cid: str, at: str = "3") -> None:
        self._lock = threading.Lock()
        self._cid = cid
        self._at = at
        self._site_tokens: set[str] = set()
        self._sessions: dict[str, Session] = {}

    def issue_site_token(self) -> str:
        """A new ``sloohSessionToken`` (what ``generateSessionToken`` hands out)."""
        token = secrets.token_hex(16)
        with self._lock:
            self._site_tokens.add(token)
        return token

    def knows_site_token(self, token: str | None) -> bool:
        """Whether a site token was issued here."""
        with self._lock:
            return token is not None and token in self._site_tokens

    def login(self, now: float) -> Session:
        """A fresh session."""
        session = Session(self._at, self._cid, secrets.token_hex(20), now)
        with self._lock:
            self._sessions[session.token] = session
        return session

    def check(self, body: dict[str, Any], faults: Faults, now: float) -> SessionCheck:
        """Validate ``at``/``cid``/``token`` of a body and count the call against the session."""
        with self._lock:
            session = self._sessions.get(str(body.get("token", "")))
            if (
                session is None
                or str(body.get("at")) != session.at
                or str(body.get("cid")) != session.cid
            ):
                return SessionCheck.UNKNOWN
            if session.expired or _due(session, faults, now):
                session.expired = True
                return SessionCheck.EXPIRED
            session.calls += 1
            return SessionCheck.VALID

    def expire_all(self) -> None:
        """End every session now (as if the account logged in on another device)."""
        with self._lock:
            for session in self._sessions.values():
                session.expired = True

    @property
    def sessions(self) -> list[Session]:
        """Every session issued so far (copies are not made: read, don't change)."""
        with self._lock:
            return list(self._sessions.values())


def _due(session: Session, faults: Faults, now: float) -> bool:
    by_calls = faults.expire_after_calls and session.calls >= faults.expire_after_calls
    by_time = faults.expire_after_seconds and now - session.created >= faults.expire_after_seconds
    return bool(by_calls or by_time)
