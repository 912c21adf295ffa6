"""The partner agencies' side of a referral: read it, acknowledge receipt, report progress."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.incidents import service as incidents
from app.incidents.errors import ReferralNotFound, TransitionRefused
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.pagination import Page, paginate
from app.kit.records import known
from app.models import Incident, Referral, ReferralUpdate
from app.referrals import repository as repo
from app.referrals.projection import project_for_agency
from app.referrals.schemas import AcknowledgeIn, AgencyReferralOut, ReferralUpdateIn

FINAL = frozenset({"completed", "declined"})


def _agency(principal: Principal) -> str:
    assert principal.agency is not None
    return principal.agency


async def _view(
    session: AsyncSession, ctx: RequestContext, referral: Referral
) -> AgencyReferralOut:
    """The one referral as its agency sees it."""
    return (await _project(session, ctx, [referral]))[0]


async def _project(
    session: AsyncSession, ctx: RequestContext, referrals: list[Referral]
) -> list[AgencyReferralOut]:
    found, children = await repo.incidents_and_children(
        session, {repo.incident_id(r) for r in referrals}
    )
    out = []
    for r in referrals:
        incident = found[repo.incident_id(r)]
        child = children.get(incident.child_id) if incident.child_id else None
        out.append(
            project_for_agency(_agency(ctx.actor), r, incident, child, ctx.keyring, ctx.today)
        )
    return out


async def list_referrals(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    status: str | None,
    updated_since: datetime | None,
    limit: int,
    cursor: str | None,
    situation: str | None = None,
) -> Page[AgencyReferralOut]:
    rows, nxt = await paginate(
        session,
        repo.list_stmt(
            _agency(ctx.actor), status, updated_since, situation, ctx.actor.district_code
        ),
        [Referral.created_at, Referral.id],
        limit=limit,
        cursor=cursor,
    )
    views = await _project(session, ctx, rows)
    audit.record(
        session, ctx, "referral.list", "referral", None, {"ids": [str(r.id) for r in rows]}
    )
    return Page(items=views, next_cursor=nxt)


async def get_referral(
    session: AsyncSession, ctx: RequestContext, referral_id: uuid.UUID
) -> AgencyReferralOut:
    referral = known(
        await repo.get_for_agency(
            session, _agency(ctx.actor), referral_id, district_code=ctx.actor.district_code
        ),
        ReferralNotFound,
    )
    audit.record(session, ctx, "referral.read", "referral", referral.id)
    return await _view(session, ctx, referral)


async def acknowledge(
    session: AsyncSession,
    ctx: RequestContext,
    referral_id: uuid.UUID,
    body: AcknowledgeIn,
) -> AgencyReferralOut:
    """签收: the agency confirms receipt. Repeating it changes nothing. The police's receipt
    moves a reported incident to `acknowledged`."""
    principal = ctx.actor
    referral = await _locked(session, ctx, referral_id)
    if referral.status == "pending":
        referral.status = "acknowledged"
        referral.acknowledged_at = ctx.now
        referral.acknowledged_by = principal.name
        if body.case_number:
            referral.agency_case_number = body.case_number
        session.add(_update(ctx, referral, "acknowledged", body.note, body.case_number))
        await session.flush()
        incident = await repo.lock_incident(session, repo.incident_id(referral))
        if referral.agency == "police" and incident.status == "reported":
            await incidents.move(session, ctx, incident, "acknowledged", note="公安机关已签收")
        else:
            incident.updated_at = func.now()
        audit.record(session, ctx, "referral.acknowledge", "referral", referral.id)
    return await _view(session, ctx, referral)


async def add_update(
    session: AsyncSession,
    ctx: RequestContext,
    referral_id: uuid.UUID,
    body: ReferralUpdateIn,
) -> AgencyReferralOut:
    """A note, a status (in_progress, completed, declined) and/or the agency's case number."""
    referral = await _locked(session, ctx, referral_id)
    if referral.status == "pending":
        raise TransitionRefused(
            "请先签收转介", "Acknowledge the referral first", extra={"status": referral.status}
        )
    if referral.status in FINAL and body.status is not None and body.status != referral.status:
        raise TransitionRefused(
            "转介已办结", "The referral is already finished", extra={"status": referral.status}
        )
    session.add(_update(ctx, referral, body.status, body.note, body.case_number))
    if body.status is not None:
        referral.status = body.status
    if body.case_number is not None:
        referral.agency_case_number = body.case_number
    referral.updated_at = func.now()
    incident: Incident = await repo.lock_incident(session, repo.incident_id(referral))
    incident.updated_at = func.now()
    await session.flush()
    await session.refresh(referral)
    audit.record(session, ctx, "referral.update", "referral", referral.id, {"status": body.status})
    return await _view(session, ctx, referral)


async def _locked(session: AsyncSession, ctx: RequestContext, referral_id: uuid.UUID) -> Referral:
    """The caller's agency's referral, locked for a change; else 404."""
    return known(
        await repo.get_for_agency(
            session,
            _agency(ctx.actor),
            referral_id,
            lock=True,
            district_code=ctx.actor.district_code,
        ),
        ReferralNotFound,
    )


def _update(
    ctx: RequestContext,
    referral: Referral,
    status: str | None,
    note: str | None,
    case_number: str | None,
) -> ReferralUpdate:
    """The agency's note on the referral, in its history."""
    principal = ctx.actor
    return ReferralUpdate(
        referral_id=referral.id,
        at=ctx.now,
        agency_client_id=principal.id,
        author=principal.name,
        status=status,
        note=note,
        case_number=case_number,
    )
