"""Run the fake server on real sockets: uvicorn in a background thread with its own event loop.

Both sockets are bound before uvicorn starts (port 0: the OS picks free ones), so the URLs are
known at once and there is no race for a port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import uvicorn

from ._app import FakeSloohApp, ServerState
from ._catalog import Catalog, CatalogFile
from ._config import DEFAULT_PRODUCT_ID, FakeConfig
from ._download import quiet_dropped_connections
from ._faults import Faults
from ._log import RequestRecord, ServerSide

__all__ = ["FakeSlooh"]

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


class FakeSlooh:
    """A fake Slooh (API and download host) on two loopback ports.

    ``with FakeSlooh(FakeConfig(pictures=20)).running() as srv:`` then talk to
    ``srv.base_url`` (API) and ``srv.download_base_url`` (file URLs in listings point there).
    ``clock`` is the server's time (sessions' ages, rate-limit window, request log); a test
    that wants a session to age without waiting passes one it moves itself.
    """

    def __init__(
        self, config: FakeConfig | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config or FakeConfig()
        self.state = ServerState.from_config(self.config, clock)
        self.app = FakeSloohApp(self.state)
        self.base_url = ""
        self.download_base_url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    # ------------------------------------------------------------------ life cycle

    def start(self) -> FakeSlooh:
        """Bind both ports and serve in a background thread; returns once it answers."""
        if self._thread is not None:
            raise RuntimeError("the fake server is already running")
        config = self.config
        sockets = _bind_pair(config.host, config.port, config.download_port)
        api_port, download_port = (sock.getsockname()[1] for sock in sockets)
        public = _public_host(config.host)
        self.base_url = f"http://{public}:{api_port}"
        self.download_base_url = f"http://{public}:{download_port}"
        self.state.download_ports = {download_port}
        self.state.api.download_base = self.download_base_url
        quiet_dropped_connections()
        self._server = uvicorn.Server(_uvicorn_config(self.app))
        self._thread = threading.Thread(
            target=self._serve, args=(sockets,), name="fake-slooh", daemon=True
        )
        self._thread.start()
        self._wait_started()
        return self

    def _serve(self, sockets: list[socket.socket]) -> None:
        try:
            asyncio.run(self._server.serve(sockets=sockets))
        except BaseException as exc:  # raised again by start() or stop(), never lost
            self._error = exc
        finally:
            for sock in sockets:
                sock.close()

    def _wait_started(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        thread = self._thread
        assert thread is not None
        while not self._server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                error, self._error = self._error, None
                self.stop()
                raise RuntimeError("the fake server did not start") from error
            time.sleep(0.002)

    def stop(self) -> None:
        """Stop serving and wait for the thread (idempotent)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        if thread.is_alive():  # pragma: no cover - a response that never ends
            self._server.force_exit = True
            thread.join(_STOP_TIMEOUT)
        error, self._error = self._error, None
        if error is not None:
            raise RuntimeError("the fake server failed while serving") from error

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeSlooh]:
        """Serve for the duration of a ``with`` block."""
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def __enter__(self) -> FakeSlooh:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ knobs

    @property
    def catalog(self) -> Catalog:
        """The account's content (what a complete download must hold)."""
        return self.state.catalog

    @property
    def faults(self) -> Faults:
        """The fault knobs in force."""
        return self.state.dice.faults

    def set_faults(self, faults: Faults | None = None, **changes: Any) -> Faults:
        """Replace the faults (``set_faults(Faults())`` turns all off) or change some knobs.

        The fault dice restart from the seed, so a rerun meets the same faults.
        """
        new = (faults or self.faults).with_changes(**changes) if changes else (faults or Faults())
        self.state.dice.replace(new)
        return new

    @property
    def range_support(self) -> bool:
        """Whether the download host honours ``Range`` (206) or always answers 200."""
        return self.state.range_support

    @range_support.setter
    def range_support(self, value: bool) -> None:
        self.state.range_support = value

    def add_pictures(self, count: int) -> list[CatalogFile]:
        """Add ``count`` newer pictures at the top of the photoRoll."""
        return self.catalog.add_pictures(count)

    def expire_sessions(self) -> None:
        """End every session now (the next call with old credentials meets the expiry mode)."""
        self.state.sessions.expire_all()

    def session_body(self, **fields: Any) -> dict[str, Any]:
        """A body for an authenticated call with a fresh session (no login round trip)."""
        session = self.state.sessions.login(self.state.clock())
        credentials = {"at": session.at, "cid": session.cid, "token": session.token}
        return {"productId": DEFAULT_PRODUCT_ID, "locale": "en", **credentials, **fields}

    def url_of(self, item: CatalogFile) -> str:
        """The download URL of a catalog file (no ``rand`` query)."""
        return f"{self.download_base_url}{item.path}"

    # ------------------------------------------------------------------ request log

    @property
    def request_log(self) -> list[RequestRecord]:
        """A copy of every request so far, oldest first."""
        return self.state.log.records()

    def clear_log(self) -> None:
        """Forget the requests so far."""
        self.state.log.clear()

    def calls(
        self, path: str | None = None, *, server: ServerSide | None = None
    ) -> list[RequestRecord]:
        """Requests to a path (``"/api/images/getMyPictures"`` or just ``"getMyPictures"``)."""
        return self.state.log.calls(path, server=server)

    def wait_for_calls(
        self, path: str, *, count: int = 1, timeout: float = 10.0
    ) -> list[RequestRecord]:
        """Block until ``count`` requests to ``path`` are logged (answered, or cut short)."""
        return self.state.log.wait_for(path, count=count, timeout=timeout)


def _uvicorn_config(app: FakeSloohApp) -> Any:
    return uvicorn.Config(
        app,
        log_config=None,  # leave the host program's logging alone
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=2,
        timeout_keep_alive=30,
    )


def _bind_pair(host: str, port: int, download_port: int) -> list[socket.socket]:
    """The API and download sockets, both or neither."""
    first = _bind(host, port)
    try:
        return [first, _bind(host, download_port)]
    except OSError:
        first.close()
        raise


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say TCP, and
    # without it every answer written in two parts waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _public_host(host: str) -> str:
    """The host name URLs use: loopback when listening on every interface."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
