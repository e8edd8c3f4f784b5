# ruff: noqa: ASYNC109  (httpcore's network interfaces take `timeout` arguments)
"""The image hosts as the downloads see them: one transport, straight to it.

A download needs one ``GET`` (with ``Range`` when resuming), redirects followed, and the body
as it comes. ``httpx.AsyncClient`` adds per request what a file host never needs here (merged
defaults, cookie jars, auth flows, event hooks, re-chunking of the body): about a third of
the HTTP cost of a small file. :class:`FileHost` sends each request to the transport itself
and follows redirects on its own; with a proxy in the environment it goes through a client,
which knows how to pick one.

The default transport (:class:`CoreTransport`) is httpx's own, minus two costs: it hands
requests to an ``httpcore`` pool directly, and its connections remember their socket, where
httpcore asks anyio for it (building every socket attribute, ``getpeername`` included) each
time it checks that an idle connection is still open, that is on every request.

The transport is injected like the API client's (``httpx.MockTransport`` in tests).
"""

from __future__ import annotations

import select
import ssl
import sys
import urllib.request
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpcore
import httpx

from ..api import shared_ssl_context

__all__ = ["CoreTransport", "FileHost", "REDIRECT_STATUSES"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_HEADERS = {"Accept-Encoding": "identity", "User-Agent": "slooh-async"}


def _proxies_in_environment() -> bool:
    """Whether ``HTTP(S)_PROXY`` / ``ALL_PROXY`` (any case) ask for a proxy."""
    return any(scheme in ("http", "https", "all") for scheme in urllib.request.getproxies())


class FileHost:
    """``GET`` from the image hosts through one transport (one connection by default).

    ``async with host.get(url, {"Range": "bytes=10-"}) as response:`` gives the final
    response of any redirects, its body not read yet: iterate :meth:`body`.
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        timeout: float = 300.0,
        max_redirects: int = 20,
        connections: int = 1,
    ) -> None:
        timeouts = httpx.Timeout(timeout, connect=min(30.0, timeout))
        self._extensions: dict[str, Any] = {"timeout": timeouts.as_dict()}
        self.max_redirects = max_redirects
        #: with a proxy in the environment, a client picks it (and honours NO_PROXY)
        self._client: httpx.AsyncClient | None = None
        self._transport: httpx.AsyncBaseTransport | None = transport
        if transport is None and _proxies_in_environment():
            limits = httpx.Limits(
                max_connections=connections, max_keepalive_connections=connections
            )
            self._client = httpx.AsyncClient(limits=limits, timeout=timeouts)
        elif transport is None:
            self._transport = CoreTransport(connections=connections)

    async def __aenter__(self) -> FileHost:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        if self._transport is not None:
            await self._transport.aclose()

    @asynccontextmanager
    async def get(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """The response to ``GET url`` after redirects (at most ``max_redirects``), closed on
        exit. Raises httpx's errors: ``InvalidURL``, ``UnsupportedProtocol``,
        ``TooManyRedirects``, ``TransportError``..."""
        response = await self._send(httpx.URL(url), {**_DEFAULT_HEADERS, **(headers or {})})
        try:
            yield response
        finally:
            await response.aclose()

    @staticmethod
    def body(response: httpx.Response) -> AsyncIterator[bytes]:
        """The body as the transport delivers it (decoded only if the host compressed it)."""
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity") or not isinstance(
            response.stream, httpx.AsyncByteStream
        ):
            return response.aiter_bytes()
        return response.stream.__aiter__()

    async def _send(self, url: httpx.URL, headers: dict[str, str]) -> httpx.Response:
        cookies: httpx.Cookies | None = None  # set by a redirect, sent to the next hop
        for _ in range(self.max_redirects + 1):
            request = httpx.Request("GET", url, headers=headers, extensions=self._extensions)
            if cookies:
                cookies.set_cookie_header(request)
            if self._transport is not None:
                response = await self._transport.handle_async_request(request)
                response.request = request
            else:
                assert self._client is not None
                response = await self._client.send(request, stream=True)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return response
            if "Set-Cookie" in response.headers:
                cookies = cookies or httpx.Cookies()
                cookies.extract_cookies(response)
            await _discard(response)
            url = url.join(location.strip())
        raise httpx.TooManyRedirects(
            f"more than {self.max_redirects} redirects", request=response.request
        )


async def _discard(response: httpx.Response) -> None:
    """Close a redirect; a short body is read first, so the connection stays open for the
    next hop (an unread response makes httpcore close it)."""
    try:
        if 0 <= int(response.headers.get("Content-Length", "-1")) < _SMALL_BODY:
            await response.aread()
    except (ValueError, httpx.HTTPError):
        pass  # only a kept connection is lost
    finally:
        await response.aclose()


_SMALL_BODY = 64 * 1024


# --------------------------------------------------------------------------- the transport

_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    # most specific first: the first match wins
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _httpx_errors() -> Iterator[None]:
    """httpcore's exceptions as httpx's, as ``httpx.AsyncHTTPTransport`` maps them."""
    try:
        yield
    except httpcore.ConnectionNotAvailable:
        raise
    except Exception as exc:
        for source, target in _ERRORS:
            if isinstance(exc, source):
                raise target(str(exc)) from exc
        raise


class CoreTransport(httpx.AsyncBaseTransport):
    """An HTTP/1.1 transport on an ``httpcore`` pool, as ``httpx.AsyncHTTPTransport`` without
    its options (proxies come through :class:`FileHost`'s client path)."""

    def __init__(self, *, connections: int = 1, keepalive_expiry: float = 5.0) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=shared_ssl_context(),
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=keepalive_expiry,
            network_backend=_Backend(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        url = request.url
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            response = await self._pool.handle_async_request(core)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors():
            async for piece in self._stream:
                yield piece

    async def aclose(self) -> None:
        await self._stream.aclose()


class _Backend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, its streams wrapped in :class:`_Stream`."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _Stream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _Stream(httpcore.AsyncNetworkStream):
    """A connection that knows its socket: "is it still open?" is one ``poll``."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


def _readable(sock: Any) -> bool:
    """True when the socket has data or is closed: an idle HTTP/1.1 connection then is dead."""
    if sock is None or sock.fileno() < 0:
        return True
    if sys.platform == "win32" or not hasattr(select, "poll"):
        ready, _, _ = select.select([sock], [], [], 0)
        return bool(ready)
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
