"""Migrations: `alembic upgrade head` under a PostgreSQL advisory lock, so replicas never race."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import get_settings

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
_LOCK_KEY = 0x6D6967726174  # "migrat"


def alembic_config() -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return cfg


def heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def resolve_database_url() -> str:
    """The application's connection: DATABASE_URL, else the embedded server as its app role
    (a member of `app_runtime`: it may only INSERT and SELECT on the audit log)."""
    settings = get_settings()
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    from app import embedded

    return embedded.runtime_url(embedded.start(settings.data_dir))


def resolve_migration_url() -> str:
    """The migrations' connection, as the owner of the tables: DATABASE_MIGRATION_URL, else
    DATABASE_URL, else the embedded server's owner."""
    settings = get_settings()
    if settings.database_migration_url is not None:
        return settings.database_migration_url.get_secret_value()
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    from app import embedded

    return embedded.start(settings.data_dir)


def _upgrade(connection: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "heads")


async def upgrade(engine: AsyncEngine) -> None:
    """Apply pending migrations; concurrent callers wait on the lock, then find nothing to do."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
        await conn.commit()
        try:
            await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
            await conn.commit()
    log.info("migrations at head", extra={"heads": ",".join(sorted(heads()))})
