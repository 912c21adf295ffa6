"""SQL of the dashboard itself: areas for the scope, and the section cache."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Area, DashboardSectionCache

C = DashboardSectionCache


async def area(session: AsyncSession, code: str) -> Area | None:
    return await session.get(Area, code)


async def cached(
    session: AsyncSession, section: str, area_code: str, month: date
) -> tuple[dict[str, Any], datetime] | None:
    row = (
        await session.execute(
            select(C.payload, C.computed_at).where(
                C.section == section, C.area_code == area_code, C.month == month
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def touch(
    session: AsyncSession, section: str, area_code: str, month: date, now: datetime
) -> None:
    """Note the read (the refresh job keeps recently read rows fresh); at most once a minute."""
    await session.execute(
        update(C)
        .where(
            C.section == section,
            C.area_code == area_code,
            C.month == month,
            C.read_at < now - timedelta(minutes=1),
        )
        .values(read_at=now)
    )


async def store(
    session: AsyncSession,
    section: str,
    area_code: str,
    month: date,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    values = {
        "section": section,
        "area_code": area_code,
        "month": month,
        "payload": payload,
        "computed_at": now,
        "read_at": now,
    }
    stmt = insert(C).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[C.section, C.area_code, C.month],
            set_={"payload": stmt.excluded.payload, "computed_at": stmt.excluded.computed_at},
        )
    )


async def stale_rows(
    session: AsyncSession, older_than: datetime, read_since: datetime, limit: int
) -> list[tuple[str, str, date, str, str, str]]:
    """(section, area, month, area name, level, path) of cached rows to recompute."""
    rows = await session.execute(
        select(C.section, C.area_code, C.month, Area.name, Area.level, Area.path)
        .join(Area, Area.code == C.area_code)
        .where(C.computed_at < older_than, C.read_at >= read_since)
        .order_by(C.computed_at)
        .limit(limit)
    )
    return [tuple(r) for r in rows.tuples()]  # type: ignore[misc]


async def district(session: AsyncSession) -> Area | None:
    return (
        await session.execute(select(Area).where(Area.level == "district").limit(1))
    ).scalar_one_or_none()
