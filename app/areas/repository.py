from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Area


def list_stmt(level: str | None, parent_code: str | None) -> Select[Any]:
    stmt = select(Area)
    if level:
        stmt = stmt.where(Area.level == level)
    if parent_code:
        stmt = stmt.where(Area.parent_code == parent_code)
    return stmt


async def get_many(session: AsyncSession, codes: Iterable[str]) -> dict[str, Area]:
    codes = list(set(codes))
    if not codes:
        return {}
    rows = (await session.execute(select(Area).where(Area.code.in_(codes)))).scalars().all()
    return {a.code: a for a in rows}


async def names(session: AsyncSession, codes: Iterable[str]) -> dict[str, str]:
    """code → name of the areas among `codes` that exist."""
    return {code: a.name for code, a in (await get_many(session, codes)).items()}


async def get(session: AsyncSession, code: str) -> Area | None:
    return await session.get(Area, code)


async def upsert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert new areas, rename existing ones; never a duplicate. Rows come parents first."""
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        stmt = insert(Area).values(chunk)
        stmt = stmt.on_conflict_do_update(
            index_elements=[Area.code],
            set_={"name": stmt.excluded.name},
            where=Area.name != stmt.excluded.name,
        )
        await session.execute(stmt)


async def district_name(session: AsyncSession) -> str:
    """The district's name, for an export's title row (areas are data: the root area)."""
    stmt = select(Area.name).where(Area.level == "district").order_by(Area.code).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none() or ""
