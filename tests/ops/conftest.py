"""Ops fixtures: a fresh scratch database per test, on the test server (dropped afterwards)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import create_engine
from app.manage import scratch_database
from tests.conftest import make_settings


@pytest.fixture
async def scratch_url(database_url: str) -> AsyncIterator[str]:
    async with scratch_database(database_url) as url:
        yield url


@pytest.fixture
async def scratch_engine(scratch_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the scratch database, for the test's own checks (NullPool-like small pool)."""
    engine = create_engine(scratch_url, make_settings(scratch_url, db_pool_size=2))
    yield engine
    await engine.dispose()
