"""Fault knobs of the fake server and the seeded dice that decide when they fire.

:class:`Faults` is a frozen value (replace it with :meth:`FakeSlooh.set_faults`); :class:`FaultDice`
holds the seeded RNG and the sliding window of ``api_max_per_minute``, and is only used on the
server's event loop (its lock guards against a test thread swapping the faults mid-decision).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field, fields, replace
from email.utils import formatdate
from typing import Any, Literal

__all__ = [
    "MALFORMED_KINDS",
    "SET_KNOBS",
    "ExpiryMode",
    "FaultDice",
    "FaultScope",
    "Faults",
    "HttpFault",
]

ExpiryMode = Literal["silent", "401"]
FaultScope = Literal["api", "downloads", "both"]

_RATES = ("error_rate", "rate_429", "drop_rate", "retry_after_date_rate")
#: knobs holding names (file keys, endpoints...), joined by ``+`` on the command line
_KEY_SETS = (
    "fail_keys",
    "fail_endpoints",
    "html_keys",
    "busy_keys",
    "changed_keys",
    "redirect_paths",
)
#: what ``malformed_items`` can break in a photoRoll item, in the order they are applied
MALFORMED_KINDS = ("huge_id", "bad_url", "bad_port", "odd_types", "part_name")
#: every knob that holds a set of names
SET_KNOBS = (*_KEY_SETS, "malformed_items")
_LIST_SHAPES = ("list", "null", "object", "string")


@dataclass(frozen=True)
class Faults:
    """What goes wrong, and how often; every knob is off by default.

    Rates are probabilities per request (0..1). ``scope`` says where ``error_rate`` and
    ``rate_429`` apply. ``fail_keys`` holds picture image ids, FITS file names or file keys
    (``fits:{mission}:{name}``) whose download answers 500 until removed; ``fail_endpoints``
    holds API endpoint names (``getMissionImages``) that answer 500 until removed.
    """

    error_rate: float = 0.0
    rate_429: float = 0.0
    scope: FaultScope = "both"
    retry_after: int = 1
    retry_after_date_rate: float = 0.25
    drop_rate: float = 0.0
    slow_bytes_per_s: int = 0
    expire_after_calls: int = 0
    expire_after_seconds: float = 0.0
    expiry_mode: ExpiryMode = "silent"
    bad_credentials: bool = False
    fail_keys: frozenset[str] = field(default_factory=frozenset)
    fail_endpoints: frozenset[str] = field(default_factory=frozenset)
    api_max_per_minute: int = 0
    # -- a hostile service (docs/fake-server.md, "A hostile service")
    html_keys: frozenset[str] = field(default_factory=frozenset)
    html_type: str = "text/html"
    busy_keys: frozenset[str] = field(default_factory=frozenset)
    busy_status: int = 503
    changed_keys: frozenset[str] = field(default_factory=frozenset)
    ignore_if_range: bool = False
    malformed_items: frozenset[str] = field(default_factory=frozenset)
    repeat_pages: bool = False
    total_count: str = ""
    image_list: str = "list"
    deep_json: bool = False
    api_redirect: str = ""
    redirect_paths: frozenset[str] = field(default_factory=frozenset)
    redirect_status: int = 307

    def __post_init__(self) -> None:
        for name in _RATES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {getattr(self, name)!r}")
        if self.scope not in ("api", "downloads", "both"):
            raise ValueError(f"scope must be api, downloads or both, not {self.scope!r}")
        if self.expiry_mode not in ("silent", "401"):
            raise ValueError(f"expiry_mode must be silent or 401, not {self.expiry_mode!r}")
        numbers = ("retry_after", "slow_bytes_per_s", "expire_after_calls", "api_max_per_minute")
        for name in (*numbers, "expire_after_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in SET_KNOBS:
            object.__setattr__(self, name, frozenset(str(key) for key in getattr(self, name)))
        self._check_hostile()

    def _check_hostile(self) -> None:
        unknown = self.malformed_items - set(MALFORMED_KINDS)
        if unknown:
            raise ValueError(
                f"malformed_items knows {', '.join(MALFORMED_KINDS)}, not {', '.join(unknown)}"
            )
        if self.image_list not in _LIST_SHAPES:
            raise ValueError(f"image_list must be one of {', '.join(_LIST_SHAPES)}")
        if self.busy_status not in (429, 503):
            raise ValueError("busy_status must be 429 or 503")
        if self.redirect_status not in (301, 302, 303, 307, 308):
            raise ValueError("redirect_status must be a redirect (301, 302, 303, 307 or 308)")

    @property
    def malformed_order(self) -> tuple[str, ...]:
        """The ``malformed_items`` kinds asked for, in :data:`MALFORMED_KINDS` order: the
        n-th breaks the listed item at position n."""
        return tuple(kind for kind in MALFORMED_KINDS if kind in self.malformed_items)

    @classmethod
    def parse(cls, text: str) -> Faults:
        """Faults from ``"error_rate=0.2,expiry_mode=401,fail_keys=17262680+m1_x.fit"``."""
        values: dict[str, Any] = {}
        known = {item.name: item for item in fields(cls)}
        for part in filter(None, (piece.strip() for piece in text.split(","))):
            name, sep, raw = part.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in known:
                raise ValueError(f"unknown fault {part!r}; known: {', '.join(sorted(known))}")
            values[name] = _convert(name, raw.strip(), cls.__dataclass_fields__[name].default)
        return cls(**values)

    def with_changes(self, **changes: Any) -> Faults:
        """A copy with some knobs changed (validated again)."""
        return replace(self, **changes)


def _convert(name: str, raw: str, default: Any) -> Any:
    if name in SET_KNOBS:
        return frozenset(key for key in raw.split("+") if key)
    if isinstance(default, bool):
        if raw.lower() not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
            raise ValueError(f"{name} wants true or false, not {raw!r}")
        return raw.lower() in {"true", "1", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


@dataclass(frozen=True, slots=True)
class HttpFault:
    """An answer a fault replaces the real one with."""

    status: int
    reason: str
    headers: tuple[tuple[bytes, bytes], ...] = ()


class FaultDice:
    """The seeded RNG and the rate-limit window: every fault decision goes through here."""

    def __init__(self, faults: Faults, seed: int) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._faults = faults
        self._rng = random.Random(f"faults:{seed}")
        self._window: deque[float] = deque()
        self._served: set[str] = set()

    @property
    def faults(self) -> Faults:
        """The knobs in force."""
        return self._faults

    def replace(self, faults: Faults) -> None:
        """Swap the knobs; the dice start over from the seed so reruns repeat."""
        with self._lock:
            self._faults = faults
            self._rng = random.Random(f"faults:{self._seed}")
            self._window.clear()
            self._served.clear()

    def first_time(self, key: str) -> bool:
        """True the first time a file is asked for since the knobs were set (``changed_keys``:
        its first answer is the old version)."""
        with self._lock:
            if key in self._served:
                return False
            self._served.add(key)
            return True

    def api_fault(self, now: float, endpoint: str = "") -> HttpFault | None:
        """The fault an API call meets, if any: the server-side limit first, then a failing
        endpoint, then the dice."""
        with self._lock:
            limited = self._rate_limited(now)
            if limited is not None:
                return limited
            if endpoint in self._faults.fail_endpoints:
                return HttpFault(500, "fail_endpoint")
            if self._faults.scope == "downloads":
                return None
            return self._roll()

    def download_fault(self) -> HttpFault | None:
        """The fault a download meets, if any (500, 503 or 429)."""
        with self._lock:
            if self._faults.scope == "api":
                return None
            return self._roll()

    def drop_point(self, length: int) -> int | None:
        """How many body bytes to send before dropping the connection; ``None``: no drop."""
        with self._lock:
            if length <= 0 or self._rng.random() >= self._faults.drop_rate:
                return None
            return self._rng.randrange(0, length)

    def _rate_limited(self, now: float) -> HttpFault | None:
        limit = self._faults.api_max_per_minute
        if limit <= 0:
            return None
        while self._window and self._window[0] <= now - 60.0:
            self._window.popleft()
        if len(self._window) >= limit:
            wait = max(1, math.ceil(self._window[0] + 60.0 - now))
            return HttpFault(429, "rate_limit", ((b"retry-after", str(wait).encode()),))
        self._window.append(now)
        return None

    def _roll(self) -> HttpFault | None:
        faults = self._faults
        if faults.error_rate and self._rng.random() < faults.error_rate:
            if self._rng.random() < 0.5:
                return HttpFault(500, "error")
            return HttpFault(503, "error", (self._retry_after(),))
        if faults.rate_429 and self._rng.random() < faults.rate_429:
            return HttpFault(429, "429", (self._retry_after(),))
        return None

    def _retry_after(self) -> tuple[bytes, bytes]:
        seconds = self._faults.retry_after
        if self._rng.random() < self._faults.retry_after_date_rate:
            # An HTTP date has whole seconds: round up so the wait is never shorter.
            when = formatdate(math.ceil(time.time()) + seconds, usegmt=True)
            return b"retry-after", when.encode()
        return b"retry-after", str(seconds).encode()
