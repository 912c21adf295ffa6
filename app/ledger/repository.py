"""All SQL of the monthly ledger 工作台账 and the quarterly review."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.rows import one_where
from app.models import Area, Child, ChildChange, LedgerMonthClose, LedgerReview
from app.models.children import ON_LEDGER


def next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def of_district(district: str) -> Any:
    """History entries of the district's children (each district keeps its own ledger)."""
    return ChildChange.child_id.in_(select(Child.id).where(Child.district_code == district))


async def closed_months(session: AsyncSession, district: str, since: date) -> set[date]:
    stmt = select(LedgerMonthClose.month).where(
        LedgerMonthClose.district_code == district, LedgerMonthClose.month >= since
    )
    return set((await session.execute(stmt)).scalars().all())


async def open_month(session: AsyncSession, district: str, month: date) -> date:
    """The ledger month a movement recorded in `month` counts in: `month`, or the first month
    after it that the district has not closed (a late correction lands there, visibly)."""
    closed = await closed_months(session, district, month)
    while month in closed:
        month = next_month(month)
    return month


async def get_close(session: AsyncSession, district: str, month: date) -> LedgerMonthClose | None:
    return await session.get(LedgerMonthClose, (district, month))


def _last_entries(district: str, month: date) -> Any:
    """The seq of each of the district's children's last history entry counted up to and
    including `month`."""
    return (
        select(ChildChange.seq)
        .where(ChildChange.ledger_month <= month, of_district(district))
        .distinct(ChildChange.child_id)
        .order_by(ChildChange.child_id, ChildChange.ledger_month.desc(), ChildChange.seq.desc())
    )


async def active_counts(
    session: AsyncSession, district: str, month: date
) -> list[tuple[str, str, str | None, int]]:
    """(category, placement, town code, count) of the children active at the month's end."""
    category = ChildChange.state["category"].astext
    placement = ChildChange.state["placement"].astext
    stmt = (
        select(category, placement, Area.parent_code, func.count())
        .select_from(ChildChange)
        .outerjoin(Area, Area.code == ChildChange.state["village_code"].astext)
        .where(
            ChildChange.seq.in_(_last_entries(district, month)),
            ChildChange.state["status"].astext.in_(ON_LEDGER),
        )
        .group_by(category, placement, Area.parent_code)
    )
    return [(c, p, t, int(n)) for c, p, t, n in (await session.execute(stmt)).all()]


async def states_at(session: AsyncSession, district: str, month: date) -> list[dict[str, Any]]:
    """Each child's last recorded state in the ledger up to and including `month`."""
    last = _last_entries(district, month)
    stmt = select(ChildChange.child_id, ChildChange.state).where(ChildChange.seq.in_(last))
    return [{"id": str(cid), **state} for cid, state in (await session.execute(stmt)).all()]


async def movements(
    session: AsyncSession, district: str, first: date, last: date
) -> list[ChildChange]:
    """The district's history entries counted in the ledger months `first`..`last`."""
    stmt = (
        select(ChildChange)
        .where(
            ChildChange.ledger_month >= first,
            ChildChange.ledger_month <= last,
            of_district(district),
        )
        .order_by(ChildChange.seq)
    )
    return list((await session.execute(stmt)).scalars().all())


async def town_names(session: AsyncSession) -> dict[str, str]:
    stmt = select(Area.code, Area.name).where(Area.level == "town")
    return {c: n for c, n in (await session.execute(stmt)).all()}


async def village_towns(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    stmt = select(Area.code, Area.parent_code).where(Area.code.in_(codes))
    return {c: p or "" for c, p in (await session.execute(stmt)).all()}


async def get_review(session: AsyncSession, district: str, quarter: str) -> LedgerReview | None:
    return await one_where(
        session,
        LedgerReview,
        LedgerReview.district_code == district,
        LedgerReview.quarter == quarter,
    )


async def previous_review(
    session: AsyncSession, district: str, quarter: str
) -> LedgerReview | None:
    stmt = (
        select(LedgerReview)
        .where(LedgerReview.district_code == district, LedgerReview.quarter < quarter)
        .order_by(LedgerReview.quarter.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def reviews_stmt(district: str) -> Any:
    return select(LedgerReview).where(LedgerReview.district_code == district)


async def area_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    """code → name of the towns and villages among `codes` (the export writes names)."""
    if not codes:
        return {}
    stmt = select(Area.code, Area.name).where(Area.code.in_(codes))
    return {c: n for c, n in (await session.execute(stmt)).all()}
