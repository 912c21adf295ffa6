"""SQL of institute care: the residents (ledger children placed in the institute), plans,
records, sessions, activities, volunteers, and the monthly report's figures."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth.jurisdiction import district_clause
from app.auth.principal import Principal
from app.auth.roles import Role
from app.kit.listing import where_given
from app.kit.rows import one_where
from app.kit.sql import insert_ignoring_conflicts
from app.models import (
    Area,
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


def _district_path(principal: Principal) -> str | None:
    """The materialised path of the caller's district (a prefix of their own area's path)."""
    path, code = principal.area_path, principal.district_code
    if path is None or code is None:
        return None
    parts = path.split("/")
    if code not in parts:
        return None
    return "/".join(parts[: parts.index(code) + 1]) + "/"


def child_district(principal: Principal) -> ColumnElement[bool]:
    """The institute's children of the caller's district: `children.district_code`, the one
    rule of every domain (a village's district, kept by a trigger; a child placed in the
    institute keeps the district that enrolled it, or that it lived in before). The city's roles
    reach them only with CITY_RECORD_ROLES; an agency client reaches no resident here."""
    if principal.kind != "user":
        return false()
    return district_clause(principal, Child.district_code)


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


async def residents(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Child]:
    """The residents among `ids` (others are not the institute's, or another district's)."""
    if not ids:
        return {}
    stmt = select(Child).where(Child.id.in_(ids), resident_clause(), child_district(principal))
    return {c.id: c for c in (await session.execute(stmt)).scalars().all()}


async def institute_child(
    session: AsyncSession, principal: Principal, child_id: uuid.UUID
) -> Child | None:
    """A child placed in the institute, current or former (their plans stay readable), of the
    caller's district."""
    stmt = select(Child).where(
        Child.id == child_id, Child.placement == "institution", child_district(principal)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


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


async def by_id(
    session: AsyncSession, model: type[M], row_id: uuid.UUID, principal: Principal | None = None
) -> M | None:
    """The row by id (with `principal`: only one of the caller's district; else None)."""
    stmt = select(model).where(model.id == row_id)  # type: ignore[attr-defined]
    if principal is not None:
        stmt = stmt.where(district_clause(principal, model.district_code))  # type: ignore[attr-defined]
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
    principal: Principal,
    child_id: uuid.UUID | None,
    domain: str | None,
    month: tuple[date, date] | None,
) -> Select[Any]:
    stmt = where_given(
        select(CareRecord).where(district_clause(principal, CareRecord.district_code)),
        (CareRecord.child_id, child_id),
        (CareRecord.domain, domain),
    )
    return _in_month(stmt, CareRecord.recorded_on, month)


def sessions_stmt(
    principal: Principal,
    child_id: uuid.UUID | None,
    counsellor_id: uuid.UUID | None,
    month: tuple[date, date] | None,
) -> Select[Any]:
    own = select(CounsellingSession).where(
        district_clause(principal, CounsellingSession.district_code)
    )
    stmt = _containing(own, CounsellingSession.child_ids, child_id)
    stmt = where_given(stmt, (CounsellingSession.counsellor_id, counsellor_id))
    return _in_month(stmt, CounsellingSession.held_on, month)


def activities_stmt(
    principal: Principal,
    child_id: uuid.UUID | None,
    kind: str | None,
    month: tuple[date, date] | None,
) -> Select[Any]:
    own = select(InstituteActivity).where(
        district_clause(principal, InstituteActivity.district_code)
    )
    stmt = _containing(own, InstituteActivity.child_ids, child_id)
    stmt = where_given(stmt, (InstituteActivity.kind, kind))
    return _in_month(stmt, InstituteActivity.held_on, month)


def tutoring_stmt(
    principal: Principal,
    child_id: uuid.UUID | None,
    volunteer_id: uuid.UUID | None,
    month: tuple[date, date] | None,
) -> Select[Any]:
    own = select(TutoringSession).where(district_clause(principal, TutoringSession.district_code))
    stmt = _containing(own, TutoringSession.child_ids, child_id)
    stmt = _containing(stmt, TutoringSession.volunteer_ids, volunteer_id)
    return _in_month(stmt, TutoringSession.held_on, month)


def volunteers_stmt(principal: Principal, organisation: str | None) -> Select[Any]:
    stmt = select(Volunteer).where(district_clause(principal, Volunteer.district_code))
    if organisation is not None:
        stmt = stmt.where(Volunteer.organisation == organisation)
    return stmt


