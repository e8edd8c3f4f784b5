"""The request log: one record per request, readable from the test thread.

Records carry the names of the JSON body's keys, never their values (so no password is kept).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Exchange", "Receive", "RequestLog", "RequestRecord", "Scope", "Send", "ServerSide"]

ServerSide = Literal["api", "download"]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the fake server answered.

    ``started`` is the server's clock (``time.monotonic()`` unless the app was given another)
    when it arrived, ``wall`` the ``time.time()`` then; ``fault`` names what went wrong on
    purpose (``""`` when nothing did): ``error``, ``429``, ``rate_limit``, ``drop``,
    ``fail_key``, ``fail_endpoint``, ``expired``, ``unauthorized``, ``bad_credentials``.
    """

    method: str
    path: str
    query: str
    server: ServerSide
    port: int
    status: int
    started: float
    wall: float
    duration: float
    body_keys: tuple[str, ...] = ()
    range: str | None = None
    bytes_sent: int = 0
    fault: str = ""

    @property
    def endpoint(self) -> str:
        """The last path segment (``getMyPictures``, or the downloaded file's name)."""
        return self.path.rsplit("/", 1)[-1]


class RequestLog:
    """A thread-safe, append-only list of :class:`RequestRecord`; a thread can wait for one."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        """Append one record (and wake whoever waits for it)."""
        with self._lock:
            self._records.append(record)
            self._lock.notify_all()

    def wait_for(
        self, path: str, *, count: int = 1, timeout: float = 10.0
    ) -> list[RequestRecord]:
        """Block until ``count`` requests to ``path`` are logged, and return them all.

        A request is logged when its answer has gone out or was cut short, so this is how a
        test learns that the server noticed a client that gave up. ``TimeoutError`` after
        ``timeout`` seconds.
        """
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.calls(path)) >= count, timeout):
                raise TimeoutError(f"fewer than {count} requests to {path} in {timeout} s")
            return self.calls(path)

    def records(self) -> list[RequestRecord]:
        """A copy of every record so far, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()

    def calls(
        self, path: str | None = None, *, server: ServerSide | None = None
    ) -> list[RequestRecord]:
        """Records for a path (exact, or its last segment such as ``"getMyPictures"``)."""
        return [
            record
            for record in self.records()
            if (path is None or record.path == path or record.endpoint == path)
            and (server is None or record.server == server)
        ]


class Exchange:
    """One request and its answer: passes messages to the server and logs the request.

    The record is added *before* the last body message goes out, so a client that has its
    answer always finds the request in the log. Handlers set :attr:`fault` and
    :attr:`body_keys`; an answer cut short is logged by :meth:`finish`.
    """

    __slots__ = ("_clock", "_logged", "_send", "body_keys", "bytes_sent", "fault", "log",
                 "port", "scope", "side", "started", "status", "wall")  # fmt: skip

    def __init__(
        self,
        scope: Scope,
        side: ServerSide,
        port: int,
        send: Send,
        log: RequestLog,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scope, self.side, self.port, self.log = scope, side, port, log
        self._clock = clock
        self.started, self.wall = clock(), time.time()
        self._send = send
        self._logged = False
        self.status = 0
        self.bytes_sent = 0
        self.fault = ""
        self.body_keys: tuple[str, ...] = ()

    async def send(self, message: MutableMapping[str, Any]) -> None:
        """Send one ASGI message, counting body bytes; log before the last one."""
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            # Headers alone complete a HEAD answer or an empty body: the client may be done.
            if self.scope["method"] == "HEAD" or (b"content-length", b"0") in message["headers"]:
                self.finish()
        else:
            self.bytes_sent += len(message.get("body", b""))
            if not message.get("more_body", False):
                self.finish()
        await self._send(message)

    def finish(self) -> None:
        """Add the request's record to the log (once)."""
        if self._logged:
            return
        self._logged = True
        headers = dict(self.scope["headers"])
        ranged = headers.get(b"range")
        self.log.add(
            RequestRecord(
                method=self.scope["method"],
                path=self.scope["path"],
                query=self.scope.get("query_string", b"").decode("latin-1"),
                server=self.side,
                port=self.port,
                status=self.status,
                started=self.started,
                wall=self.wall,
                duration=self._clock() - self.started,
                body_keys=self.body_keys,
                range=ranged.decode("latin-1") if ranged is not None else None,
                bytes_sent=self.bytes_sent,
                fault=self.fault,
            )
        )
