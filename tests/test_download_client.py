"""The image hosts' client as downloads use it: redirects, decoding, proxies, cookies."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest

from slooh_async.api import RateLimiter, RetryPolicy
from slooh_async.engine import Fetcher, download_client

pytestmark = pytest.mark.anyio

BODY = bytes(range(256)) * 40


async def fetch(transport: httpx.AsyncBaseTransport | None, url: str, dest: Path) -> bytes:
    """Download ``url`` into ``dest`` with the run's client and a fetcher; the file's bytes."""
    async with download_client(timeout=10, transport=transport) as http:
        result = await Fetcher(http, RateLimiter(0), RetryPolicy.no_wait(1)).fetch(url, dest)
    return await anyio.Path(result.path).read_bytes()


async def test_redirects_are_followed_with_the_range_and_defaults_kept(tmp_path: Path) -> None:
    """Relative and absolute Locations; Range, If-Range and the default headers travel along."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/a.dat":
            return httpx.Response(302, headers={"Location": "../cdn/a.dat?sig=1"})
        if request.url.path == "/cdn/a.dat":
            return httpx.Response(307, headers={"Location": "https://other.example/final.dat"})
        start = int(request.headers["Range"].removeprefix("bytes=").rstrip("-"))
        headers = {"ETag": '"v1"', "Content-Range": f"bytes {start}-{len(BODY) - 1}/{len(BODY)}"}
        return httpx.Response(206, headers=headers, content=BODY[start:])

    dest = tmp_path / "a.dat"
    dest.with_name("a.dat.part").write_bytes(BODY[:10])
    dest.with_name("a.dat.part.meta").write_text('{"etag": "\\"v1\\"", "last_modified": null}')
    assert await fetch(httpx.MockTransport(handler), "https://img.example/x/../a.dat", dest) == BODY
    assert [str(r.url) for r in seen] == [
        "https://img.example/a.dat",
        "https://img.example/cdn/a.dat?sig=1",
        "https://other.example/final.dat",
    ]
    assert all(r.headers["Range"] == "bytes=10-" for r in seen)
    assert all(r.headers["If-Range"] == '"v1"' for r in seen)
    assert all(r.headers["Accept-Encoding"] == "identity" for r in seen)
    assert seen[-1].headers["Host"] == "other.example"


async def test_a_compressed_body_is_decoded_anyway(tmp_path: Path) -> None:
    """We ask for identity; a host that gzips regardless still yields the file's bytes."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Encoding": "gzip"}, content=gzip.compress(BODY)
        )

    got = await fetch(httpx.MockTransport(handler), "https://img.example/a", tmp_path / "a")
    assert got == BODY


async def test_many_small_pieces_land_in_order(tmp_path: Path) -> None:
    """A slow host's tiny pieces: buffered, written in 1 MiB pieces, every byte in place."""
    data = b"SIMPLE  =" + bytes(range(251)) * 1000  # in 1,000 pieces

    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for offset in range(0, len(data), 251):
                yield data[offset : offset + 251]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": str(len(data))}, stream=Trickle())

    dest = tmp_path / "a.fits"
    assert await fetch(httpx.MockTransport(handler), "https://img.example/a.fits", dest) == data


async def test_a_proxy_in_the_environment_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """HTTP_PROXY is honoured: the request goes to the proxy (a real one on loopback)."""
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
        assert await fetch(None, "http://images.invalid/a.txt", tmp_path / "a.txt") == b"via proxy"
        tg.cancel_scope.cancel()
    assert requests and requests[0].startswith(b"GET http://images.invalid/a.txt HTTP/1.1")


async def test_a_cookie_set_by_a_redirect_goes_to_the_next_hop(tmp_path: Path) -> None:
    """Set-Cookie, then redirect (signed CDN links do this): the cookie is sent along."""
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Cookie"))
        if request.url.path == "/a.dat":
            return httpx.Response(
                302,
                headers={"Location": "/signed/a.dat", "Set-Cookie": "token=abc; Path=/"},
                content=b"moved",
            )
        if request.headers.get("Cookie") != "token=abc":
            return httpx.Response(302, headers={"Location": "/a.dat"})
        return httpx.Response(200, content=BODY)

    got = await fetch(httpx.MockTransport(handler), "https://img.example/a.dat", tmp_path / "a.dat")
    assert got == BODY
    assert seen == [None, "token=abc"]
