"""A virtual-time asyncio event loop: time stands still while work is ready, and jumps straight
to the next timer when nothing is.

A test that needs minutes of rate budget runs in milliseconds, and every instant it reads is
exact (no scheduler jitter): ``anyio.sleep(60)`` returns at ``current_time() + 60`` exactly.
The loop still waits for real when nothing at all is scheduled (a worker thread or a socket
that will wake it), so code that hands work to threads runs as usual, but a timer pending
while a thread works jumps ahead: use it for code that waits on timers and other tasks only.

Use it through anyio's pytest plugin, whose asyncio backend takes a ``loop_factory``::

    @pytest.fixture
    def anyio_backend() -> AnyioBackend:
        return VIRTUAL_TIME

then read the time with ``anyio.current_time()`` (what aiolimiter and ``anyio.sleep`` read).
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any

__all__ = ["VIRTUAL_TIME", "AnyioBackend", "VirtualTimeLoop"]

AnyioBackend = tuple[str, dict[str, Any]]


class _JumpingSelector(selectors.DefaultSelector):
    """A selector that never sleeps on a timer: it moves the clock forward instead."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer at all: only a thread or a socket can wake us
            return super().select(None)
        self.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` is virtual (starts at 0, moves only by jumps)."""

    def __init__(self) -> None:
        self._jumping = _JumpingSelector()
        super().__init__(self._jumping)

    def time(self) -> float:
        """The virtual time: seconds since the loop was made, as the timers see them."""
        return self._jumping.now


#: the ``anyio_backend`` value that runs a test on a :class:`VirtualTimeLoop`
VIRTUAL_TIME: AnyioBackend = ("asyncio", {"loop_factory": VirtualTimeLoop})
