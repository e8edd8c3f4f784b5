"""Ctrl-C and SIGTERM, on every platform: an async stream for the pipeline, a flag for
synchronous commands.

anyio's :func:`anyio.open_signal_receiver` needs the event loop's ``add_signal_handler``, which
the asyncio loops of Windows do not have (``NotImplementedError``). There the signals are
caught with :func:`signal.signal` instead: the handler only hands the number to the loop with
``call_soon_threadsafe`` (a handler may run between any two bytecodes of the loop's own code,
so it must touch nothing else), and the loop delivers it to the stream like anyio would.

Synchronous commands (``slooh reorganize``) use :func:`stop_requested`: the first signal asks
the work to stop at its next safe point, a second one raises ``KeyboardInterrupt`` at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from types import FrameType, TracebackType
from typing import Any

import anyio

__all__ = ["STOP_SIGNALS", "open_stop_signals", "stop_requested"]

log = logging.getLogger("slooh_async.signals")

#: the signals that ask a run to stop: Ctrl-C, a service manager's SIGTERM, Windows' Ctrl-Break
STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
if sys.platform == "win32":
    STOP_SIGNALS += (signal.SIGBREAK,)


@contextmanager
def open_stop_signals(
    signals: tuple[signal.Signals, ...] = STOP_SIGNALS,
) -> Iterator[AsyncIterator[int]]:
    """The signals as they arrive, while the block runs; their previous handlers come back
    after it. Must be entered in the event loop's thread (the main thread)."""
    with ExitStack() as stack:
        yield _receive(stack, signals)


@contextmanager
def stop_requested(
    signals: tuple[signal.Signals, ...] = STOP_SIGNALS,
) -> Iterator[Callable[[], bool]]:
    """While the block runs, the yielded callable says whether a signal asked to stop; a
    second signal raises ``KeyboardInterrupt``. For synchronous work in the main thread."""
    caught: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)  # nothing else here: the handler may interrupt any line
        if len(caught) > 1:
            raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, handler) for signum in signals}
    try:
        yield lambda: bool(caught)
    finally:
        for signum, handler_before in previous.items():
            signal.signal(signum, handler_before)


def _receive(stack: ExitStack, signals: tuple[signal.Signals, ...]) -> AsyncIterator[int]:
    receiver = anyio.open_signal_receiver(*signals)
    try:
        return stack.enter_context(receiver)
    except NotImplementedError:
        receiver.__exit__(None, None, None)  # undo whatever it set up before refusing
    log.debug("the event loop takes no signal handlers: catching signals with signal.signal")
    return stack.enter_context(_HandlerSignals(signals))


class _HandlerSignals:
    """Signals caught by :func:`signal.signal` handlers and passed to the running asyncio loop."""

    def __init__(self, signals: tuple[signal.Signals, ...]) -> None:
        self._signals = signals
        self._loop = asyncio.get_running_loop()
        # a few pending signals are plenty: the pipeline acts on the first two
        self._send, self._receive = anyio.create_memory_object_stream[int](8)
        self._previous: dict[int, Any] = {}

    def _caught(self, signum: int, frame: FrameType | None) -> None:
        with suppress(RuntimeError):  # the loop is closing: nothing is left to stop
            self._loop.call_soon_threadsafe(self._deliver, signum)

    def _deliver(self, signum: int) -> None:
        with suppress(anyio.WouldBlock, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._send.send_nowait(signum)

    def __enter__(self) -> _HandlerSignals:
        for signum in self._signals:
            self._previous[signum] = signal.signal(signum, self._caught)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._send.close()
        self._receive.close()

    def __aiter__(self) -> _HandlerSignals:
        return self

    async def __anext__(self) -> int:
        try:
            return await self._receive.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None
