"""SQL of the agency side: only the referrals addressed to the caller's agency exist for it.

These are the incidents' referrals; a screening record's referral (`screening_record_id`) has
its own routes (`app/screening/referrals/`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.mandate import referral_in_district
from app.kit.rows import one_where
from app.models import Child, Incident, Referral


def list_stmt(
    agency: str,
    status: str | None,
    updated_since: datetime | None,
    situation: str | None = None,
    district_code: str | None = None,
) -> Select[Any]:
    """The agency's incidents' referrals (a district's client: its own district's only)."""
    stmt = select(Referral).where(
        Referral.agency == agency,
        Referral.incident_id.is_not(None),
        referral_in_district(district_code),
    )
    if status is not None:
        stmt = stmt.where(Referral.status == status)
    if situation is not None:
        stmt = stmt.where(
            Referral.incident_id.in_(
                select(Incident.id).where(Incident.situations.contains([situation]))
            )
        )
    if updated_since is not None:
        stmt = stmt.where(Referral.updated_at >= updated_since)
    return stmt


async def get_for_agency(
    session: AsyncSession,
    agency: str,
    referral_id: uuid.UUID,
    *,
    lock: bool = False,
    district_code: str | None = None,
) -> Referral | None:
    return await one_where(
        session,
        Referral,
        Referral.id == referral_id,
        Referral.agency == agency,
        Referral.incident_id.is_not(None),
        referral_in_district(district_code),
        lock=lock,
    )


def incident_id(referral: Referral) -> uuid.UUID:
    """The incident of a referral read here (the queries above admit incidents' referrals only)."""
    if referral.incident_id is None:
        raise LookupError(f"referral {referral.id} is not an incident's")
    return referral.incident_id


async def incidents_and_children(
    session: AsyncSession, incident_ids: set[uuid.UUID]
) -> tuple[dict[uuid.UUID, Incident], dict[uuid.UUID, Child]]:
    if not incident_ids:
        return {}, {}
    incidents = {
        i.id: i
        for i in (await session.execute(select(Incident).where(Incident.id.in_(incident_ids))))
        .scalars()
        .all()
    }
    child_ids = {i.child_id for i in incidents.values() if i.child_id is not None}
    children: dict[uuid.UUID, Child] = {}
    if child_ids:
        children = {
            c.id: c
            for c in (await session.execute(select(Child).where(Child.id.in_(child_ids))))
            .scalars()
            .all()
        }
    return incidents, children


async def lock_incident(session: AsyncSession, incident_id: uuid.UUID) -> Incident:
    stmt = select(Incident).where(Incident.id == incident_id).with_for_update()
    return (await session.execute(stmt)).scalar_one()
