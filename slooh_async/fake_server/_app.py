"""The raw ASGI app: routes to the API or the download host, applies faults, logs requests.

One app serves both listening sockets; a request on a download port goes to the download host
(``GET``/``HEAD`` of a file path), anything else to the API. Served by any ASGI server; the
runner uses uvicorn.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any

from ._api import (
    ENDPOINTS,
    Answer,
    ApiState,
    check_common,
    check_session,
    error_answer,
    picture_lists,
)
from ._catalog import Catalog
from ._config import FakeConfig
from ._download import DownloadSettings, serve_download
from ._faults import FaultDice, HttpFault
from ._hostile import deep_json, part_named_file, redirect_location
from ._log import Exchange, Receive, RequestLog, Scope, Send, ServerSide
from ._sessions import SessionStore

__all__ = ["FakeSloohApp", "ServerState", "create_app"]

_MAX_BODY = 1 << 20
_HTML_ERRORS = {
    500: b"<html><body><h1>500 Internal Server Error</h1></body></html>",
    503: b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
}


@dataclass
class ServerState:
    """Everything the app reads: built once per server, changed at runtime by the runner.

    ``clock`` is the server's time (sessions' ages, the rate-limit window, the request log's
    ``started``): ``time.monotonic`` unless a test runs the app on a virtual clock.
    """

    config: FakeConfig
    catalog: Catalog
    sessions: SessionStore
    dice: FaultDice
    log: RequestLog = field(default_factory=RequestLog)
    download_ports: set[int] = field(default_factory=set)
    range_support: bool = True
    clock: Callable[[], float] = time.monotonic
    api: ApiState = field(init=False)

    def __post_init__(self) -> None:
        self.api = ApiState(self.config, self.catalog, self.sessions, self.dice, clock=self.clock)
        self.range_support = self.config.range_support

    @classmethod
    def from_config(
        cls, config: FakeConfig, clock: Callable[[], float] = time.monotonic
    ) -> ServerState:
        """Fresh state (catalog, sessions, dice) for a config."""
        cid = str(185000 + config.seed % 1000)
        dice = FaultDice(config.faults, config.seed)
        return cls(config, Catalog(config), SessionStore(cid), dice, clock=clock)


def create_app(
    config: FakeConfig | None = None,
    download_base_url: str = "",
    *,
    clock: Callable[[], float] = time.monotonic,
) -> FakeSloohApp:
    """An app for any ASGI server on one port: ``GET``/``HEAD`` go to the download host.

    ``download_base_url`` (e.g. ``"http://127.0.0.1:8000"``) prefixes the file URLs in listings;
    ``clock`` is the server's time (see :class:`ServerState`).
    """
    state = ServerState.from_config(config or FakeConfig(), clock)
    state.api.download_base = download_base_url.rstrip("/")
    return FakeSloohApp(state)


class FakeSloohApp:
    """The ASGI 3 application."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        port = (scope.get("server") or ("", 0))[1] or 0
        side: ServerSide = "download" if self._is_download(scope, port) else "api"
        exchange = Exchange(scope, side, port, send, self.state.log, self.state.clock)
        if self.state.config.latency:  # a far host: every answer's headers come late
            await asyncio.sleep(self.state.config.latency)
        try:
            if side == "download":
                await self._download(scope, receive, exchange)
            else:
                await self._api(scope, receive, exchange)
        finally:
            exchange.finish()

    def _is_download(self, scope: Scope, port: int) -> bool:
        if self.state.download_ports:
            return port in self.state.download_ports
        return scope["method"] in ("GET", "HEAD")

    async def _download(self, scope: Scope, receive: Receive, exchange: Exchange) -> None:
        state = self.state
        faults = state.dice.faults
        settings = DownloadSettings(state.range_support, faults)
        if scope["method"] not in ("GET", "HEAD"):
            return await _send_json(exchange, error_answer(405, "Method not allowed"), 405)
        path, catalog = scope["path"], state.catalog
        item = catalog.file_at(path) or part_named_file(path, picture_lists(catalog), faults)
        await serve_download(scope, receive, exchange, item, state.dice, settings)

    async def _api(self, scope: Scope, receive: Receive, exchange: Exchange) -> None:
        path = scope["path"]
        route = ENDPOINTS.get(path)
        if scope["method"] != "POST" or route is None:
            status = 405 if route else 404
            return await _send_json(exchange, error_answer(status, "No such endpoint"), status)
        faults = self.state.dice.faults
        location = redirect_location(path, scope.get("query_string", b""), faults)
        if location is not None:
            return await _send_redirect(exchange, faults.redirect_status, location)
        fault = self.state.dice.api_fault(self.state.clock(), path.rsplit("/", 1)[-1])
        if fault is not None:
            return await _send_fault(exchange, fault)
        body = await _read_json(receive)
        if body is None:
            return await _send_json(exchange, error_answer(400, "Body must be a JSON object"), 400)
        exchange.body_keys = tuple(sorted(body))
        handler, needs_common, needs_session = route
        answer = check_common(body) if needs_common else None
        if answer is None and needs_session:
            answer = check_session(self.state.api, body, path)
            if answer is None and faults.deep_json:
                return await _send_raw(exchange, deep_json(), "deep_json")
        if answer is None:
            answer = handler(self.state.api, _with_cookie(scope, body))
        await _send_json(exchange, answer, answer.status)


def _with_cookie(scope: Scope, body: dict[str, Any]) -> dict[str, Any]:
    """The body plus the ``_sloohsstkn`` cookie's value (login accepts the token from it)."""
    for name, value in scope["headers"]:
        if name == b"cookie":
            try:
                cookie = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                return body
            if "_sloohsstkn" in cookie:
                return {**body, "_cookie": cookie["_sloohsstkn"].value}
    return body


async def _read_json(receive: Receive) -> dict[str, Any] | None:
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = bool(message.get("more_body")) and size <= _MAX_BODY
    raw = b"".join(chunks).strip()
    try:
        body = json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


async def _send_json(exchange: Exchange, answer: Answer, status: int) -> None:
    exchange.fault = answer.fault
    data = json.dumps(answer.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(data)).encode()),
        *answer.headers,
    ]
    await exchange.send({"type": "http.response.start", "status": status, "headers": headers})
    await exchange.send({"type": "http.response.body", "body": data})


async def _send_raw(exchange: Exchange, data: bytes, fault: str) -> None:
    """A 200 JSON answer given as bytes (what ``json.dumps`` could not write)."""
    exchange.fault = fault
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(data)).encode()),
    ]
    await exchange.send({"type": "http.response.start", "status": 200, "headers": headers})
    await exchange.send({"type": "http.response.body", "body": data})


async def _send_redirect(exchange: Exchange, status: int, location: str) -> None:
    exchange.fault = "redirect"
    headers = [
        (b"location", location.encode("latin-1")),
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"0"),
    ]
    await exchange.send({"type": "http.response.start", "status": status, "headers": headers})
    await exchange.send({"type": "http.response.body", "body": b""})


async def _send_fault(exchange: Exchange, fault: HttpFault) -> None:
    if fault.status == 429:
        answer = error_answer(429, "Too many requests, slow down", fault.reason)
        answer.headers.extend(fault.headers)
        return await _send_json(exchange, answer, 429)
    exchange.fault = fault.reason
    body = _HTML_ERRORS.get(fault.status, _HTML_ERRORS[500])
    headers = [
        (b"content-type", b"text/html"),
        (b"content-length", str(len(body)).encode()),
        *fault.headers,
    ]
    await exchange.send({"type": "http.response.start", "status": fault.status, "headers": headers})
    await exchange.send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
