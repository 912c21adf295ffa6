"""The pool never hands out a connection the database server has closed; what each session is set to."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from app.db import TEMP_BUFFERS, create_engine
from tests.conftest import make_settings


async def test_a_request_after_the_server_closed_the_connection_gets_a_fresh_one(
    database_url: str,
) -> None:
    engine = create_engine(database_url, make_settings(database_url))
    admin = create_engine(database_url, make_settings(database_url))
    try:
        async with engine.connect() as conn:
            old_pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        # The pooled connection is idle; the server ends it (as on a restart or failover).
        async with admin.connect() as conn:
            ended = await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": old_pid})
        assert ended is True
        await asyncio.sleep(0.2)  # the socket's end reaches the client
        async with engine.connect() as conn:
            new_pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert new_pid != old_pid
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_sessions_have_room_for_an_import_chunk_in_temp_buffers(database_url: str) -> None:
    """A screening import's staging table stays in memory: temp_buffers is set at connection,
    except through PgBouncer, which refuses the startup parameter."""
    direct = create_engine(database_url, make_settings(database_url))
    bouncer = create_engine(
        database_url, make_settings(database_url).model_copy(update={"database_pgbouncer": True})
    )
    try:
        async with direct.connect() as conn:
            assert await conn.scalar(text("SHOW temp_buffers")) == TEMP_BUFFERS
        async with bouncer.connect() as conn:
            assert await conn.scalar(text("SHOW temp_buffers")) == "8MB"  # the server's default
    finally:
        await direct.dispose()
        await bouncer.dispose()
