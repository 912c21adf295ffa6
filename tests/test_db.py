"""The pool never hands out a connection the database server has closed."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from app.db import create_engine
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
