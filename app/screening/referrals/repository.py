"""SQL of screening referrals: a referral of a screening record's finding (a row of
`referrals` with `screening_record_id`), its record, counts by finding, outcome and town.

Who sees which: the district roles all of them; an agency client the ones addressed to its
agency (the records of its open ones through `app.auth.mandate`); nobody else any.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth.mandate import CLOSED_REFERRAL_STATUSES, referral_in_district
from app.auth.principal import Principal
from app.auth.roles import DISTRICT_ROLES
from app.kit.listing import where_given
from app.kit.rows import one_where
from app.models import Area, Referral, ScreeningRecord
from app.screening.referrals.findings import ANY_FINDING
from app.screening.repository import readable_clause as screening_readable

SCREENING = Referral.screening_record_id.is_not(None)


def visible(principal: Principal) -> ColumnElement[bool]:
    if principal.kind == "agency":
        return (Referral.agency == principal.agency) & referral_in_district(principal.district_code)
    if principal.role in DISTRICT_ROLES:
        # the referrals of the records of their own district (a city holds several)
        return Referral.screening_record_id.in_(
            select(ScreeningRecord.id).where(screening_readable(principal))
        )
    return false()


def list_stmt(
    principal: Principal,
    *,
    status: str | None,
    finding: str | None,
    agency: str | None,
    outcome: str | None,
    town_code: str | None,
    escalated: bool | None,
    updated_since: datetime | None,
) -> Select[Any]:
    stmt = where_given(
        select(Referral).where(SCREENING, visible(principal)),
        (Referral.status, status),
        (Referral.finding, finding),
        (Referral.agency, agency),
        (Referral.outcome, outcome),
    )
    if town_code is not None:
        stmt = stmt.where(
            Referral.screening_record_id.in_(
                select(ScreeningRecord.id).where(ScreeningRecord.town_code == town_code)
            )
        )
    if escalated is not None:
        stmt = stmt.where(
            Referral.escalated_at.is_not(None) if escalated else Referral.escalated_at.is_(None)
        )
    if updated_since is not None:
        stmt = stmt.where(Referral.updated_at >= updated_since)
    return stmt


async def get_visible(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, *, lock: bool = False
) -> Referral | None:
    return await one_where(
        session, Referral, Referral.id == referral_id, SCREENING, visible(principal), lock=lock
    )


async def records_by_id(
    session: AsyncSession, ids: set[uuid.UUID], readable: ColumnElement[bool] | None = None
) -> dict[uuid.UUID, ScreeningRecord]:
    """The records of `ids` (only those `readable` holds, when given: the caller's district)."""
    if not ids:
        return {}
    stmt = select(ScreeningRecord).where(ScreeningRecord.id.in_(ids))
    if readable is not None:
        stmt = stmt.where(readable)
    return {r.id: r for r in (await session.execute(stmt)).scalars()}


async def open_referrals(
    session: AsyncSession, record_ids: list[uuid.UUID], finding: str
) -> dict[uuid.UUID, uuid.UUID]:
    """record id → its open referral for `finding` (the one that forbids a second)."""
    if not record_ids:
        return {}
    stmt = select(Referral.screening_record_id, Referral.id).where(
        Referral.screening_record_id.in_(record_ids),
        Referral.finding == finding,
        Referral.status.not_in(CLOSED_REFERRAL_STATUSES),
    )
    return {r: i for r, i in (await session.execute(stmt)).tuples() if r is not None}


async def matching_ids(session: AsyncSession, stmt: Select[Any], cap: int) -> list[uuid.UUID]:
    """The ids of the records `stmt` selects, at most `cap` + 1 (to tell "too many")."""
    sub = stmt.order_by(ScreeningRecord.id).limit(cap + 1).subquery()
    return list((await session.execute(select(sub.c.id))).scalars())


# -- counts --------------------------------------------------------------------------------------


def _resolved() -> Any:
    return (Referral.status == "completed") & Referral.outcome.not_in(ANY_FINDING)


async def counts_by_finding(
    session: AsyncSession, area: ColumnElement[bool] | None = None
) -> dict[str, dict[str, int]]:
    """finding → referred, open, resolved, closed_otherwise (of the records in `area`)."""
    open_ = Referral.status.not_in(CLOSED_REFERRAL_STATUSES)
    stmt = (
        select(
            Referral.finding,
            func.count(),
            func.count().filter(open_),
            func.count().filter(_resolved()),
            func.count().filter(Referral.status.in_(CLOSED_REFERRAL_STATUSES) & ~_resolved()),
        )
        .join(ScreeningRecord, ScreeningRecord.id == Referral.screening_record_id)
        .group_by(Referral.finding)
    )
    if area is not None:
        stmt = stmt.where(area)
    return {
        str(f): {"referred": n, "open": o, "resolved": r, "closed_otherwise": c}
        for f, n, o, r, c in (await session.execute(stmt)).tuples()
    }


async def counts_by_outcome(
    session: AsyncSession, scope: ColumnElement[bool] | None = None
) -> dict[str, int]:
    stmt = (
        select(Referral.outcome, func.count())
        .where(SCREENING, Referral.outcome.is_not(None), true() if scope is None else scope)
        .group_by(Referral.outcome)
    )
    return {str(o): int(n) for o, n in (await session.execute(stmt)).tuples()}


async def counts_by_agency(
    session: AsyncSession, scope: ColumnElement[bool] | None = None
) -> dict[str, int]:
    stmt = (
        select(Referral.agency, func.count())
        .where(SCREENING, true() if scope is None else scope)
        .group_by(Referral.agency)
    )
    return {str(a): int(n) for a, n in (await session.execute(stmt)).tuples()}


async def counts_by_town(
    session: AsyncSession, scope: ColumnElement[bool] | None = None
) -> list[tuple[str, str | None, int, int, int]]:
    """(town, name, referred, open, resolved) in town order."""
    open_ = Referral.status.not_in(CLOSED_REFERRAL_STATUSES)
    town = ScreeningRecord.town_code
    stmt = (
        select(
            town,
            Area.name,
            func.count(),
            func.count().filter(open_),
            func.count().filter(_resolved()),
        )
        .join(ScreeningRecord, ScreeningRecord.id == Referral.screening_record_id)
        .outerjoin(Area, Area.code == town)
        .where(true() if scope is None else scope)
        .group_by(town, Area.name)
        .order_by(town)
    )
    return [(t, name, n, o, r) for t, name, n, o, r in (await session.execute(stmt)).tuples()]


async def overdue(
    session: AsyncSession, now: datetime, scope: ColumnElement[bool] | None = None
) -> int:
    stmt = select(func.count()).where(
        SCREENING,
        Referral.status == "pending",
        Referral.ack_due_at <= now,
        true() if scope is None else scope,
    )
    return int((await session.execute(stmt)).scalar_one())
