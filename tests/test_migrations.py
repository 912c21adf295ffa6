"""Migrations: replicas starting at once migrate once; models and migrations agree."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from app.config import Settings
from app.db import create_engine
from app.manage import scratch_database
from app.migrate import heads, upgrade


async def test_concurrent_upgrades_migrate_once(database_url: str, settings: Settings) -> None:
    async with scratch_database(database_url) as url:
        engines = [create_engine(url, settings) for _ in range(3)]
        try:
            await asyncio.gather(*(upgrade(e) for e in engines))
            async with engines[0].connect() as conn:
                versions = (
                    (await conn.execute(text("SELECT version_num FROM alembic_version")))
                    .scalars()
                    .all()
                )
                tables = (
                    await conn.execute(
                        text("SELECT count(*) FROM pg_tables WHERE tablename = 'audit_log'")
                    )
                ).scalar_one()
        finally:
            for e in engines:
                await e.dispose()
    assert set(versions) == heads()
    assert tables == 1
