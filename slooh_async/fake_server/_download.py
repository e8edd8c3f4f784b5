"""The download host: ``GET``/``HEAD`` of a file path, with ranges, ETag and the body faults.

Bodies stream in pieces from :mod:`._bodies` (constant memory whatever the size). A dropped
connection is an app that stops mid-body: the server closes the socket after a short body,
the client sees fewer bytes than ``Content-Length``.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate

from ._bodies import body_bytes, iter_body
from ._catalog import CatalogFile
from ._faults import FaultDice, Faults, HttpFault
from ._hostile import HTML_PAGE, second_version
from ._log import Exchange, Receive, Scope

__all__ = ["DownloadSettings", "parse_range", "quiet_dropped_connections", "serve_download"]

_SMALL = 256 * 1024
_CONTENT_TYPES = {"PNG": b"image/png", "JPEG": b"image/jpeg", "FITS": b"application/fits"}
_UNSATISFIABLE = (-1, -1)
#: Set while a request drops its connection on purpose: the log filter keeps uvicorn quiet.
_DROPPING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "fake_slooh_dropping", default=False
)


@dataclass(frozen=True, slots=True)
class DownloadSettings:
    """The download knobs in force for one request: range support and the fault knobs (the
    dice's, as the request began)."""

    range_support: bool
    faults: Faults


class _DroppedConnectionFilter(logging.Filter):
    """Hides uvicorn's complaint about an incomplete response we cut short on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_DROPPING.get() and "without completing response" in str(record.msg))


_FILTER = _DroppedConnectionFilter()


def quiet_dropped_connections() -> None:
    """Install the filter on uvicorn's error logger (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end exclusive) of a single ``bytes=`` range; ``None`` to ignore it.

    An unsatisfiable range gives ``(-1, -1)``.
    """
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, dash, last = header[6:].strip().partition("-")
    if not dash or not (first.isdigit() or last.isdigit()):
        return None
    if not first:
        suffix = int(last) if last.isdigit() else 0
        return (max(0, size - suffix), size) if suffix > 0 and size > 0 else _UNSATISFIABLE
    start = int(first)
    if last and (not last.isdigit() or int(last) < start):
        return None
    if start >= size:
        return _UNSATISFIABLE
    return start, min(size, int(last) + 1) if last else size


def etag_of(item: CatalogFile) -> str:
    """A strong ETag: fixed per file (seed and size), not a hash of the bytes."""
    return f'"{item.spec.body_seed:016x}-{item.size:x}"'


async def serve_download(
    scope: Scope, receive: Receive, exchange: Exchange, item: CatalogFile | None,
    dice: FaultDice, settings: DownloadSettings,
) -> None:  # fmt: skip
    """Answer one download request."""
    if item is None:
        return await _plain(exchange, 404, b"Not Found")
    names = {item.key, item.filename, str(item.image_id)}
    faults = settings.faults
    if faults.fail_keys & names:
        return await _plain(exchange, 500, b"Internal Server Error", fault="fail_key")
    if faults.busy_keys & names:
        wait = [(b"retry-after", str(faults.retry_after).encode())]
        return await _plain(exchange, faults.busy_status, b"Busy", wait, fault="busy")
    if faults.html_keys & names:
        kind = faults.html_type.encode("latin-1")
        return await _plain(exchange, 200, HTML_PAGE, fault="html", content_type=kind)
    cut: int | None = None
    if faults.changed_keys & names and scope["method"] == "GET":
        if dice.first_time(item.key):  # version 1, cut short half way
            cut = item.size // 2
        else:
            item = second_version(item)
    fault = dice.download_fault()
    if fault is not None:
        return await _fault(exchange, fault)
    ranges = settings.range_support
    span = _requested_span(dict(scope["headers"]), item, ranges, faults.ignore_if_range)
    if span == _UNSATISFIABLE:
        content_range = f"bytes */{item.size}".encode()
        return await _plain(exchange, 416, b"", [(b"content-range", content_range)])
    start, end = span if span else (0, item.size)
    head = _headers(item, start, end, span is not None, settings.range_support)
    await exchange.send(
        {"type": "http.response.start", "status": 206 if span else 200, "headers": head}
    )
    if scope["method"] == "HEAD":
        return await exchange.send({"type": "http.response.body", "body": b""})
    await _stream(exchange, receive, item, (start, end), dice, faults.slow_bytes_per_s, cut)


def _requested_span(
    headers: dict[bytes, bytes], item: CatalogFile, ranges: bool, ignore_if_range: bool = False
) -> tuple[int, int] | None:
    if not ranges or b"range" not in headers:
        return None
    if_range = headers.get(b"if-range")
    stale = if_range is not None and if_range.decode("latin-1") != etag_of(item)
    if stale and not ignore_if_range:
        return None
    return parse_range(headers[b"range"].decode("latin-1"), item.size)


def _headers(
    item: CatalogFile, start: int, end: int, partial: bool, ranges: bool
) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-type", _CONTENT_TYPES.get(item.format, b"application/octet-stream")),
        (b"content-length", str(end - start).encode()),
        (b"etag", etag_of(item).encode()),
        (b"last-modified", formatdate(item.taken_at.timestamp(), usegmt=True).encode()),
        (b"accept-ranges", b"bytes" if ranges else b"none"),
    ]
    if partial:
        headers.append((b"content-range", f"bytes {start}-{end - 1}/{item.size}".encode()))
    return headers


async def _stream(
    exchange: Exchange, receive: Receive, item: CatalogFile, span: tuple[int, int],
    dice: FaultDice, rate: int, cut: int | None = None,
) -> None:  # fmt: skip
    """Send ``[start, end)``, throttled and maybe cut short (then the connection drops);
    ``cut``: drop after that many bytes, whatever the dice say."""
    start, end = span
    cut = dice.drop_point(end - start) if cut is None else min(cut, end - start)
    stop = end if cut is None else start + cut
    if cut is None and not rate and end - start <= _SMALL:
        body = body_bytes(item.spec, start, end)
        return await exchange.send({"type": "http.response.body", "body": body})
    watcher = asyncio.ensure_future(_disconnect(receive))
    clock = asyncio.get_running_loop().time
    began = clock()
    pieces = _pieces(item, start, stop, rate)
    piece = next(pieces, b"")
    try:
        while piece:
            if watcher.done():
                return None
            following = next(pieces, b"")
            # the last piece ends the body at once (and logs the request before the client
            # has it all), not after one more throttle pause
            last = not following and cut is None
            message = {"type": "http.response.body", "body": piece, "more_body": not last}
            await exchange.send(message)
            if last:
                return None
            if rate and (ahead := exchange.bytes_sent / rate - (clock() - began)) > 0:
                await asyncio.sleep(ahead)
            piece = following
        if cut is not None:
            exchange.fault = "drop"
            _DROPPING.set(True)
            return None
        await exchange.send({"type": "http.response.body", "body": b""})
    finally:
        watcher.cancel()


def _pieces(item: CatalogFile, start: int, stop: int, rate: int) -> Iterator[bytes]:
    """The body's pieces; small ones when throttled, so the rate holds within a second (down
    to a byte at a time: a trickle, not silence)."""
    step = max(1, min(64 * 1024, rate // 10)) if rate else 0
    for piece in iter_body(item.spec, start, stop):
        if not step or len(piece) <= step:
            yield piece
            continue
        for offset in range(0, len(piece), step):
            yield piece[offset : offset + step]


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _plain(
    exchange: Exchange,
    status: int,
    body: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
    fault: str = "",
    content_type: bytes = b"text/plain; charset=utf-8",
) -> None:
    exchange.fault = fault
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await exchange.send({"type": "http.response.start", "status": status, "headers": headers})
    await exchange.send({"type": "http.response.body", "body": body})


async def _fault(exchange: Exchange, fault: HttpFault) -> None:
    reasons = {429: b"Too Many Requests", 503: b"Service Unavailable"}
    message = reasons.get(fault.status, b"Internal Server Error")
    await _plain(exchange, fault.status, message, list(fault.headers), fault.reason)
