"""The one exception tree of slooh-async; the CLI turns each into a red line and an exit code.

```
SloohError (exit 1)
├── ConfigError (2)               bad settings, bad template, malformed config file
├── UsageError (2)                a command-line request that cannot be carried out
├── organizer.PathError (2)       a picture cannot be given a safe path (template too long...)
├── LibraryLockedError (2)        another slooh process works on the same library
├── AuthenticationError (3)       the service refused the credentials
├── ServiceError (4)              the service answered, but not usefully
│   ├── ServiceUnavailableError (4)   unreachable, or kept failing after every retry
│   ├── SessionExpiredError (4)       a re-login did not bring the session back
│   └── AccountError (4)              account expired / membership / forbidden
├── DownloadError (1)             one file could not be fetched (recorded, the run goes on)
├── StorageError (5)              the local disk refused: full, read-only, permission denied
└── NotFoundError (6)             what the command names is not in the account (a mission id)
```

An interrupted run (Ctrl-C, SIGTERM) is not an error: it ends with its summary, saved
state and exit code 130.

Lower-level errors are converted at the boundary with ``raise X(...) from exc``.
Messages never contain secrets: the client redacts before raising.
"""

from __future__ import annotations

__all__ = [
    "AccountError",
    "AuthenticationError",
    "ConfigError",
    "DownloadError",
    "LibraryLockedError",
    "NotFoundError",
    "ServiceError",
    "ServiceUnavailableError",
    "SessionExpiredError",
    "SloohError",
    "StorageError",
    "UsageError",
]


class SloohError(Exception):
    """Base of every error slooh-async raises on purpose."""

    exit_code: int = 1


class ConfigError(SloohError):
    """The configuration (file, environment or options) is invalid."""

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = problems or [message]


class UsageError(SloohError):
    """A command-line request that cannot be carried out as asked."""

    exit_code = 2


class LibraryLockedError(SloohError):
    """Another slooh process holds the library's lock."""

    exit_code = 2


class AuthenticationError(SloohError):
    """The service refused the username or password; carries the service's own message."""

    exit_code = 3


class ServiceError(SloohError):
    """The service answered with an error the client cannot work around."""

    exit_code = 4

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class ServiceUnavailableError(ServiceError):
    """The service could not be reached, or kept failing after every retry."""


class SessionExpiredError(ServiceError):
    """The session ended and logging in again did not bring it back."""


class AccountError(ServiceError):
    """The account cannot do this: expired, membership required or forbidden."""


class DownloadError(SloohError):
    """One file could not be downloaded; the run records it and goes on."""

    exit_code = 1

    def __init__(self, message: str, *, attempts: int = 1) -> None:
        super().__init__(message)
        #: how many tries were made before giving up (recorded in the tracker)
        self.attempts = attempts


class StorageError(SloohError):
    """The local filesystem refused a write: disk full, read-only or permission denied."""

    exit_code = 5


class NotFoundError(SloohError):
    """What the command names is not in the account: an unknown mission id, a telescope
    filter that matches none of the telescopes listed."""

    exit_code = 6
