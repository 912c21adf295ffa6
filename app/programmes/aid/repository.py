"""SQL of the education-aid rounds and applications (教育帮扶). A round belongs to the district
that opened it (`aid_rounds.district_code`): a caller reaches the rounds `district_clause` admits
(its own district's; a city agency client every district's) and the applications of those
rounds only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth.jurisdiction import area_clause, district_clause
from app.auth.principal import Principal
from app.children.access import readable_child as readable_child
from app.kit.listing import where_given
from app.kit.rows import insert_unless_exists, one_where
from app.models import AidApplication, AidRound, Area

GRANTED = ("approved", "disbursed")


async def insert_round(session: AsyncSession, values: dict[str, Any]) -> AidRound | None:
    """The new round, or None when its district has a round of this year and name."""
    return await insert_unless_exists(session, AidRound, values, ("district_code", "year", "name"))


def _rounds(principal: Principal) -> ColumnElement[bool]:
    """The rounds the caller reaches: its own district's (a city agency client: every one)."""
    return district_clause(principal, AidRound.district_code)


async def get_round(
    session: AsyncSession, principal: Principal, round_id: uuid.UUID
) -> AidRound | None:
    """The round, when it is one of the caller's district (another district's: None)."""
    return await one_where(session, AidRound, AidRound.id == round_id, _rounds(principal))


def rounds_stmt(principal: Principal, year: int | None) -> Select[Any]:
    return where_given(select(AidRound).where(_rounds(principal)), (AidRound.year, year))


async def insert_application(
    session: AsyncSession, values: dict[str, Any]
) -> AidApplication | None:
    """The new application, or None when the child already has one in the round."""
    return await insert_unless_exists(session, AidApplication, values, ("round_id", "person_key"))


async def get_application(
    session: AsyncSession,
    principal: Principal,
    round_id: uuid.UUID,
    application_id: uuid.UUID,
    *,
    lock: bool = False,
) -> AidApplication | None:
    """The application of a round of the caller's district (another district's: None)."""
    return await one_where(
        session,
        AidApplication,
        AidApplication.id == application_id,
        AidApplication.round_id == round_id,
        AidApplication.round_id.in_(select(AidRound.id).where(_rounds(principal))),
        lock=lock,
    )


def applications_stmt(
    round_id: uuid.UUID,
    *,
    programme: str | None = None,
    status: str | None = None,
    town_code: str | None = None,
) -> Select[Any]:
    return where_given(
        select(AidApplication).where(AidApplication.round_id == round_id),
        (AidApplication.programme, programme),
        (AidApplication.status, status),
        (AidApplication.town_code, town_code),
    )


async def town_of_village(
    session: AsyncSession, village_code: str, principal: Principal | None = None
) -> str | None:
    """The town (the parent) of a village of the area tree; None when no such village (or,
    given `principal`, when the village is outside the caller's area: another district's)."""
    stmt = select(Area.parent_code).where(Area.code == village_code, Area.level == "village")
    if principal is not None:
        stmt = stmt.where(area_clause(principal, Area.code))
    return (await session.execute(stmt)).scalar_one_or_none()


async def town_names(session: AsyncSession) -> dict[str, str]:
    stmt = select(Area.code, Area.name).where(Area.level == "town")
    return {code: name for code, name in (await session.execute(stmt)).tuples()}


def _sums(*group: Any) -> Select[Any]:
    granted = AidApplication.status.in_(GRANTED)
    disbursed = AidApplication.status == "disbursed"
    return select(
        *group,
        func.count().filter(granted),
        func.coalesce(func.sum(case((granted, AidApplication.amount_fen))), 0),
        func.coalesce(func.sum(case((disbursed, AidApplication.amount_fen))), 0),
    ).group_by(*group)


async def round_totals(
    session: AsyncSession, round_id: uuid.UUID
) -> tuple[dict[str, int], list[tuple[str, int, int, int]], list[tuple[str | None, int, int, int]]]:
    """(count by status, (programme, children, granted fen, disbursed fen) by programme, the same
    by town) of a round; children and sums count granted applications (approved, disbursed)."""
    mine = AidApplication.round_id == round_id
    by_status = {
        str(s): int(n)
        for s, n in (
            await session.execute(
                select(AidApplication.status, func.count())
                .where(mine)
                .group_by(AidApplication.status)
            )
        ).tuples()
    }
    programmes = [
        (str(p), int(n), int(g), int(d))
        for p, n, g, d in (
            await session.execute(_sums(AidApplication.programme).where(mine))
        ).tuples()
    ]
    towns = [
        (t, int(n), int(g), int(d))
        for t, n, g, d in (
            await session.execute(_sums(AidApplication.town_code).where(mine))
        ).tuples()
    ]
    return by_status, programmes, towns


async def disbursed_between(
    session: AsyncSession, start: datetime, end: datetime, district: str | None = None
) -> tuple[int, int]:
    """(children, fen) of the aid disbursed in [start, end): the federation's fund; of the
    rounds of `district` when given (None: every district's, the city's total)."""
    stmt = select(func.count(), func.coalesce(func.sum(AidApplication.amount_fen), 0)).where(
        AidApplication.status == "disbursed",
        AidApplication.disbursed_at >= start,
        AidApplication.disbursed_at < end,
    )
    if district is not None:
        stmt = stmt.where(
            AidApplication.round_id.in_(
                select(AidRound.id).where(AidRound.district_code == district)
            )
        )
    row = (await session.execute(stmt)).one()
    return int(row[0]), int(row[1])
