from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth.principal import Principal
from app.models import Area


def district_path(district_code: str) -> Any:
    """The materialised path of a district (a scalar subquery, for a prefix match)."""
    return select(Area.path).where(Area.code == district_code).scalar_subquery()


def within_reach(principal: Principal) -> ColumnElement[bool]:
    """The part of the area tree a caller sees: a district's staff and agencies their own
    district's subtree; the city's roles and a city agency the whole tree."""
    if principal.district_code is None:
        return true()
    return Area.path.startswith(district_path(principal.district_code))


async def in_reach(session: AsyncSession, principal: Principal, code: str) -> bool:
    """Whether the area `code` lies in the caller's part of the tree."""
    stmt = select(Area.code).where(Area.code == code, within_reach(principal))
    return (await session.execute(stmt)).first() is not None


def list_stmt(principal: Principal, level: str | None, parent_code: str | None) -> Select[Any]:
    stmt = select(Area).where(within_reach(principal))
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


async def city_exists(session: AsyncSession) -> bool:
    """Whether the tree starts at a city (CITY_CODE): districts then hang under it."""
    stmt = select(Area.code).where(Area.level == "city").limit(1)
    return (await session.execute(stmt)).first() is not None


async def district_name(session: AsyncSession, code: str | None) -> str:
    """The name an export's title row gives: the district `code` (the caller's district); above
    the districts (`None`: the city's roles, a city agency) the root of the tree's, the city's
    (in a deployment without a city, its one district's)."""
    if code is not None:
        stmt = select(Area.name).where(Area.code == code)
    else:
        stmt = select(Area.name).where(Area.parent_code.is_(None)).order_by(Area.code).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none() or ""
