"""All SQL of the protection centre's register.

`visible(principal)` is the domain's one jurisdiction clause: the centre's staff and the
district's offices see every intake of their own district (a city has a centre per district); the
city's offices none, unless CITY_RECORD_ROLES names them; a police client only those it
announced; nobody else any (a 404). The follow-up visits have their own: a village director sees their village's.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, false, func, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth.jurisdiction import district_clause
from app.auth.principal import Principal
from app.auth.roles import DECIDERS, Role
from app.kit.listing import where_given
from app.kit.rows import one_where
from app.models import (
    Area,
    Incident,
    ProtectionEscalation,
    ProtectionFamilyAssessment,
    ProtectionFollowUpVisit,
    ProtectionIntake,
    ProtectionPlacement,
    ProtectionTracing,
    User,
)
from app.protection.auth import CENTRE_AND_DISTRICT

Intake = ProtectionIntake


def visible(principal: Principal) -> ColumnElement[bool]:
    """The intakes that exist for this caller."""
    if principal.kind == "agency":
        if principal.agency != "police":
            return false()
        return Intake.announced_by_client_id == principal.id
    if principal.has_role(*CENTRE_AND_DISTRICT) or principal.is_city:
        return district_clause(principal, Intake.district_code)
    return false()


def of_district(principal: Principal | None) -> ColumnElement[bool]:
    """A caller's district's intakes for the centre's own views (occupancy, deadlines); every
    intake for the system's periodic work (no caller)."""
    return true() if principal is None else district_clause(principal, Intake.district_code)


async def get(
    session: AsyncSession, principal: Principal, intake_id: uuid.UUID, *, lock: bool = False
) -> Intake | None:
    return await one_where(session, Intake, Intake.id == intake_id, visible(principal), lock=lock)


async def exists(session: AsyncSession, intake_id: uuid.UUID) -> bool:
    return (await session.scalar(select(Intake.id).where(Intake.id == intake_id))) is not None


async def get_any(
    session: AsyncSession, intake_id: uuid.UUID, *, lock: bool = False
) -> Intake | None:
    return await one_where(session, Intake, Intake.id == intake_id, lock=lock)


async def open_for_hash(
    session: AsyncSession, id_hash: str, *, exclude: uuid.UUID | None = None
) -> uuid.UUID | None:
    stmt = select(Intake.id).where(Intake.child_id_number_hash == id_hash, Intake.status == "open")
    if exclude is not None:
        stmt = stmt.where(Intake.id != exclude)
    found: uuid.UUID | None = await session.scalar(stmt)
    return found


async def incident_exists(session: AsyncSession, incident_id: uuid.UUID) -> bool:
    return (await session.scalar(select(Incident.id).where(Incident.id == incident_id))) is not None


async def is_village(session: AsyncSession, code: str) -> bool:
    level = await session.scalar(select(Area.level).where(Area.code == code))
    return level == "village"


def list_stmt(
    principal: Principal,
    *,
    status: str | None,
    kind: str | None,
    admitted_from: datetime | None,
    admitted_to: datetime | None,
) -> Select[Any]:
    stmt = where_given(
        select(Intake).where(visible(principal)), (Intake.status, status), (Intake.kind, kind)
    )
    if admitted_from is not None:
        stmt = stmt.where(Intake.admitted_at >= admitted_from)
    if admitted_to is not None:
        stmt = stmt.where(Intake.admitted_at < admitted_to)
    return stmt


