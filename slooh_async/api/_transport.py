"""How one API call travels: the rate budget, retries on named failures, redirects kept on the
service's origin, and the answer read once into a JSON object.

:class:`ApiTransport` knows HTTP and the service's envelope of errors, nothing of logins or
pages (:class:`~._client.SloohClient` does those on top of it).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, NamedTuple

import anyio
import httpx

from .._exceptions import AccountError, AuthenticationError, ServiceError, ServiceUnavailableError
from .._redact import redact
from .._version import __version__
from ._models import Envelope
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy, is_retryable_status, parse_retry_after
from ._tls import shared_ssl_context

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_PRODUCT_ID", "Answer", "ApiTransport", "raise_for_envelope"]

DEFAULT_BASE_URL = "https://app.slooh.com"
#: the product id the web app sends (community clients send another; both are accepted)
DEFAULT_PRODUCT_ID = "adfb3d74-e551-11e9-a8f4-06b2ab7e8ae4"

log = logging.getLogger("slooh_async.api")

#: same-origin 307/308 redirects followed for one API call
_MAX_REDIRECTS = 5

_ACCOUNT_CODES = {
    402: "the service asks for credentials again",
    403: "the service forbids this for your account",
    418: "your Slooh account has expired",
    419: "this needs a Slooh membership",
    420: "this needs a higher Slooh membership",
    421: "your Slooh account has expired",
}
#: the envelope of an answer without a JSON object: no error fields
_NO_ENVELOPE = Envelope()


class Answer(NamedTuple):
    """One API answer: its HTTP status, its JSON object, and the error envelope read from it
    (once: the transport reads it to decide on a retry, the client to raise what it says)."""

    status: int
    data: dict[str, Any]
    envelope: Envelope


class ApiTransport:
    """POSTs JSON to the service (``open`` before use, ``close`` after)."""

    def __init__(
        self,
        base_url: str,
        *,
        retry: RetryPolicy,
        limiter: RateLimiter,
        timeout: float = 300.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.origin = httpx.URL(base_url)
        self.retry = retry
        self.limiter = limiter
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 30.0))
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        #: calls made so far, by path
        self.calls: Counter[str] = Counter()
        #: seconds the last answer took
        self.last_latency: float | None = None
        #: told of each retry: (path, why, seconds until the next try, tries so far)
        self.on_retry: Callable[[str, str, float, int], None] | None = None

    async def open(self) -> None:
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=self._transport,
            timeout=self._timeout,
            headers={"User-Agent": f"slooh-async/{__version__}", "Accept": "application/json"},
            # redirects are followed by hand, and only on the service's own origin (_post)
            follow_redirects=False,
            # the first call reads the CA bundle (~30 ms): not on the event loop
            verify=await anyio.to_thread.run_sync(shared_ssl_context),
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def http(self) -> httpx.AsyncClient:
        """The open HTTP client (its cookie jar holds the session cookie)."""
        if self._http is None:
            raise RuntimeError("use SloohClient inside `async with`")
        return self._http

    async def send(self, path: str, body: dict[str, Any]) -> Answer:
        """POST with retries on transport errors, timeouts, 408/429/5xx; returns the answer."""
        attempt = 0
        while True:
            self.calls[path] += 1
            retry_after: float | None = None
            failure: str | None
            try:
                async with self.limiter.slot():  # dated when the answer is in
                    started = time.monotonic()
                    response = await self._post(path, body)
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                failure = f"cannot reach {self.base_url}: {redact(reason)}"
            else:
                self.last_latency = time.monotonic() - started
                log.debug("POST %s -> %d in %.2fs", path, response.status_code, self.last_latency)
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                failure, answer = _read_answer(path, response, self.base_url)
                if failure is None:
                    return answer
            if attempt >= self.retry.max_retries:
                tries = "1 try" if attempt == 0 else f"{attempt + 1} tries"
                raise ServiceUnavailableError(f"{failure} (gave up after {tries})")
            wait = self.retry.delay(attempt, retry_after)
            if retry_after is not None:
                self.limiter.pause(wait)
            log.info("%s; retrying in %.1fs", failure, wait)
            if self.on_retry is not None:
                self.on_retry(path, failure or "", wait, attempt + 1)
            await anyio.sleep(wait)
            attempt += 1

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST, following a redirect only to the service's own origin and only when it keeps
        the call a POST (307, 308): the body carries the password and the session, and must
        never reach another host, nor leave https for http."""
        url = httpx.URL(path)
        for _ in range(_MAX_REDIRECTS + 1):
            response = await self.http.post(url, json=body)
            if not response.is_redirect:
                return response
            target = response.url.join(response.headers["Location"])
            if not _same_origin(target, self.origin):
                raise ServiceError(
                    f"{path}: the service redirected the call to {_origin_of(target)}; "
                    f"API calls only go to {_origin_of(self.origin)} (not followed)"
                )
            if response.status_code not in (307, 308):
                raise ServiceError(
                    f"{path}: the service answered HTTP {response.status_code} (a redirect that "
                    "would drop the call's body; not followed)"
                )
            url = target
        raise ServiceError(f"{path}: the service redirected more than {_MAX_REDIRECTS} times")


