"""What every demo loader (`<domain>/demo.py`, run by `app.demo`) starts with."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import DISTRICT_TZ


async def already_loaded(session: AsyncSession, model: Any) -> bool:
    """Whether `model`'s table holds a row already: a loader adds its demo data once, to an
    empty table, and leaves a database that has some alone."""
    return bool(await session.scalar(select(exists().where(model.id.is_not(None)))))


def demo_now() -> tuple[datetime, date]:
    """The moment the demo is loaded, and its day in the district (Asia/Shanghai)."""
    now = datetime.now(UTC)
    return now, now.astimezone(DISTRICT_TZ).date()
