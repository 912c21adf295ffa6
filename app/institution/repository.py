"""SQL of institute care: the residents (ledger children placed in the institute), plans,
records, sessions, activities, volunteers, and the monthly report's figures."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth.roles import Role
from app.kit.listing import where_given
from app.kit.rows import one_where
from app.kit.sql import insert_ignoring_conflicts
from app.models import (
    CarePlan,
    CareRecord,
    Child,
    CounsellingSession,
    InstituteActivity,
    TutoringSession,
    User,
    Volunteer,
)

RESIDENT_STATUSES = ("active", "continued_schooling")
M = TypeVar("M")


def resident_clause() -> ColumnElement[bool]:
    """A child in the institute's care today: placed there and on the ledger (an adult who
    continues schooling stays a resident)."""
    return and_(Child.placement == "institution", Child.status.in_(RESIDENT_STATUSES))


def resident_on(day: date) -> ColumnElement[bool]:
    """A child in the institute's care on `day` (enrolled by then, not revoked by then)."""
    return and_(
        Child.placement == "institution",
        Child.approved_on <= day,
        or_(Child.revoked_on.is_(None), Child.revoked_on > day),
    )


async def residents(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Child]:
    """The residents among `ids` (others are not the institute's)."""
    if not ids:
        return {}
    stmt = select(Child).where(Child.id.in_(ids), resident_clause())
    return {c.id: c for c in (await session.execute(stmt)).scalars().all()}


async def institute_child(session: AsyncSession, child_id: uuid.UUID) -> Child | None:
    """A child placed in the institute, current or former (their plans stay readable)."""
    return await one_where(session, Child, Child.id == child_id, Child.placement == "institution")


# ---------------------------------------------------------------- plans


async def care_plan(
    session: AsyncSession, child_id: uuid.UUID, year: int, *, lock: bool = False
) -> CarePlan | None:
    return await one_where(
        session,
        CarePlan,
        CarePlan.child_id == child_id,
        CarePlan.year == year,
        lock=lock,
        fresh=True,
    )


# ---------------------------------------------------------------- created once by client id


async def insert_once(session: AsyncSession, model: type[Any], values: dict[str, Any]) -> bool:
    """INSERT the row unless its id exists (a concurrent duplicate waits for the first's
    commit): True when this call inserted it."""
    stmt = insert_ignoring_conflicts(model, "id").values(**values).returning(model.__table__.c.id)
    return (await session.execute(stmt)).first() is not None


async def by_id(session: AsyncSession, model: type[M], row_id: uuid.UUID) -> M | None:
    stmt = select(model).where(model.id == row_id)  # type: ignore[attr-defined]
    return (
        await session.execute(stmt.execution_options(populate_existing=True))
    ).scalar_one_or_none()


# ---------------------------------------------------------------- lists


def _in_month(stmt: Select[Any], day: Any, month: tuple[date, date] | None) -> Select[Any]:
    return stmt if month is None else stmt.where(day.between(*month))


def _containing(stmt: Select[Any], column: Any, member: uuid.UUID | None) -> Select[Any]:
    """The rows whose array `column` holds `member` (None: no filter)."""
    return stmt if member is None else stmt.where(column.contains([member]))


def care_records_stmt(
    child_id: uuid.UUID | None, domain: str | None, month: tuple[date, date] | None
) -> Select[Any]:
    stmt = where_given(
        select(CareRecord), (CareRecord.child_id, child_id), (CareRecord.domain, domain)
    )
    return _in_month(stmt, CareRecord.recorded_on, month)


def sessions_stmt(
    child_id: uuid.UUID | None,
    counsellor_id: uuid.UUID | None,
    month: tuple[date, date] | None,
) -> Select[Any]:
    stmt = _containing(select(CounsellingSession), CounsellingSession.child_ids, child_id)
    stmt = where_given(stmt, (CounsellingSession.counsellor_id, counsellor_id))
    return _in_month(stmt, CounsellingSession.held_on, month)


def activities_stmt(
    child_id: uuid.UUID | None, kind: str | None, month: tuple[date, date] | None
) -> Select[Any]:
    stmt = _containing(select(InstituteActivity), InstituteActivity.child_ids, child_id)
    stmt = where_given(stmt, (InstituteActivity.kind, kind))
    return _in_month(stmt, InstituteActivity.held_on, month)


