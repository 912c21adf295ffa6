"""Reading incidents: the whole record for its circle, a summary for town supervisors.

Every read is audited. An incident outside the caller's circle does not exist (404).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.incidents import repository as repo
from app.incidents.errors import IncidentNotFound
from app.incidents.schemas import (
    ChildView,
    IncidentOut,
    IncidentSummary,
    ReferralUpdateOut,
    SituationOut,
    StaffReferralOut,
    StepOut,
)
from app.incidents.situations import described
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.pagination import paginate
from app.kit.records import out_of
from app.models import Child, Incident, IncidentStep, Referral, ReferralUpdate

IncidentView = IncidentOut | IncidentSummary


def _child_view(incident: Incident, child: Child | None) -> ChildView:
    if child is not None:
        return out_of(ChildView, child, on_ledger=True, age=None)
    return ChildView(
        id=None,
        on_ledger=False,
        name=incident.child_name,
        gender=incident.child_gender,
        birth_date=incident.child_birth_date,
        age=incident.child_age,
        id_number_masked=incident.child_id_number_masked,
    )


def full_view(
    incident: Incident,
    child: Child | None,
    steps: list[IncidentStep],
    referrals: list[Referral],
    updates: dict[uuid.UUID, list[ReferralUpdate]],
) -> IncidentOut:
    return out_of(
        IncidentOut,
        incident,
        child=_child_view(incident, child),
        situations=[SituationOut.model_validate(d) for d in described(incident.situations)],
        kinds=list(incident.kinds),
        escalated=incident.escalated_at is not None,
        interventions=list(incident.interventions),
        steps=[StepOut.model_validate(s) for s in steps],
        referrals=[
            out_of(
                StaffReferralOut,
                r,
                updates=[ReferralUpdateOut.model_validate(u) for u in updates.get(r.id, [])],
            )
            for r in referrals
        ],
    )


def summary_view(incident: Incident, child: Child | None) -> IncidentSummary:
    return IncidentSummary(
        id=incident.id,
        status=incident.status,
        child_id=incident.child_id,
        child_name=child.name if child is not None else incident.child_name,
        reported_at=incident.reported_at,
        updated_at=incident.updated_at,
    )


async def build_views(
    session: AsyncSession, principal: Principal, incidents: list[Incident]
) -> list[IncidentView]:
    full_ids = [i.id for i in incidents if repo.sees_full(principal, i)]
    children = await repo.children_by_id(session, {i.child_id for i in incidents if i.child_id})
    steps = await repo.steps_of(session, full_ids)
    referrals = await repo.referrals_of(session, full_ids)
    updates = await repo.updates_of(session, [r.id for rs in referrals.values() for r in rs])
    out: list[IncidentView] = []
    for incident in incidents:
        child = children.get(incident.child_id) if incident.child_id else None
        if incident.id in full_ids:
            out.append(
                full_view(incident, child, steps[incident.id], referrals[incident.id], updates)
            )
        else:
            out.append(summary_view(incident, child))
    return out


async def get_view(
    session: AsyncSession, ctx: RequestContext, incident_id: uuid.UUID
) -> tuple[IncidentView, int]:
    """One incident as the caller may see it, and its version (for the ETag)."""
    incident = await repo.get_visible(session, ctx.actor, incident_id)
    if incident is None:
        raise IncidentNotFound()
    (view,) = await build_views(session, ctx.actor, [incident])
    audit.record(session, ctx, "incident.read", "incident", incident.id, {"view": view.view})
    return view, incident.version


async def changed_reply(
    session: AsyncSession, ctx: RequestContext, incident: Incident
) -> IncidentOut:
    """The answer to the one who changed the incident: its whole record (the route sends its
    version as the ETag)."""
    return await changed_view(session, ctx.actor, incident)


async def changed_view(
    session: AsyncSession, principal: Principal, incident: Incident
) -> IncidentOut:
    """The whole record of an incident its caller just changed (who changes one sees it whole)."""
    await session.flush()
    (view,) = await build_views(session, principal, [incident])
    assert isinstance(view, IncidentOut)
    return view


async def referral_view(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, referral_id: uuid.UUID
) -> StaffReferralOut:
    """A referral just added, as the incident's whole record shows it."""
    incident = await repo.get_visible(session, principal, incident_id)
    assert incident is not None
    out = await changed_view(session, principal, incident)
    return next(r for r in out.referrals if r.id == referral_id)


async def list_views(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    status: str | None,
    escalated: bool | None,
    urgent: bool | None,
    child_id: uuid.UUID | None,
    updated_since: datetime | None,
    limit: int,
    cursor: str | None,
    situation: str | None = None,
) -> tuple[list[IncidentView], str | None]:
    principal = ctx.actor
    stmt = repo.list_stmt(
        principal,
        status=status,
        escalated=escalated,
        urgent=urgent,
        child_id=child_id,
        updated_since=updated_since,
        situation=situation,
    )
    rows, nxt = await paginate(
        session, stmt, [Incident.created_at, Incident.id], limit=limit, cursor=cursor
    )
    views = await build_views(session, principal, rows)
    filters: dict[str, Any] = {
        "status": status,
        "escalated": escalated,
        "urgent": urgent,
        "child_id": str(child_id) if child_id else None,
        "situation": situation,
    }
    audit.record(
        session,
        ctx,
        "incident.list",
        "incident",
        None,
        {"ids": [str(v.id) for v in views], "filters": filters},
    )
    return views, nxt
