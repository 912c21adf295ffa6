"""SQL of case work 精准帮扶: who sees which case and agency, the case's parts, month figures.

`visible(principal)` is the domain's one jurisdiction clause (the case worker's reach):

| caller | cases | agencies |
|---|---|---|
| district admin, leader, auditor | all | all |
| case worker | their own agency's | their own agency |
| anyone else (other staff, agency clients) | none | none |

A case worker reaches a child only through a case of their agency: never the ledger's routes
(`area_clause` gives the role no area), only the child's facts the case view gives.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth.jurisdiction import district_clause
from app.auth.principal import Principal
from app.auth.roles import DISTRICT_ROLES, Role
from app.children.access import readable as child_readable
from app.kit.listing import where_given
from app.kit.rows import one_where
from app.models import (
    Case,
    CaseGoal,
    CaseReview,
    CaseService,
    CaseStep,
    CaseworkAgency,
    Child,
    User,
)


def _own_agency(principal: Principal) -> Any:
    """The caller's agency (a scalar subquery: an inactive account has none)."""
    return (
        select(User.agency_id)
        .where(User.id == principal.id, User.is_active.is_(True))
        .scalar_subquery()
    )


def _district_or_own_agency(
    principal: Principal, agency_id: Any, district_code: Any
) -> ColumnElement[bool]:
    """The district's rows for the district's staff (never another district's); for a case
    worker, the rows whose `agency_id` is their own agency's; nothing for anyone else."""
    if principal.kind != "user":
        return false()
    if principal.role in DISTRICT_ROLES:
        return district_clause(principal, district_code)
    if principal.role == Role.CASE_WORKER:
        mine: ColumnElement[bool] = agency_id == _own_agency(principal)
        return mine
    return false()


def visible(principal: Principal) -> ColumnElement[bool]:
    """Which cases exist for this caller (rows outside are a 404)."""
    return _district_or_own_agency(principal, Case.agency_id, Case.district_code)


def agency_visible(principal: Principal) -> ColumnElement[bool]:
    """Which agencies exist for this caller: all for the district, a case worker's own."""
    return _district_or_own_agency(principal, CaseworkAgency.id, CaseworkAgency.district_code)


# -- agencies ------------------------------------------------------------------------------------


async def insert_agency(session: AsyncSession, agency: CaseworkAgency) -> bool:
    """Add the agency; False when its name is taken."""
    session.add(agency)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        return False
    return True


def agencies_stmt(principal: Principal) -> Select[Any]:
    """The agencies the caller sees (the district's offices: their own district's)."""
    return select(CaseworkAgency).where(agency_visible(principal))


async def get_agency(
    session: AsyncSession, principal: Principal, agency_id: uuid.UUID
) -> CaseworkAgency | None:
    return await one_where(
        session, CaseworkAgency, CaseworkAgency.id == agency_id, agency_visible(principal)
    )


async def agency_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    stmt = select(CaseworkAgency.id, CaseworkAgency.name).where(CaseworkAgency.id.in_(ids))
    return {i: n for i, n in (await session.execute(stmt)).tuples()}


# -- cases ---------------------------------------------------------------------------------------


async def child(session: AsyncSession, child_id: uuid.UUID) -> Child | None:
    return await session.get(Child, child_id)


async def readable_child(
    session: AsyncSession, principal: Principal, child_id: uuid.UUID
) -> Child | None:
    """A ledger child the caller reaches (another district's is unknown to them)."""
    stmt = select(Child).where(Child.id == child_id, child_readable(principal))
    return (await session.execute(stmt)).scalar_one_or_none()


async def children_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    stmt = select(Child.id, Child.name).where(Child.id.in_(ids))
    return {i: n for i, n in (await session.execute(stmt)).tuples()}


async def open_case_of(session: AsyncSession, child_id: uuid.UUID) -> uuid.UUID | None:
    stmt = select(Case.id).where(Case.child_id == child_id, Case.status != "closed")
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_case(session: AsyncSession, case_id: uuid.UUID) -> Case | None:
    return await session.get(Case, case_id)


