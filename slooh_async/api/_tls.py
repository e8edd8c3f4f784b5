"""One TLS context per process, shared by the API client and every download connection.

Building one loads the CA bundle (about 30 ms); httpx would build one per client. It is
httpx's own context (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` honoured), made on first use.
"""

from __future__ import annotations

import ssl
from functools import cache

import httpx

__all__ = ["shared_ssl_context"]


@cache
def shared_ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
