"""SloohClient: the only code that speaks to the Slooh web API.

One ``httpx.AsyncClient`` (transport injectable), one shared :class:`RateLimiter`, retries on
named failures only, and single-flight re-login when the session ends, loudly (401) or
silently (an empty answer in the middle of a scan).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import httpx

from .._exceptions import (
    AuthenticationError,
    ServiceError,
    SessionExpiredError,
)
from .._redact import redact, register_secret
from ._models import (
    GravityStatus,
    LoginResult,
    Mission,
    MissionFits,
    MissionsPage,
    Picture,
    PicturesPage,
)
from ._pagination import PageCursor, PageInfo
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy
from ._transport import (
    DEFAULT_BASE_URL,
    DEFAULT_PRODUCT_ID,
    Answer,
    ApiTransport,
    raise_for_envelope,
)

__all__ = ["PageCallback", "SloohClient"]


PageT = TypeVar("PageT", PicturesPage, MissionsPage)

log = logging.getLogger("slooh_async.api")

#: told about each page of a scan as it comes back
PageCallback = Callable[[PageInfo], None]



@dataclass(frozen=True, repr=False)
class _Credentials:
    at: str
    cid: str
    token: str
    session_token: str
    generation: int
    logged_in_at: float

    def __repr__(self) -> str:
        return f"<credentials generation={self.generation}>"


class SloohClient:
    """Async client of the Slooh web API (``async with SloohClient(...) as client``)."""

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        username: str | None = None,
        password: str | None = None,
        product_id: str = DEFAULT_PRODUCT_ID,
        locale: str = "en",
        timeout: float = 300.0,
        rate_limit: int = 30,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self.product_id = product_id
        self.locale = locale
        self._wire = ApiTransport(
            self.base_url,
            retry=retry or RetryPolicy(),
            limiter=limiter or RateLimiter(rate_limit),
            timeout=timeout,
            transport=transport,
        )
        self._creds: _Credentials | None = None
        self._generation = 0
        self._login_lock = anyio.Lock()
        self._proof = (0, 0)
        self.account: LoginResult | None = None
        #: told when the session ended and the client logs in again (a display says so)
        self.on_relogin: Callable[[], None] | None = None
        register_secret(password)

    @property
    def on_retry(self) -> Callable[[str, str, float, int], None] | None:
        """Told of each API call retried: (path, why, seconds until the next try, tries)."""
        return self._wire.on_retry

    @on_retry.setter
    def on_retry(self, hook: Callable[[str, str, float, int], None] | None) -> None:
        self._wire.on_retry = hook

    def __repr__(self) -> str:
        return f"SloohClient(base_url={self.base_url!r}, username={self.username!r})"

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        await self._wire.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._wire.close()

    @property
    def retry(self) -> RetryPolicy:
        """How API calls are retried."""
        return self._wire.retry

    @property
    def limiter(self) -> RateLimiter:
        """The rate budget every API call goes through."""
        return self._wire.limiter

    @property
    def calls(self) -> Counter[str]:
        """API calls made so far, by path."""
        return self._wire.calls

    @property
    def last_latency(self) -> float | None:
        """Seconds the last API answer took."""
        return self._wire.last_latency

    @property
    def logged_in(self) -> bool:
        """True once a login succeeded."""
        return self._creds is not None

    # ------------------------------------------------------------------ authentication

    async def get_session_token(self) -> str:
        """A fresh site session token (also kept as the ``_sloohsstkn`` cookie)."""
        # the web app posts an empty body; the common fields are harmless and some servers want them
        data = await self._checked("/api/app/generateSessionToken", self._common())
        token = (
            data.get("sloohSessionToken")
            or data.get("sloohSiteSessionToken")
            or self._client().cookies.get("_sloohsstkn")
        )
        if not token:
            raise ServiceError("the service gave no session token")
        token = str(token)
        register_secret(token)
        # scoped to the service's host: a cookie without a domain goes to every host
        self._client().cookies.set("_sloohsstkn", token, domain=self._wire.origin.host)
        return token

    async def login(self, username: str | None = None, password: str | None = None) -> LoginResult:
        """Log in; raises :class:`AuthenticationError` with the service's own message."""
        if username is not None:
            self.username = username
        if password is not None:
            self._password = password
            register_secret(password)
        async with self._login_lock:
            return await self._login()

    async def _login(self) -> LoginResult:
        if not self.username or not self._password:
            raise AuthenticationError(
                "no Slooh username or password: run `slooh configure` or set "
                "SLOOH_USERNAME and SLOOH_PASSWORD"
            )
        session_token = await self.get_session_token()
        body = {
            **self._common(),
            "sloohSiteSessionToken": session_token,
            "sloohSessionToken": session_token,
            "username": self.username,
            "passwd": self._password,
        }
        _, data, envelope = await self._send("/api/users/login", body)
        result = LoginResult.model_validate(data)
        if result.login_error or envelope.api_error or not result.at or not result.token:
            reason = result.error_msg or envelope.error_msg or "the service refused the login"
            raise AuthenticationError(f"login failed for {self.username!r}: {redact(reason)}")
        register_secret(result.at, result.cid, result.token)
        self._generation += 1
        self._creds = _Credentials(
            at=result.at,
            cid=result.cid or "",
            token=result.token,
            session_token=session_token,
            generation=self._generation,
            logged_in_at=time.monotonic(),
        )
        self.account = result
        log.info("logged in as %s", self.username)
        return result

    async def _relogin(self, generation: int) -> None:
        """Log in again unless another caller already did since ``generation``."""
        async with self._login_lock:
            if self._creds is not None and self._creds.generation != generation:
                return
            log.info("session ended; logging in again")
            if self.on_relogin is not None:
                self.on_relogin()
            self._creds = None
            await self._login()

    async def _ensure_login(self) -> _Credentials:
        if self._creds is None:
            async with self._login_lock:
                if self._creds is None:
                    await self._login()
        assert self._creds is not None
        return self._creds

    # ------------------------------------------------------------------ endpoints (one page)

    async def get_user_gravity_status(self) -> GravityStatus:
        """The account's display name, tier and points."""
        data = await self._call("/api/newdashboard/getUserGravityStatus", {})
        return GravityStatus.model_validate(data)

    async def get_missions(self, first: int = 1, max_count: int = 50) -> MissionsPage:
        """One page of missions (``firstMissionNumber`` is 1-based)."""
        fields = {"firstMissionNumber": first, "maxMissionCount": max_count, "pagingMode": "api"}
        page = MissionsPage.model_validate(await self._call("/api/images/getMissionImages", fields))
        if page.missions:
            self._proven()
        return page

    async def get_pictures(
        self, first: int = 1, max_count: int = 50, mission_id: int = 0
    ) -> PicturesPage:
        """One page of pictures: the photoRoll (newest first), or one mission's pictures."""
        fields = {
            "firstImageNumber": first,
            "maxImageCount": max_count,
            "viewType": "missions" if mission_id else "photoRoll",
            "scheduledMissionId": mission_id,
            "pagingMode": "api",
        }
        page = PicturesPage.model_validate(await self._call("/api/images/getMyPictures", fields))
        if page.pictures:
            self._proven()
        return page

    async def get_mission_fits(self, mission_id: int, *, verify_empty: bool = True) -> MissionFits:
        """The FITS groups of a mission.

        A dead session answers an empty list too, so an empty answer is double-checked
        (``verify_empty``) unless the caller confirms it later with :meth:`liveness`.
        """
        fits = await self._fits(mission_id)
        if verify_empty and not _has_fits(fits) and not await self.confirm_session():
            fits = await self._fits(mission_id)
        return fits

    async def _fits(self, mission_id: int) -> MissionFits:
        data = await self._call("/api/images/getMissionFITS", {"scheduledMissionId": mission_id})
        fits = MissionFits.model_validate(data)
        if _has_fits(fits):
            self._proven()
        return fits

    @property
    def session_generation(self) -> int:
        """Which login the current credentials come from (grows with every re-login)."""
        return self._creds.generation if self._creds else 0

    def liveness(self) -> tuple[int, int]:
        """(generation, sequence) of the last answer that had content, proving the session.

        Sessions never come back to life, so an empty answer is genuine when a later answer
        of the same generation had content.
        """
        return self._proof

    def _proven(self) -> None:
        self._proof = (self.session_generation, self._proof[1] + 1)

    async def confirm_session(self) -> bool:
        """Ask for one picture: True when the session is alive, else log in again (False)."""
        generation = self.session_generation
        page = await self.get_pictures(1, 1)
        if page.pictures or page.total_count:
            return self.session_generation == generation
        await self._relogin(generation)
        return False

    # ------------------------------------------------------------------ scans (async generators)

    async def iter_picture_pages(
        self,
        batch_size: int = 50,
        mission_id: int = 0,
        start: int = 1,
        *,
        on_page: PageCallback | None = None,
    ) -> AsyncGenerator[list[Picture], None]:
        """Pages of pictures from position ``start``, newest first, each picture exactly once.

        Every picture carries its 1-based ``position`` in the listing. A scan that stops
        before its natural end (a repeated page, the page cap, a page that breaks the
        contract) says why in the last :class:`PageInfo`'s ``problem``; a first page that
        breaks the contract raises :class:`ServiceError` (nothing usable came back).
        """
        cursor = PageCursor(start=start, batch_size=batch_size)
        while not cursor.done:
            page = await self._scan_page(
                cursor, lambda: self.get_pictures(cursor.first, batch_size, mission_id)
            )
            _check_contract("getMyPictures", page, cursor)
            offsets = cursor.receive([picture.key for picture in page.pictures], page.total_count)
            if on_page:
                on_page(cursor.info("pictures", len(page.pictures)))
            fresh = [
                page.pictures[offset].model_copy(
                    update={
                        "position": cursor.position_of(offset),
                        "url": self._absolute(page.pictures[offset].url),
                    }
                )
                for offset in offsets
            ]
            if fresh:
                yield fresh

    async def iter_pictures(
        self,
        batch_size: int = 50,
        mission_id: int = 0,
        start: int = 1,
        *,
        on_page: PageCallback | None = None,
    ) -> AsyncIterator[Picture]:
        """Every picture from position ``start``, newest first, each exactly once."""
        async for page in self.iter_picture_pages(batch_size, mission_id, start, on_page=on_page):
            for picture in page:
                yield picture

    async def iter_missions(
        self, batch_size: int = 50, *, on_page: PageCallback | None = None
    ) -> AsyncGenerator[Mission, None]:
        """Every mission, each exactly once."""
        cursor = PageCursor(start=1, batch_size=batch_size)
        while not cursor.done:
            page = await self._scan_page(
                cursor, lambda: self.get_missions(cursor.first, batch_size)
            )
            _check_contract("getMissionImages", page, cursor)
            keys = [str(mission.mission_id or mission.title) for mission in page.missions]
            offsets = cursor.receive(keys, page.total_count)
            if on_page:
                on_page(cursor.info("missions", len(page.missions)))
            for offset in offsets:
                yield page.missions[offset]

    async def iter_mission_fits(
        self, mission_id: int, parent: Picture | None = None, *, verify_empty: bool = True
    ) -> AsyncIterator[Picture]:
        """The FITS frames of a mission as pictures (title, telescope, time from ``parent``)."""
        parent = parent or Picture.model_validate({"scheduledMissionId": mission_id})
        seen: set[str] = set()
        fits = await self.get_mission_fits(mission_id, verify_empty=verify_empty)
        for group in fits.groups:
            for entry in group.entries:
                if not entry.url:
                    continue
                entry = entry.model_copy(update={"url": self._absolute(entry.url)})
                frame = parent.fits_frame(entry, group.name or None)
                if frame.key not in seen:
                    seen.add(frame.key)
                    yield frame

    async def _scan_page(self, cursor: PageCursor, fetch: Callable[[], Awaitable[PageT]]) -> PageT:
        """Fetch one page; an unexpected empty answer is a silent expiry: re-login once."""
        generation = self._creds.generation if self._creds else 0
        page = await fetch()
        if not cursor.looks_expired(_items(page), page.total_count, self._session_age()):
            return page
        log.info(
            "empty page %d in the middle of a scan: the session may have ended", cursor.pages + 1
        )
        await self._relogin(generation)
        page = await fetch()
        # still empty: a count of "0" means the session is still dead; anything else is the end
        if cursor.looks_expired(_items(page), page.total_count, 0.0) and page.total_count == 0:
            raise SessionExpiredError("the session ended and logging in again did not restore it")
        return page

    def _session_age(self) -> float:
        return time.monotonic() - self._creds.logged_in_at if self._creds else 0.0

    # ------------------------------------------------------------------ transport

    def _client(self) -> httpx.AsyncClient:
        return self._wire.http

    async def _send(self, path: str, body: dict[str, Any]) -> Answer:
        return await self._wire.send(path, body)

    def _absolute(self, url: str) -> str:
        """Download URLs are absolute; a relative one is taken relative to the service."""
        url = url.strip()
        if url.startswith("//"):
            return f"{httpx.URL(self.base_url).scheme}:{url}"
        if url.startswith("/"):
            return f"{self.base_url}{url}"
        return url

    def _common(self) -> dict[str, Any]:
        return {"productId": self.product_id, "locale": self.locale}

    def _authenticated(self, creds: _Credentials, fields: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._common(),
            "at": creds.at,
            "cid": creds.cid,
            "token": creds.token,
            "sloohSiteSessionToken": creds.session_token,
            "sloohSessionToken": creds.session_token,
            **fields,
        }

    async def _call(self, path: str, fields: dict[str, Any]) -> dict[str, Any]:
        """An authenticated call; a session error triggers one re-login and one repeat."""
        relogged = False
        while True:
            creds = await self._ensure_login()
            status, data, envelope = await self._send(path, self._authenticated(creds, fields))
            if status == 401 or envelope.status_code == 401:
                if relogged:
                    raise SessionExpiredError(
                        f"{path}: the session ended and logging in again did not restore it",
                        status_code=401,
                    )
                await self._relogin(creds.generation)
                relogged = True
                continue
            raise_for_envelope(path, status, envelope)
            return data

    async def _checked(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        status, data, envelope = await self._send(path, body)
        raise_for_envelope(path, status, envelope)
        return data

def _check_contract(what: str, page: PicturesPage | MissionsPage, cursor: PageCursor) -> None:
    """A page whose list breaks the contract ends the scan: with an error when nothing usable
    came back before it, else with the reason (the pages before it are kept)."""
    if page.problem is None:
        return
    reason = f"{what}: the service's answer did not match the contract ({page.problem})"
    if not cursor.had_items:
        raise ServiceError(f"{reason}; nothing could be listed")
    cursor.stop(f"{reason}; listing stopped at page {cursor.pages + 1}")


def _has_fits(fits: MissionFits) -> bool:
    return any(group.entries for group in fits.groups)


def _items(page: PicturesPage | MissionsPage) -> int:
    return len(page.pictures) if isinstance(page, PicturesPage) else len(page.missions)
