"""Assembles one run from settings: client, tracker session, planner, fetcher, pipeline.

The CLI commands ``download``, ``mission``, ``retry`` and ``demo`` all end here, so they share
one path from configuration to files on disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from anyio import CancelScope, get_cancelled_exc_class, to_thread

from ..api import RateLimiter, RetryPolicy, SloohClient, WaitReason
from ..config import DownloadSettings, Settings
from ..organizer import FileOrganizer
from ..tracker import Tracker
from ._events import EventSink, NullSink, Retrying, Waiting
from ._pipeline import Pipeline
from ._planning import DownloadRequest, Planner
from ._storage import Fetcher, download_client
from ._summary import RunSummary

__all__ = ["RunOptions", "budget", "client_from_settings", "run_download"]

log = logging.getLogger("slooh_async.runner")


@dataclass(frozen=True)
class RunOptions:
    """How to run, besides what to fetch: the command's name and its plumbing.

    ``on_quit`` is called (from a worker thread) when a second Ctrl-C is about to end the
    process at once: the command line restores the terminal there.
    """

    command: str = "download"
    handle_signals: bool = False
    on_quit: Callable[[], None] | None = None
    retry: RetryPolicy | None = None
    api_transport: httpx.AsyncBaseTransport | None = None
    download_transport: httpx.AsyncBaseTransport | None = None


#: how a run's tracker session ends
SessionEnd = Literal["completed", "interrupted", "failed"]

#: library_state flag: the last complete sync listed the FITS files too
FITS_SYNCED = "fits_synced"


def _incremental_allowed(tracker: Tracker, request: DownloadRequest, check_tracker: bool) -> bool:
    """Listing may stop at the first page already in the library: no gaps behind it, and the
    run neither asks to see everything (--full-scan, --all) nor distrusts the tracker."""
    if request.full_scan or request.redownload_all or not check_tracker:
        return False
    if tracker.needs_full_scan():
        return False
    return request.fits == "without" or tracker.flag(FITS_SYNCED, default=False)


def _mark_synced(tracker: Tracker, request: DownloadRequest) -> None:
    tracker.set_needs_full_scan(False)
    tracker.set_flag(FITS_SYNCED, request.fits != "without")


def retry_policy(download: DownloadSettings) -> RetryPolicy:
    """The retries the settings ask for (``download.max_retries``, ``download.retry_delay``)."""
    return RetryPolicy(max_retries=download.max_retries, base_delay=download.retry_delay)


def client_from_settings(settings: Settings, **kwargs: Any) -> SloohClient:
    """The API client the settings describe (``kwargs``: retry, limiter, transport...)."""
    slooh, download = settings.slooh, settings.download
    kwargs.setdefault("retry", retry_policy(download))
    kwargs.setdefault("rate_limit", download.rate_limit)
    return SloohClient(
        base_url=slooh.base_url,
        username=slooh.username,
        password=slooh.password.get_secret_value() if slooh.password else None,
        product_id=slooh.product_id,
        locale=slooh.locale,
        timeout=download.timeout,
        **kwargs,
    )


def budget(settings: Settings, events: EventSink) -> tuple[RateLimiter, RateLimiter]:
    """The limiters of a run: (API calls, file downloads). One budget for every request
    unless ``download_rate_limit`` splits the downloads off; waits become events."""

    def tell(seconds: float, reason: WaitReason) -> None:
        events.emit(Waiting(reason, seconds))

    download = settings.download
    api = RateLimiter(download.rate_limit, on_wait=tell)
    if download.download_rate_limit is None:
        return api, api
    return api, RateLimiter(download.download_rate_limit, on_wait=tell)


async def _start_session(tracker: Tracker, command: str) -> int:
    """A tracker session for the run; a sync (not a retry) is incomplete until it ends well."""
    session_id = await to_thread.run_sync(tracker.start_session, command)
    if command != "retry":
        await to_thread.run_sync(tracker.set_needs_full_scan, True)
    return session_id


async def run_download(
    settings: Settings,
    tracker: Tracker,
    request: DownloadRequest,
    *,
    events: EventSink | None = None,
    options: RunOptions | None = None,
) -> RunSummary:
    """One complete run; the tracker session ends completed, interrupted or failed.

    The run logs in first: a refused login (``AuthenticationError``) or a service that cannot
    be reached (``ServiceUnavailableError``) is raised from here before any tracker session
    is opened. Errors after that end the run as its summary's ``fatal``.
    """
    options = options or RunOptions()
    sink = events or NullSink()
    download = settings.download
    retry = options.retry or retry_policy(download)
    writes = not request.dry_run
    incremental = await to_thread.run_sync(
        _incremental_allowed, tracker, request, download.check_tracker
    )
    session_id: int | None = None
    status: SessionEnd = "failed"
    pipeline: Pipeline | None = None

    def quit_now() -> None:  # a second Ctrl-C: the process ends right after this
        if options.on_quit is not None:
            options.on_quit()
        if session_id is not None and pipeline is not None:
            _end_session(tracker, session_id, "interrupted", pipeline.summary)

    try:
        async with AsyncExitStack() as stack:
            api_budget, files_budget = budget(settings, sink)
            client = await stack.enter_async_context(
                client_from_settings(
                    settings, retry=retry, limiter=api_budget, transport=options.api_transport
                )
            )
            client.on_relogin = lambda: sink.emit(Waiting("login", 0.0))
            client.on_retry = lambda path, why, wait, tries: sink.emit(
                Retrying(path.rsplit("/", 1)[-1], why.removeprefix(f"{path}: "), wait, tries)
            )
            # a refused login or an unreachable service ends the run here: one error, and
            # no session in the tracker for a run that never started
            await client.login()
            if writes:
                session_id = await _start_session(tracker, options.command)
            http = await stack.enter_async_context(
                download_client(
                    timeout=download.timeout,
                    connections=download.threads,
                    transport=options.download_transport,
                )
            )
            fetcher = Fetcher(
                http,
                files_budget,
                retry,
                hash_algorithm=download.hash_algorithm,
                verify=download.verify_hash is not False,
                timeout=download.timeout,
                min_speed=download.min_speed,
                events=sink,
            )
            planner = Planner(
                tracker, FileOrganizer(settings.folders), download, request, session_id
            )
            pipeline = Pipeline(
                client,
                tracker,
                planner,
                fetcher,
                request,
                threads=download.threads,
                batch_size=download.batch_size,
                queue_size=download.queue_bound,
                events=sink,
                handle_signals=options.handle_signals,
                incremental=incremental,
                on_quit=quit_now,
            )
            summary = await pipeline.run()
        if summary.interrupted:
            status = "interrupted"
        elif summary.fatal is None:
            status = "completed"
        synced = summary.complete_scan and status == "completed" and not request.filtered
        if writes and synced:
            await to_thread.run_sync(_mark_synced, tracker, request)
        return summary
    except get_cancelled_exc_class():  # Ctrl-C before the pipeline watched for it
        status = "interrupted"
        raise
    finally:
        done = pipeline.summary if pipeline else RunSummary()
        log.info(
            "%s %s: %d downloaded, %d failed, %d skipped, %d bytes",
            options.command if session_id is None else f"session {session_id}",
            status,
            done.downloaded,
            done.failed,
            done.skipped,
            done.total_bytes,
        )
        if session_id is not None:
            with CancelScope(shield=True):
                await to_thread.run_sync(_end_session, tracker, session_id, status, done)


def _end_session(tracker: Tracker, session_id: int, status: SessionEnd, done: RunSummary) -> None:
    tracker.finish_session(
        session_id,
        status,
        downloaded=done.downloaded,
        failed=done.failed,
        skipped=done.skipped,
        bytes=done.total_bytes,
    )