async def get_visible(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, lock: bool = False
) -> Case | None:
    return await one_where(session, Case, Case.id == case_id, visible(principal), lock=lock)


def cases_stmt(
    principal: Principal,
    *,
    status: str | None,
    agency_id: uuid.UUID | None,
    child_id: uuid.UUID | None,
    review_overdue_on: date | None,
    updated_since: datetime | None,
) -> Select[Any]:
    stmt = where_given(
        select(Case).where(visible(principal)),
        (Case.status, status),
        (Case.agency_id, agency_id),
        (Case.child_id, child_id),
    )
    if review_overdue_on is not None:
        stmt = stmt.where(overdue(review_overdue_on))
    if updated_since is not None:
        stmt = stmt.where(Case.updated_at >= updated_since)
    return stmt


def overdue(on: date) -> ColumnElement[bool]:
    """Cases in service whose review was due before `on`."""
    return and_(Case.status == "in_service", Case.next_review_due < on)


async def goals_of(session: AsyncSession, case_id: uuid.UUID) -> list[CaseGoal]:
    stmt = select(CaseGoal).where(CaseGoal.case_id == case_id).order_by(CaseGoal.position)
    return list((await session.execute(stmt)).scalars().all())


async def reviews_of(session: AsyncSession, case_id: uuid.UUID) -> list[CaseReview]:
    stmt = (
        select(CaseReview)
        .where(CaseReview.case_id == case_id)
        .order_by(CaseReview.reviewed_on, CaseReview.created_at)
    )
    return list((await session.execute(stmt)).scalars().all())


async def steps_of(session: AsyncSession, case_id: uuid.UUID) -> list[CaseStep]:
    stmt = select(CaseStep).where(CaseStep.case_id == case_id).order_by(CaseStep.id)
    return list((await session.execute(stmt)).scalars().all())


async def minutes_of(session: AsyncSession, case_id: uuid.UUID) -> int:
    stmt = select(func.coalesce(func.sum(CaseService.minutes), 0)).where(
        CaseService.case_id == case_id
    )
    return int((await session.execute(stmt)).scalar_one())


def services_stmt(case_id: uuid.UUID) -> Select[Any]:
    return select(CaseService).where(CaseService.case_id == case_id)


# -- contract monitoring -------------------------------------------------------------------------


async def minutes_between(
    session: AsyncSession, agency_id: uuid.UUID, first: date, last: date
) -> tuple[int, int]:
    """(minutes, service records) of the agency's services served from `first` to `last`."""
    stmt = select(func.coalesce(func.sum(CaseService.minutes), 0), func.count()).where(
        CaseService.agency_id == agency_id,
        CaseService.served_on >= first,
        CaseService.served_on <= last,
    )
    minutes, n = (await session.execute(stmt)).one()
    return int(minutes), int(n)


async def cases_open_in(
    session: AsyncSession, agency_id: uuid.UUID, first: date, last: date
) -> int:
    """Cases of the agency open at any time from `first` to `last`."""
    stmt = select(func.count()).where(
        Case.agency_id == agency_id,
        Case.opened_on <= last,
        or_(Case.closed_on.is_(None), Case.closed_on >= first),
    )
    return int((await session.execute(stmt)).scalar_one())


async def reviews_overdue(session: AsyncSession, agency_id: uuid.UUID, on: date) -> int:
    stmt = select(func.count()).where(Case.agency_id == agency_id, overdue(on))
    return int((await session.execute(stmt)).scalar_one())


async def services_in(
    session: AsyncSession, agency_id: uuid.UUID, first: date, last: date
) -> list[tuple[CaseService, str]]:
    """The month's service records with the child's name, in date order (for the export)."""
    stmt = (
        select(CaseService, Child.name)
        .join(Case, Case.id == CaseService.case_id)
        .join(Child, Child.id == Case.child_id)
        .where(
            CaseService.agency_id == agency_id,
            CaseService.served_on >= first,
            CaseService.served_on <= last,
        )
        .order_by(CaseService.served_on, CaseService.created_at, CaseService.id)
    )
    return [(s, n) for s, n in (await session.execute(stmt)).tuples()]
