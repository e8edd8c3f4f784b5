"""A fake Slooh service for tests, benchmarks and ``slooh demo``: the API and a download host.

It implements every endpoint of ``slooh-api.md`` with its quirks, serves real PNG, JPEG and
FITS bodies of any size in constant memory, and has fault knobs for every failure the client
must survive. Start it on loopback ports in a background thread::

    with FakeSlooh(FakeConfig(pictures=50)).running() as srv:
        httpx.post(f"{srv.base_url}/api/app/generateSessionToken", json={})

or from a shell: ``python -m slooh_async.fake_server --port 8765 --pictures 300``.
See docs/fake-server.md.
"""

from __future__ import annotations

from ._api import API_PREFIX
from ._app import FakeSloohApp, ServerState, create_app
from ._bodies import body_bytes, body_digest, iter_body
from ._catalog import Catalog, CatalogFile, FitsGroup, Mission, Quirks
from ._config import DEFAULT_PRODUCT_ID, PRODUCT_IDS, FakeConfig
from ._faults import MALFORMED_KINDS, ExpiryMode, Faults, FaultScope
from ._formats import MIN_SIZE, BodySpec
from ._generate import HOSTILE_TITLES
from ._hostile import BAD_PORT_URL, BAD_URL, HTML_PAGE, HUGE_ID, second_version
from ._listing import display_date, display_time
from ._log import RequestLog, RequestRecord, ServerSide
from ._runner import FakeSlooh

__all__ = [
    "API_PREFIX",
    "BAD_PORT_URL",
    "BAD_URL",
    "DEFAULT_PRODUCT_ID",
    "HOSTILE_TITLES",
    "HTML_PAGE",
    "HUGE_ID",
    "MALFORMED_KINDS",
    "MIN_SIZE",
    "PRODUCT_IDS",
    "BodySpec",
    "Catalog",
    "CatalogFile",
    "ExpiryMode",
    "FakeConfig",
    "FakeSlooh",
    "FakeSloohApp",
    "FaultScope",
    "Faults",
    "FitsGroup",
    "Mission",
    "Quirks",
    "RequestLog",
    "RequestRecord",
    "ServerSide",
    "ServerState",
    "body_bytes",
    "body_digest",
    "create_app",
    "display_date",
    "display_time",
    "iter_body",
    "second_version",
]
