"""SQL of the charity project funds. `readable` decides which applications exist for a caller."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth.principal import Principal
from app.auth.roles import DISTRICT_ROLES, Role
from app.charity.auth import is_association
from app.children.access import readable as child_readable
from app.kit.listing import where_given
from app.kit.rows import one_where
from app.models import Area, CharityApplication, CharityDisbursement, Child

A = CharityApplication


def readable(principal: Principal) -> ColumnElement[bool]:
    """District roles: every application of their district; a town supervisor: their town's; the charity
    association: those forwarded to it (and what became of them); nobody else: none."""
    if is_association(principal):
        return A.forwarded_at.is_not(None)
    if principal.kind != "user":
        return false()
    if principal.role in DISTRICT_ROLES and principal.area_path:
        # the district's own applications (a city's other districts' are a 404)
        within = select(Area.code).where(Area.path.startswith(principal.area_path))
        return A.applicant_area_code.in_(within)
    if principal.role == Role.TOWN_SUPERVISOR and principal.area_code:
        return A.applicant_area_code == principal.area_code
    return false()


async def application(
    session: AsyncSession, principal: Principal, app_id: uuid.UUID, *, lock: bool = False
) -> CharityApplication | None:
    return await one_where(session, A, A.id == app_id, readable(principal), lock=lock, fresh=True)


async def exists(session: AsyncSession, app_id: uuid.UUID) -> bool:
    return (await session.execute(select(A.id).where(A.id == app_id))).first() is not None


def listing(
    principal: Principal,
    *,
    status: str | None,
    service_type: str | None,
    applicant_area_code: str | None,
) -> Any:
    return where_given(
        select(A).where(readable(principal)),
        (A.status, status),
        (A.service_type, service_type),
        (A.applicant_area_code, applicant_area_code),
    )


def overdue(principal: Principal, due_before: date) -> Any:
    """Approved projects whose period ended before `due_before` and without a final report."""
    return select(A).where(readable(principal), A.status == "approved", A.period_to < due_before)


async def disbursements(
    session: AsyncSession, app_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CharityDisbursement]]:
    if not app_ids:
        return {}
    stmt = (
        select(CharityDisbursement)
        .where(CharityDisbursement.application_id.in_(app_ids))
        .order_by(CharityDisbursement.paid_on, CharityDisbursement.recorded_at)
    )
    out: dict[uuid.UUID, list[CharityDisbursement]] = {}
    for d in (await session.execute(stmt)).scalars():
        out.setdefault(d.application_id, []).append(d)
    return out


async def disbursement(session: AsyncSession, disb_id: uuid.UUID) -> CharityDisbursement | None:
    return await session.get(CharityDisbursement, disb_id)


async def readable_children(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not ids:
        return set()
    stmt = select(Child.id).where(Child.id.in_(ids), child_readable(principal))
    return set((await session.execute(stmt)).scalars().all())