def tutoring_stmt(
    child_id: uuid.UUID | None, volunteer_id: uuid.UUID | None, month: tuple[date, date] | None
) -> Select[Any]:
    stmt = _containing(select(TutoringSession), TutoringSession.child_ids, child_id)
    stmt = _containing(stmt, TutoringSession.volunteer_ids, volunteer_id)
    return _in_month(stmt, TutoringSession.held_on, month)


def volunteers_stmt(organisation: str | None) -> Select[Any]:
    stmt = select(Volunteer)
    if organisation is not None:
        stmt = stmt.where(Volunteer.organisation == organisation)
    return stmt


# ---------------------------------------------------------------- people


async def counsellor(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """An active counsellor's account."""
    stmt = select(User).where(
        User.id == user_id, User.role == Role.COUNSELLOR, User.is_active.is_(True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def volunteers(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Volunteer]:
    if not ids:
        return {}
    stmt = select(Volunteer).where(Volunteer.id.in_(ids))
    return {v.id: v for v in (await session.execute(stmt)).scalars().all()}


async def volunteer(
    session: AsyncSession, volunteer_id: uuid.UUID, *, lock: bool = False
) -> Volunteer | None:
    return await one_where(session, Volunteer, Volunteer.id == volunteer_id, lock=lock, fresh=True)


async def all_volunteer_checks(session: AsyncSession) -> Sequence[Any]:
    stmt = select(
        Volunteer.record_check_queried_on,
        Volunteer.record_check_result,
        Volunteer.record_check_reference,
    )
    return (await session.execute(stmt)).all()


# ---------------------------------------------------------------- the monthly report


async def resident_rows(session: AsyncSession, day: date) -> Sequence[Any]:
    """The residents on `day`: id, name."""
    stmt = select(Child.id, Child.name).where(resident_on(day)).order_by(Child.birth_date, Child.id)
    return (await session.execute(stmt)).all()


async def care_record_figures(session: AsyncSession, first: date, last: date) -> Sequence[Any]:
    stmt = (
        select(
            CareRecord.domain,
            func.count(),
            func.coalesce(func.sum(CareRecord.minutes), 0),
        )
        .where(CareRecord.recorded_on.between(first, last))
        .group_by(CareRecord.domain)
    )
    return (await session.execute(stmt)).all()


async def session_rows(session: AsyncSession, first: date, last: date) -> Sequence[Any]:
    """The month's counselling sessions: mode, minutes, children, risk (never the notes)."""
    stmt = select(
        CounsellingSession.mode,
        CounsellingSession.minutes,
        CounsellingSession.child_ids,
        CounsellingSession.risk,
    ).where(CounsellingSession.held_on.between(first, last))
    return (await session.execute(stmt)).all()


async def last_sessions(session: AsyncSession, day: date) -> dict[uuid.UUID, date]:
    """Each child's last counselling session on or before `day`."""
    child = func.unnest(CounsellingSession.child_ids).label("child_id")
    inner = (
        select(child, CounsellingSession.held_on).where(CounsellingSession.held_on <= day)
    ).subquery()
    stmt = select(inner.c.child_id, func.max(inner.c.held_on)).group_by(inner.c.child_id)
    return {cid: held for cid, held in (await session.execute(stmt)).tuples()}


async def last_reviews(session: AsyncSession, day: date) -> dict[uuid.UUID, date]:
    """Each child's last care-plan review on or before `day`."""
    stmt = (
        select(CarePlan.child_id, func.max(CarePlan.reviewed_on))
        .where(CarePlan.reviewed_on <= day)
        .group_by(CarePlan.child_id)
    )
    return {cid: on for cid, on in (await session.execute(stmt)).tuples()}


async def activity_figures(session: AsyncSession, first: date, last: date) -> Sequence[Any]:
    stmt = (
        select(
            InstituteActivity.kind,
            func.count(),
            func.coalesce(func.sum(func.cardinality(InstituteActivity.child_ids)), 0),
        )
        .where(InstituteActivity.held_on.between(first, last))
        .group_by(InstituteActivity.kind)
    )
    return (await session.execute(stmt)).all()


async def tutoring_figures(session: AsyncSession, first: date, last: date) -> tuple[int, int]:
    stmt = select(func.count(), func.coalesce(func.sum(TutoringSession.minutes), 0)).where(
        TutoringSession.held_on.between(first, last)
    )
    n, minutes = (await session.execute(stmt)).one()
    return int(n), int(minutes)
