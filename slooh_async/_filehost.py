"""The image hosts as the downloads see them: one transport, straight to it.

A download needs one ``GET`` (with ``Range`` when resuming), redirects followed, and the body
as it comes. ``httpx.AsyncClient`` adds per request what a file host never needs here (merged
defaults, cookie jars, auth flows, event hooks, re-chunking of the body): about a third of
the HTTP cost of a small file. :class:`FileHost` sends each request to the transport itself
and follows redirects on its own; with a proxy in the environment it goes through a client,
which knows how to pick one.

The transport is injected like the API client's (``httpx.MockTransport`` in tests).
"""

from __future__ import annotations

import urllib.request
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

__all__ = ["FileHost", "REDIRECT_STATUSES"]

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
        headers: Mapping[str, str] | None = None,
        max_redirects: int = 20,
        connections: int = 1,
    ) -> None:
        self._timeout = httpx.Timeout(timeout, connect=min(30.0, timeout))
        self._extensions: dict[str, Any] = {"timeout": self._timeout.as_dict()}
        self._headers = {**_DEFAULT_HEADERS, **(headers or {})}
        self.max_redirects = max_redirects
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._client: httpx.AsyncClient | None = None
        if transport is None and _proxies_in_environment():
            self._client = httpx.AsyncClient(limits=limits, timeout=self._timeout)
        self._transport = transport or httpx.AsyncHTTPTransport(limits=limits)

    async def __aenter__(self) -> FileHost:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        await self._transport.aclose()

    @asynccontextmanager
    async def get(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """The response to ``GET url`` after redirects (at most ``max_redirects``), closed on
        exit. Raises httpx's errors: ``InvalidURL``, ``UnsupportedProtocol``,
        ``TooManyRedirects``, ``TransportError``..."""
        response = await self._send(httpx.URL(url), {**self._headers, **(headers or {})})
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
        for _ in range(self.max_redirects + 1):
            request = httpx.Request("GET", url, headers=headers, extensions=self._extensions)
            if self._client is not None:
                response = await self._client.send(request, stream=True)
            else:
                response = await self._transport.handle_async_request(request)
                response.request = request
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return response
            await response.aclose()
            url = url.join(location.strip())
        raise httpx.TooManyRedirects(
            f"more than {self.max_redirects} redirects", request=response.request
        )
