"""What a run reports as it goes: small frozen events, emitted to a sink.

The engine never draws anything: it emits events, and whoever runs it chooses the sinks
(the live display, plain lines, JSON lines, the run's summary). An event is plain data; its
``to_json`` is the documented ``--json-lines`` record (docs/events.md), keyed by ``event``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from ..api import Picture
from ..api import WaitReason as BudgetReason

__all__ = [
    "Event",
    "EventSink",
    "Fanout",
    "FileDone",
    "FileFailed",
    "FilePlanned",
    "FileProgress",
    "FileStarted",
    "ListingEnded",
    "ListingPage",
    "Notice",
    "NullSink",
    "Retrying",
    "Waiting",
    "relative_text",
]

PlannedAction = Literal["download", "tracked", "exists", "failed"]
#: the budget's reasons to wait, and a re-login after the session expired
WaitReason = BudgetReason | Literal["login"]


class _Json:
    """``to_json``: the event's name and its fields, paths as text (``_hidden`` fields,
    whole objects for the sinks in the same process, are left out)."""

    __slots__ = ()
    name: ClassVar[str]
    _hidden: ClassVar[frozenset[str]] = frozenset()

    def to_json(self, base: Path | None = None) -> dict[str, Any]:
        """The ``--json-lines`` record; paths inside ``base`` (the library) relative to it."""
        data: dict[str, Any] = {"event": self.name}
        names: tuple[str, ...] = type(self).__slots__
        for key in names:
            if key in self._hidden:
                continue
            value = getattr(self, key)
            data[key] = relative_text(value, base) if isinstance(value, Path) else value
        return data


def relative_text(path: Path, base: Path | None) -> str:
    """``path`` as text, relative to ``base`` when it lies inside it (``/`` separators are
    the platform's own)."""
    if base is not None:
        try:
            return str(path.relative_to(base))
        except ValueError:
            pass
    return str(path)


@dataclass(frozen=True, slots=True)
class ListingPage(_Json):
    """A page of the listing came back; ``total`` is the service's count when it gave one."""

    name: ClassVar[str] = "listed"
    what: str
    page: int
    pages: int | None
    items: int
    total: int | None = None


@dataclass(frozen=True, slots=True)
class ListingEnded(_Json):
    """Listing is over: ``complete`` when it ran to its natural end; ``reason`` says why not
    (or why it stopped early: the rest is already in the library, a repeated page...)."""

    name: ClassVar[str] = "listing_ended"
    complete: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class FilePlanned(_Json):
    """What planning decided for one listed file that matches the request.

    ``download``: queued for ``path``; ``tracked``: done before; ``exists``: a file already
    at ``path`` was adopted; ``failed``: it cannot be placed (``error`` says why). ``note``
    is ``resume`` (a part is there) or ``replace`` (a file there is replaced) for downloads.
    ``picture`` is the listed picture, for sinks that describe the file (sidecars, --exec);
    it is not part of the JSON record.
    """

    name: ClassVar[str] = "planned"
    _hidden: ClassVar[frozenset[str]] = frozenset({"picture"})
    key: str
    file: str
    action: PlannedAction
    path: Path | None = None
    error: str | None = None
    note: str | None = None
    picture: Picture | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FileStarted(_Json):
    """A worker started (or resumed, from ``offset``) a download."""

    name: ClassVar[str] = "started"
    worker: int
    key: str
    file: str
    path: Path
    offset: int = 0


@dataclass(frozen=True, slots=True)
class FileProgress(_Json):
    """Bytes of the file a worker has so far (not written to ``--json-lines``: too chatty)."""

    name: ClassVar[str] = "progress"
    worker: int
    done: int
    total: int | None


@dataclass(frozen=True, slots=True)
class FileDone(_Json):
    """A file is in place at ``path`` (and recorded right after)."""

    name: ClassVar[str] = "done"
    worker: int
    key: str
    file: str
    path: Path
    size: int
    attempts: int


@dataclass(frozen=True, slots=True)
class FileFailed(_Json):
    """A file could not be downloaded; it is recorded as failed (``slooh retry``)."""

    name: ClassVar[str] = "failed"
    worker: int | None
    key: str
    file: str
    error: str
    path: Path | None = None
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class Retrying(_Json):
    """An attempt failed in a way worth another try, after ``wait`` seconds.

    ``key`` is the file's, or ``None`` for an API call (``what`` names it).
    """

    name: ClassVar[str] = "retry"
    what: str
    error: str
    wait: float
    attempt: int
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Waiting(_Json):
    """The run waits ``seconds``: for the rate budget, because the server asked (Retry-After),
    or to log in again. ``scope`` is ``all`` when every request waits."""

    name: ClassVar[str] = "wait"
    reason: WaitReason
    seconds: float
    scope: Literal["all", "one"] = "all"


@dataclass(frozen=True, slots=True)
class Notice(_Json):
    """Something the user should read: a warning about the service's answers, a stop..."""

    name: ClassVar[str] = "notice"
    _hidden: ClassVar[frozenset[str]] = frozenset({"stopping"})
    message: str
    level: Literal["info", "warning"] = "info"
    #: the run is stopping (a first Ctrl-C): a second one ends the process at once
    stopping: bool = False


Event = (
    ListingPage
    | ListingEnded
    | FilePlanned
    | FileStarted
    | FileProgress
    | FileDone
    | FileFailed
    | Retrying
    | Waiting
    | Notice
)


class EventSink(Protocol):
    """Takes the events of a run, in the order they happen (on the event loop: be quick)."""

    def emit(self, event: Event) -> None: ...


class NullSink:
    """Takes events and does nothing with them."""

    def emit(self, event: Event) -> None:
        return None


class Fanout:
    """Hands every event to each of its sinks, in order."""

    def __init__(self, sinks: Iterable[EventSink]) -> None:
        self.sinks = tuple(sinks)

    def emit(self, event: Event) -> None:
        for sink in self.sinks:
            sink.emit(event)