# ---------------------------------------------------------------- people


async def counsellor(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> User | None:
    """An active counsellor's account of the caller's district."""
    district_path = _district_path(principal)
    if district_path is None:
        return None
    stmt = (
        select(User)
        .join(Area, Area.code == User.area_code)
        .where(
            User.id == user_id,
            User.role == Role.COUNSELLOR,
            User.is_active.is_(True),
            Area.path.startswith(district_path),
        )
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def volunteers(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Volunteer]:
    """The caller's district's volunteers among `ids`."""
    if not ids:
        return {}
    stmt = select(Volunteer).where(
        Volunteer.id.in_(ids), district_clause(principal, Volunteer.district_code)
    )
    return {v.id: v for v in (await session.execute(stmt)).scalars().all()}


async def volunteer(
    session: AsyncSession, principal: Principal, volunteer_id: uuid.UUID, *, lock: bool = False
) -> Volunteer | None:
    """A volunteer of the caller's district (another district's: None)."""
    stmt = select(Volunteer).where(
        Volunteer.id == volunteer_id, district_clause(principal, Volunteer.district_code)
    )
    if lock:
        stmt = stmt.with_for_update()
    return (
        await session.execute(stmt.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def all_volunteer_checks(session: AsyncSession, principal: Principal) -> Sequence[Any]:
    stmt = select(
        Volunteer.record_check_queried_on,
        Volunteer.record_check_result,
        Volunteer.record_check_reference,
    ).where(district_clause(principal, Volunteer.district_code))
    return (await session.execute(stmt)).all()


# ---------------------------------------------------------------- the monthly report


async def resident_rows(session: AsyncSession, principal: Principal, day: date) -> Sequence[Any]:
    """The residents of the caller's district on `day`: id, name."""
    stmt = (
        select(Child.id, Child.name)
        .where(resident_on(day), child_district(principal))
        .order_by(Child.birth_date, Child.id)
    )
    return (await session.execute(stmt)).all()


async def care_record_figures(
    session: AsyncSession, principal: Principal, first: date, last: date
) -> Sequence[Any]:
    stmt = (
        select(
            CareRecord.domain,
            func.count(),
            func.coalesce(func.sum(CareRecord.minutes), 0),
        )
        .where(
            CareRecord.recorded_on.between(first, last),
            district_clause(principal, CareRecord.district_code),
        )
        .group_by(CareRecord.domain)
    )
    return (await session.execute(stmt)).all()


async def session_rows(
    session: AsyncSession, principal: Principal, first: date, last: date
) -> Sequence[Any]:
    """The month's counselling sessions: mode, minutes, children, risk (never the notes)."""
    stmt = select(
        CounsellingSession.mode,
        CounsellingSession.minutes,
        CounsellingSession.child_ids,
        CounsellingSession.risk,
    ).where(
        CounsellingSession.held_on.between(first, last),
        district_clause(principal, CounsellingSession.district_code),
    )
    return (await session.execute(stmt)).all()


async def last_sessions(
    session: AsyncSession, principal: Principal, day: date
) -> dict[uuid.UUID, date]:
    """Each child's last counselling session on or before `day`."""
    child = func.unnest(CounsellingSession.child_ids).label("child_id")
    inner = (
        select(child, CounsellingSession.held_on).where(
            CounsellingSession.held_on <= day,
            district_clause(principal, CounsellingSession.district_code),
        )
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


async def activity_figures(
    session: AsyncSession, principal: Principal, first: date, last: date
) -> Sequence[Any]:
    stmt = (
        select(
            InstituteActivity.kind,
            func.count(),
            func.coalesce(func.sum(func.cardinality(InstituteActivity.child_ids)), 0),
        )
        .where(
            InstituteActivity.held_on.between(first, last),
            district_clause(principal, InstituteActivity.district_code),
        )
        .group_by(InstituteActivity.kind)
    )
    return (await session.execute(stmt)).all()


async def tutoring_figures(
    session: AsyncSession, principal: Principal, first: date, last: date
) -> tuple[int, int]:
    stmt = select(func.count(), func.coalesce(func.sum(TutoringSession.minutes), 0)).where(
        TutoringSession.held_on.between(first, last),
        district_clause(principal, TutoringSession.district_code),
    )
    n, minutes = (await session.execute(stmt)).one()
    return int(n), int(minutes)
