"""Lean reads (app.kit.lean) through PgBouncer in transaction mode (DATABASE_PGBOUNCER=true):
each runs in a transaction there, so its Parse and its Bind reach one server connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Integer, bindparam, select

from app.db import create_engine, create_sessionmaker
from app.kit.lean import LeanSelect, driver_connection
from app.manage import scratch_database
from tests.conftest import make_settings
from tests.ops.pgbouncer import CONTROL_DB, Bouncer, pgbouncer_binary, run_pgbouncer

pytestmark = pytest.mark.skipif(
    pgbouncer_binary() is None,
    reason="pgbouncer is not installed (Debian package; CI runs .ci/install-pgbouncer)",
)

PLUS_ONE = LeanSelect(select((bindparam("v", type_=Integer) + 1).label("n")), params=("v",))


@pytest.fixture
async def scratch_url(database_url: str) -> AsyncIterator[str]:
    async with scratch_database(database_url) as url:
        yield url


@pytest.fixture
def bouncer(scratch_url: str) -> Iterator[Bouncer]:
    with run_pgbouncer(scratch_url) as b:
        yield b


async def _many(state: Any, clients: int = 8, rounds: int = 15) -> None:
    async def one(i: int) -> None:
        for r in range(rounds):
            async with driver_connection(state) as conn:
                row = await PLUS_ONE.first(conn, v=i * 100 + r)
                assert row is not None
                assert row.n == i * 100 + r + 1

    await asyncio.gather(*(one(i) for i in range(clients)))


async def test_lean_reads_through_pgbouncer(bouncer: Bouncer) -> None:
    url = bouncer.url(CONTROL_DB)  # two server connections for eight clients
    settings = make_settings(url, db_pool_size=8, database_pgbouncer=True)
    engine = create_engine(url, settings)
    try:
        await _many(SimpleNamespace(sessionmaker=create_sessionmaker(engine), settings=settings))
    finally:
        await engine.dispose()
