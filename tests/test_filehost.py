"""FileHost: GET straight to the transport, redirects, decoding, proxies from the environment."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest

from slooh_async.api import RateLimiter, RetryPolicy
from slooh_async.engine import Fetcher
from slooh_async.engine._filehost import CoreTransport, FileHost

pytestmark = pytest.mark.anyio

BODY = bytes(range(256)) * 40


async def read(host: FileHost, url: str, headers: dict[str, str] | None = None) -> bytes:
    async with host.get(url, headers) as response:
        assert response.status_code in (200, 206)
        return b"".join([piece async for piece in FileHost.body(response)])


async def test_redirects_are_followed_with_the_range_and_defaults_kept() -> None:
    """Relative and absolute Locations; Range and the default headers travel along."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/a.png":
            return httpx.Response(302, headers={"Location": "../cdn/a.png?sig=1"})
        if request.url.path == "/cdn/a.png":
            return httpx.Response(307, headers={"Location": "https://other.example/final.png"})
        start = int(request.headers["Range"].removeprefix("bytes=").rstrip("-"))
        return httpx.Response(206, content=BODY[start:])

    async with FileHost(httpx.MockTransport(handler)) as host:
        assert (
            await read(host, "https://img.example/x/../a.png", {"Range": "bytes=10-"}) == BODY[10:]
        )
    assert [str(r.url) for r in seen] == [
        "https://img.example/a.png",
        "https://img.example/cdn/a.png?sig=1",
        "https://other.example/final.png",
    ]
    assert all(r.headers["Range"] == "bytes=10-" for r in seen)
    assert all(r.headers["Accept-Encoding"] == "identity" for r in seen)
    assert seen[-1].headers["Host"] == "other.example"


async def test_a_compressed_body_is_decoded_anyway() -> None:
    """We ask for identity; a host that gzips regardless still yields the file's bytes."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Encoding": "gzip"}, content=gzip.compress(BODY)
        )

    async with FileHost(httpx.MockTransport(handler)) as host:
        assert await read(host, "https://img.example/a.png") == BODY


async def test_too_many_redirects_is_an_httpx_error() -> None:
    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": str(request.url)})

    async with FileHost(httpx.MockTransport(loop), max_redirects=3) as host:
        with pytest.raises(httpx.TooManyRedirects):
            await read(host, "https://img.example/a.png")


async def test_many_small_pieces_land_in_order(tmp_path: Path) -> None:
    """A slow host's tiny pieces: buffered, written in batches (writev), every byte in place."""
    data = bytes(range(251)) * 1000  # 251,000 bytes in 1,000 pieces

    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for offset in range(0, len(data), 251):
                yield data[offset : offset + 251]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": str(len(data))}, stream=Trickle())

    async with FileHost(httpx.MockTransport(handler)) as host:
        fetcher = Fetcher(host, RateLimiter(0), RetryPolicy.no_wait(1))
        result = await fetcher.fetch("https://img.example/a.fits", tmp_path / "a.fits")
    assert (tmp_path / "a.fits").read_bytes() == data and result.size == len(data)


async def test_a_proxy_in_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY is honoured, as httpx's client would: the request goes to the proxy."""
    requests: list[bytes] = []

    async def proxy(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            request = b""
            while b"\r\n\r\n" not in request:
                request += await stream.receive()
            requests.append(request)
            await stream.send(
                b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nvia proxy"
            )

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, proxy)
        async with FileHost(timeout=10) as host:
            assert await read(host, "http://images.invalid/a.png") == b"via proxy"
        tg.cancel_scope.cancel()
    assert requests and requests[0].startswith(b"GET http://images.invalid/a.png HTTP/1.1")


async def test_core_transport_maps_errors_and_replaces_a_closed_idle_connection() -> None:
    """Real sockets: a refused connection is httpx.ConnectError; a keep-alive connection the
    server closed while idle is noticed (one poll) and replaced, the request goes through."""
    served: list[int] = []

    async def server(stream: anyio.abc.SocketStream) -> None:
        async with stream:  # one response per connection, then close it: an idle drop
            request = b""
            while b"\r\n\r\n" not in request:
                request += await stream.receive()
            served.append(1)
            await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await anyio.sleep(0.05)

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, server)
        async with FileHost(CoreTransport(), timeout=10) as host:
            for _ in range(3):
                assert await read(host, f"http://127.0.0.1:{port}/a.png") == b"ok"
                await anyio.sleep(0.2)  # the server has closed the connection by now
        tg.cancel_scope.cancel()
    assert len(served) == 3
    async with FileHost(CoreTransport(), timeout=10) as host:
        with pytest.raises(httpx.ConnectError):
            await read(host, f"http://127.0.0.1:{port}/a.png")  # nobody listens any more


async def test_a_cookie_set_by_a_redirect_goes_to_the_next_hop() -> None:
    """Set-Cookie, then redirect (signed CDN links do this): the cookie is sent along; the
    redirect's short body is read (so a real connection could be kept)."""
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Cookie"))
        if request.url.path == "/a.png":
            return httpx.Response(
                302,
                headers={"Location": "/signed/a.png", "Set-Cookie": "token=abc; Path=/"},
                content=b"moved",
            )
        if request.headers.get("Cookie") != "token=abc":
            return httpx.Response(302, headers={"Location": "/a.png"})
        return httpx.Response(200, content=BODY)

    async with FileHost(httpx.MockTransport(handler)) as host:
        assert await read(host, "https://img.example/a.png") == BODY
    assert seen == [None, "token=abc"]