def _same_origin(url: httpx.URL, origin: httpx.URL) -> bool:
    return (url.scheme, url.host, url.port) == (origin.scheme, origin.host, origin.port)


def _origin_of(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}"


def _read_answer(
    path: str, response: httpx.Response, base_url: str
) -> tuple[str | None, Answer]:
    """``(failure, answer)``: ``failure`` describes an answer worth retrying; else ``answer``
    holds its JSON object and envelope. An answer that can never be used raises
    :class:`ServiceError`. The body is parsed once, the envelope read once."""
    status = response.status_code
    empty = Answer(status, {}, _NO_ENVELOPE)
    if is_retryable_status(status):
        return f"{path}: HTTP {status}", empty
    if status >= 400 and status != 401:
        what = f"{path}: HTTP {status}"
        raise ServiceError(
            _not_the_api(what, base_url) if status in _NOT_AN_API else what, status_code=status
        )
    try:
        data = response.json()
    except RecursionError:
        raise ServiceError(
            f"{path}: the service's answer could not be read (JSON nested too deeply)"
        ) from None
    except ValueError as exc:
        if status == 401:
            return None, empty
        if status == 200:  # an HTML error page from a proxy: worth another try
            return _not_the_api(f"{path}: the answer was not JSON", base_url), empty
        raise ServiceError(f"{path}: the service's answer could not be read (not JSON)") from exc
    if not isinstance(data, dict):
        if status == 401:
            return None, empty
        raise ServiceError(f"{path}: the service's answer could not be read (not a JSON object)")
    envelope = Envelope.model_validate(data)
    code = envelope.status_code
    if envelope.api_error and code is not None and is_retryable_status(code):
        return f"{path}: service error {code}", empty
    return None, Answer(status, data, envelope)


#: answers that mean the path is not an endpoint there: the base URL is another site
_NOT_AN_API = (404, 405)


def _not_the_api(what: str, base_url: str) -> str:
    """Say what such an answer usually means: ``slooh.base_url`` names another site (the
    image host, the web pages), which has no such endpoint or answers HTML."""
    return (
        f"{what}: {base_url} does not look like the Slooh API "
        f"(check slooh.base_url; the default is {DEFAULT_BASE_URL})"
    )


def raise_for_envelope(path: str, status: int, envelope: Envelope) -> None:
    """Raise what an answer's envelope says went wrong (account problems, ``apiError``)."""
    code = envelope.status_code
    message = redact(envelope.error_msg.strip())
    if code in _ACCOUNT_CODES:
        text = f"{_ACCOUNT_CODES[code]}" + (f": {message}" if message else "")
        if code == 402:
            raise AuthenticationError(text)
        raise AccountError(text, status_code=code)
    if envelope.api_error:
        detail = message or f"error {envelope.error_code or code or 'unknown'}"
        raise ServiceError(f"{path}: the service answered an error: {detail}", status_code=code)
