"""A read cancelled by the standby's replay (a recovery conflict) is answered from the primary.

A hot standby cancels a query that holds back replay ("canceling statement due to conflict
with recovery", SQLSTATE 40001) once max_standby_streaming_delay has passed. It was a 500 on
a lag-tolerant route; the statement now runs again on the primary, once, and the read answers
as an unmarked one would.

The conflict is real, made on the primary as it happens in production:
1. a transaction deletes rows (not yet committed), another takes an ACCESS EXCLUSIVE lock on
   `children` and stays open; the standby replays both (replay now holds that lock);
2. the ledger's query on the standby takes its snapshot — in which the deletion is still
   running — and waits for `children`;
3. the deletion commits and VACUUM removes the rows: replaying that removal needs every
   snapshot that could still see them gone, the read's included, so the standby cancels it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import create_engine
from app.replica import APPLICATION_NAME
from tests.conftest import AuthHeaders, make_settings
from tests.replica.conftest import Standby, replica_client, replica_settings

pytestmark = pytest.mark.timeout(180)

LEDGER = "/api/v1/ledger/2026-06"


def reads(app: FastAPI, outcome: str) -> float:
    value = app.state.metrics.registry.get_sample_value(
        "db_read_replica_reads_total", {"outcome": outcome}
    )
    return float(value or 0)


async def _flush_wal(engine: AsyncEngine) -> None:
    """A committed transaction flushes the WAL written before it (the open transactions'
    records) to the standby."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT txid_current()"))
        await conn.commit()


async def _read_waits_for(standby: Standby, table: str) -> None:
    """Until the ledger's query on the standby waits for replay's lock on `table`."""
    async with asyncio.timeout(30):
        while True:
            rows = await standby.execute(
                "SELECT 1 FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid"
                " JOIN pg_class c ON c.oid = l.relation WHERE a.application_name = :app"
                " AND NOT l.granted AND c.relname = :table",
                app=APPLICATION_NAME,
                table=table,
            )
            if rows:
                return
            await asyncio.sleep(0.05)


async def _set_streaming_delay(standby: Standby, value: str | None) -> None:
    engine = create_engine(standby.url, make_settings(standby.url))
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            if value is None:
                await conn.execute(text("ALTER SYSTEM RESET max_standby_streaming_delay"))
            else:
                await conn.execute(
                    text(f"ALTER SYSTEM SET max_standby_streaming_delay = '{value}'")
                )
            await conn.execute(text("SELECT pg_reload_conf()"))
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def _short_streaming_delay(standby: Standby) -> AsyncIterator[None]:
    """The standby cancels a conflicting query after 100 ms (not the default 30 s)."""
    await _set_streaming_delay(standby, "100ms")
    try:
        yield
    finally:
        await _set_streaming_delay(standby, None)


class _Kept(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@pytest.fixture
def warnings() -> Iterator[list[logging.LogRecord]]:
    """What app.replica logs (the app's logging configuration does not reach caplog)."""
    kept: list[logging.LogRecord] = []
    handler = _Kept(kept)
    logger = logging.getLogger("app.replica")
    logger.addHandler(handler)
    try:
        yield kept
    finally:
        logger.removeHandler(handler)


async def test_a_read_cancelled_by_replay_is_answered_from_the_primary(
    standby: Standby,
    replica_db: str,
    primary_engine: AsyncEngine,
    clock: Any,
    auth: AuthHeaders,
    warnings: list[logging.LogRecord],
) -> None:
    async with primary_engine.begin() as conn:
        await conn.execute(text("CREATE TABLE conflict_rows (n int)"))
        await conn.execute(text("INSERT INTO conflict_rows SELECT generate_series(1, 100)"))
    settings = replica_settings(replica_db, standby)
    async with (
        _short_streaming_delay(standby),
        replica_client(settings, primary_engine, clock) as (app, client),
    ):
        await standby.caught_up()
        r = await client.get(LEDGER, headers=auth("leader"))  # also caches the principal
        assert r.status_code == 200, r.text
        expected = r.json()
        async with primary_engine.connect() as deleter, primary_engine.connect() as locker:
            await deleter.execute(text("DELETE FROM conflict_rows"))
            await locker.execute(text("SET lock_timeout = '60s'"))
            await locker.execute(text("LOCK TABLE children IN ACCESS EXCLUSIVE MODE"))
            await _flush_wal(primary_engine)
            await standby.caught_up()
            read = asyncio.create_task(client.get(LEDGER, headers=auth("leader")))
            await _read_waits_for(standby, "children")
            await deleter.commit()
            async with primary_engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM conflict_rows"))
            async with asyncio.timeout(60):
                while reads(app, "primary_conflict") < 1 and not read.done():  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            await locker.rollback()  # the read, now on the primary, waited for this lock
        r = await read
        assert r.status_code == 200, r.text
        assert r.json() == expected
        assert reads(app, "primary_conflict") == 1
        # the standby's own words: the cancellation was a real replay conflict
        [error] = [getattr(rec, "error", "") for rec in warnings]
        assert "canceling statement due to conflict with recovery" in error, error