async def steps_of(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> tuple[
    dict[uuid.UUID, list[ProtectionTracing]],
    dict[uuid.UUID, list[ProtectionPlacement]],
    dict[uuid.UUID, list[ProtectionFamilyAssessment]],
]:
    """The tracing steps, placements and family assessments of these intakes, in order."""
    tracing: dict[uuid.UUID, list[ProtectionTracing]] = {i: [] for i in ids}
    placements: dict[uuid.UUID, list[ProtectionPlacement]] = {i: [] for i in ids}
    assessments: dict[uuid.UUID, list[ProtectionFamilyAssessment]] = {i: [] for i in ids}
    if not ids:
        return tracing, placements, assessments
    for t in await session.scalars(
        select(ProtectionTracing)
        .where(ProtectionTracing.intake_id.in_(ids))
        .order_by(ProtectionTracing.traced_on, ProtectionTracing.recorded_at)
    ):
        tracing[t.intake_id].append(t)
    for p in await session.scalars(
        select(ProtectionPlacement)
        .where(ProtectionPlacement.intake_id.in_(ids))
        .order_by(ProtectionPlacement.start_on, ProtectionPlacement.recorded_at)
    ):
        placements[p.intake_id].append(p)
    for a in await session.scalars(
        select(ProtectionFamilyAssessment)
        .where(ProtectionFamilyAssessment.intake_id.in_(ids))
        .order_by(ProtectionFamilyAssessment.assessed_on, ProtectionFamilyAssessment.recorded_at)
    ):
        assessments[a.intake_id].append(a)
    return tracing, placements, assessments


async def open_placement(session: AsyncSession, intake_id: uuid.UUID) -> ProtectionPlacement | None:
    stmt = (
        select(ProtectionPlacement)
        .where(ProtectionPlacement.intake_id == intake_id, ProtectionPlacement.end_on.is_(None))
        .order_by(ProtectionPlacement.start_on.desc())
    )
    return (await session.scalars(stmt)).first()


async def has_safe_assessment(session: AsyncSession, intake_id: uuid.UUID) -> bool:
    stmt = select(ProtectionFamilyAssessment.id).where(
        ProtectionFamilyAssessment.intake_id == intake_id,
        ProtectionFamilyAssessment.conclusion == "safe_to_return",
    )
    return (await session.scalar(stmt.limit(1))) is not None


# -- deadlines ----------------------------------------------------------------------------------


async def open_intakes(
    session: AsyncSession, clause: ColumnElement[bool] | None = None
) -> list[Intake]:
    stmt = select(Intake).where(Intake.status == "open").order_by(Intake.admitted_at, Intake.id)
    if clause is not None:
        stmt = stmt.where(clause)
    return list(await session.scalars(stmt))


async def identity_checked(session: AsyncSession, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    stmt = select(ProtectionTracing.intake_id).where(
        ProtectionTracing.intake_id.in_(ids), ProtectionTracing.method == "police_identity_check"
    )
    return set(await session.scalars(stmt.distinct()))


async def escalations(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, str, datetime], datetime]:
    if not ids:
        return {}
    stmt = select(
        ProtectionEscalation.intake_id,
        ProtectionEscalation.deadline,
        ProtectionEscalation.due_at,
        ProtectionEscalation.escalated_at,
    ).where(ProtectionEscalation.intake_id.in_(ids))
    return {(a, b, c): d for a, b, c, d in (await session.execute(stmt)).tuples()}


async def claim_escalation(
    session: AsyncSession, intake_id: uuid.UUID, deadline: str, due_at: datetime, now: datetime
) -> bool:
    """Flag a missed deadline once: true for the one run that inserted it."""
    stmt = (
        insert(ProtectionEscalation)
        .values(
            id=uuid.uuid4(), intake_id=intake_id, deadline=deadline, due_at=due_at, escalated_at=now
        )
        .on_conflict_do_nothing()
        .returning(ProtectionEscalation.id)
    )
    return (await session.execute(stmt)).first() is not None


async def district_staff_ids(
    session: AsyncSession, district_code: str | None = None
) -> list[uuid.UUID]:
    """The active district admins and leaders (of one district when `district_code` is given:
    a city's other districts are not told of this district's intakes)."""
    stmt = select(User.id).where(User.role.in_(DECIDERS), User.is_active.is_(True))
    if district_code is not None:
        stmt = stmt.join(Area, Area.code == User.area_code).where(
            Area.path.contains(f"{district_code}/")
        )
    return list(await session.scalars(stmt))


# -- occupancy ----------------------------------------------------------------------------------

_MONTH = func.to_char(func.timezone("Asia/Shanghai", Intake.admitted_at), "YYYY-MM")


async def admissions_by_month(
    session: AsyncSession, since: datetime, clause: ColumnElement[bool]
) -> dict[str, int]:
    stmt = select(_MONTH, func.count()).where(Intake.admitted_at >= since, clause).group_by(_MONTH)
    return {m: n for m, n in (await session.execute(stmt)).tuples()}


async def discharges_by_month(
    session: AsyncSession, since: date, clause: ColumnElement[bool]
) -> dict[tuple[str, str], int]:
    month = func.to_char(Intake.discharged_on, "YYYY-MM")
    stmt = (
        select(month, Intake.outcome, func.count())
        .where(Intake.discharged_on >= since, Intake.status == "closed", clause)
        .group_by(month, Intake.outcome)
    )
    return {(m, str(o)): n for m, o, n in (await session.execute(stmt)).tuples()}


# -- follow-up visits ---------------------------------------------------------------------------


def follow_up_clause(principal: Principal) -> ColumnElement[bool]:
    """A village director sees the follow-up visits of their village; the centre and the
    district every one; nobody else any."""
    if principal.has_role(Role.VILLAGE_DIRECTOR):
        return ProtectionFollowUpVisit.village_code == principal.area_code
    if principal.has_role(*CENTRE_AND_DISTRICT):
        return district_clause(principal, Intake.district_code)
    return false()


def follow_ups_stmt(principal: Principal, *, due_only: bool) -> Select[Any]:
    stmt = (
        select(ProtectionFollowUpVisit, Intake.child_name, Intake.family_address)
        .join(Intake, Intake.id == ProtectionFollowUpVisit.intake_id)
        .where(follow_up_clause(principal))
    )
    if due_only:
        stmt = stmt.where(ProtectionFollowUpVisit.visited_on.is_(None))
    return stmt


async def follow_up_for_update(
    session: AsyncSession, principal: Principal, visit_id: uuid.UUID
) -> tuple[ProtectionFollowUpVisit, str | None, str | None] | None:
    stmt = (
        follow_ups_stmt(principal, due_only=False)
        .where(ProtectionFollowUpVisit.id == visit_id)
        .with_for_update(of=ProtectionFollowUpVisit)
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1], row[2])


async def due_follow_ups_of_village(
    session: AsyncSession, village_code: str
) -> list[tuple[ProtectionFollowUpVisit, str | None, str | None]]:
    """The follow-up visits still to make in one village (for the phone's sync)."""
    rows = (await session.execute(_DUE_OF_VILLAGE, {"village_code": village_code})).all()
    return [(r[0], r[1], r[2]) for r in rows]


# Built once (every sync of a village director runs it): its cache key is memoised.
_DUE_OF_VILLAGE = (
    select(ProtectionFollowUpVisit, Intake.child_name, Intake.family_address)
    .join(Intake, Intake.id == ProtectionFollowUpVisit.intake_id)
    .where(
        and_(
            ProtectionFollowUpVisit.village_code == bindparam("village_code"),
            ProtectionFollowUpVisit.visited_on.is_(None),
        )
    )
    .order_by(ProtectionFollowUpVisit.due_on, ProtectionFollowUpVisit.id)
)
