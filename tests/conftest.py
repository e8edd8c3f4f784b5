"""Shared fixtures: anyio on asyncio, and no retry waits unless a test asks for them."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio (aiolimiter is asyncio-only)."""
    return "asyncio"
