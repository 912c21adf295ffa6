"""SQL of the training cascade. `readable` decides which sessions exist for a caller."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, any_, extract, false, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth.principal import Principal
from app.auth.roles import DISTRICT_ROLES, Role
from app.kit.listing import in_year, where_given
from app.kit.rows import one_where
from app.models import Area, TrainingAttendance, TrainingSession, User


def readable(principal: Principal) -> ColumnElement[bool]:
    """The sessions a caller may read: the district roles all of their district's (its own
    sessions and its towns'); a town supervisor their district's sessions and their own
    town's; nobody else (they read their own attendance). Another district's are a 404."""
    if principal.kind != "user" or principal.district_code is None:
        return false()
    if principal.role in DISTRICT_ROLES and principal.area_path:
        within = select(Area.code).where(Area.path.startswith(principal.area_path))
        return TrainingSession.area_code.in_(within)
    if principal.role == Role.TOWN_SUPERVISOR and principal.area_code:
        return or_(
            and_(
                TrainingSession.level == "district",
                TrainingSession.area_code == principal.district_code,
            ),
            TrainingSession.area_code == principal.area_code,
        )
    return false()


async def session_by_id(
    session: AsyncSession, principal: Principal | None, session_id: uuid.UUID
) -> TrainingSession | None:
    stmt = select(TrainingSession).where(TrainingSession.id == session_id)
    if principal is not None:
        stmt = stmt.where(readable(principal))
    return (await session.execute(stmt)).scalar_one_or_none()


async def session_by_code(session: AsyncSession, code: str) -> TrainingSession | None:
    return await one_where(session, TrainingSession, TrainingSession.code == code)


async def code_taken(session: AsyncSession, code: str) -> bool:
    stmt = select(TrainingSession.id).where(TrainingSession.code == code)
    return (await session.execute(stmt)).first() is not None


async def attendee(session: AsyncSession, user_id: uuid.UUID) -> Row[Any] | None:
    """The staff user with their area's level, parent and path (None when unknown)."""
    stmt = (
        select(
            User.id,
            User.username,
            User.full_name,
            User.role,
            User.is_active,
            User.area_code,
            Area.level,
            Area.parent_code,
            Area.path,
        )
        .join(Area, Area.code == User.area_code)
        .where(User.id == user_id)
    )
    return (await session.execute(stmt)).first()


def session_list(
    principal: Principal, *, year: int | None, level: str | None, area_code: str | None
) -> Any:
    return where_given(
        select(TrainingSession).where(readable(principal)),
        (extract("year", TrainingSession.held_on), year),
        (TrainingSession.level, level),
        (TrainingSession.area_code, area_code),
    )


async def counts(
    session: AsyncSession, session_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    if not session_ids:
        return {}
    stmt = (
        select(TrainingAttendance.session_id, TrainingAttendance.status, func.count())
        .where(TrainingAttendance.session_id.in_(session_ids))
        .group_by(TrainingAttendance.session_id, TrainingAttendance.status)
    )
    out: dict[uuid.UUID, dict[str, int]] = {}
    for sid, status, n in (await session.execute(stmt)).tuples():
        out.setdefault(sid, {})[status] = int(n)
    return out


async def attendance_rows(session: AsyncSession, session_id: uuid.UUID) -> Sequence[Row[Any]]:
    stmt = (
        select(TrainingAttendance, User.username, User.full_name, User.role)
        .join(User, User.id == TrainingAttendance.user_id)
        .where(TrainingAttendance.session_id == session_id)
        .order_by(User.username)
    )
    return (await session.execute(stmt)).all()


async def attendance_of(
    session: AsyncSession, session_id: uuid.UUID, user_id: uuid.UUID
) -> TrainingAttendance | None:
    A = TrainingAttendance
    return await one_where(session, A, A.session_id == session_id, A.user_id == user_id, fresh=True)


async def put_attendance(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert the attendance, or set the status of the one already recorded (one per person and
    session, however many times or however concurrently it is sent)."""
    stmt = insert(TrainingAttendance).values(id=uuid.uuid4(), **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["session_id", "user_id"],
        set_={
            k: stmt.excluded[k]
            for k in ("status", "recorded_via", "recorded_by", "note", "recorded_at")
        },
    )
    await session.execute(stmt)


async def my_attendance(
    session: AsyncSession, user_id: uuid.UUID, year: int | None
) -> Sequence[Row[Any]]:
    stmt = (
        select(TrainingAttendance, TrainingSession)
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(TrainingAttendance.user_id == user_id)
        .order_by(TrainingSession.held_on.desc(), TrainingSession.id)
    )
    if year is not None:
        stmt = stmt.where(extract("year", TrainingSession.held_on) == year)
    return (await session.execute(stmt)).all()


# ---- coverage ------------------------------------------------------------------------------


async def workers(
    session: AsyncSession, area_path: str, roles: Sequence[str]
) -> Sequence[Row[Any]]:
    """The active workers within an area: id, username, full name, role, area path."""
    stmt = (
        select(User.id, User.username, User.full_name, User.role, Area.path)
        .join(Area, Area.code == User.area_code)
        .where(User.is_active.is_(True), User.role.in_(roles), Area.path.startswith(area_path))
        .order_by(Area.path, User.role, User.username)
    )
    return (await session.execute(stmt)).all()


async def towns_within(session: AsyncSession, area_path: str) -> list[tuple[str, str]]:
    stmt = (
        select(Area.code, Area.name)
        .where(Area.level == "town", Area.path.startswith(area_path))
        .order_by(Area.code)
    )
    return list((await session.execute(stmt)).tuples().all())


def _in_year(year: int) -> ColumnElement[bool]:
    return in_year(TrainingSession.held_on, year)


async def present_in_year(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], year: int
) -> dict[uuid.UUID, tuple[int, Decimal]]:
    """user id → (sessions attended present in the year, their hours)."""
    if not user_ids:
        return {}
    stmt = (
        select(TrainingAttendance.user_id, func.count(), func.sum(TrainingSession.hours))
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(
            TrainingAttendance.user_id.in_(user_ids),
            TrainingAttendance.status == "present",
            _in_year(year),
        )
        .group_by(TrainingAttendance.user_id)
    )
    return {uid: (int(n), Decimal(hours or 0)) for uid, n, hours in (await session.execute(stmt))}


async def ever_on_mandatory_reporting(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], year: int
) -> set[uuid.UUID]:
    """Those present at a session on mandatory reporting, any year up to the end of `year`."""
    if not user_ids:
        return set()
    stmt = (
        select(TrainingAttendance.user_id)
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(
            TrainingAttendance.user_id.in_(user_ids),
            TrainingAttendance.status == "present",
            literal("mandatory_reporting") == any_(TrainingSession.topics),
            TrainingSession.held_on <= date(year, 12, 31),
        )
        .distinct()
    )
    return set((await session.execute(stmt)).scalars().all())


async def town_sessions(session: AsyncSession, year: int) -> dict[str, int]:
    """town code → the town's own sessions held in the year."""
    stmt = (
        select(TrainingSession.area_code, func.count())
        .where(TrainingSession.level == "town", _in_year(year))
        .group_by(TrainingSession.area_code)
    )
    return {code: int(n) for code, n in (await session.execute(stmt)).tuples()}
