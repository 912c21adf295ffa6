"""HTTP routes of mandatory-report incidents 强制报告 and the district's notifications."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from app.auth.principal import DistrictAdmin, Principal, Staff, require_roles
from app.db import SessionDep
from app.errors import NotFound, error_responses
from app.incidents import repository as repo
from app.incidents import (
    service,
    views,
    visit_link,  # noqa: F401  (registers the visit hook)
)
from app.incidents.deps import CtxDep
from app.incidents.schemas import (
    IncidentComplete,
    IncidentCreate,
    IncidentOut,
    IncidentStatus,
    IncidentSummary,
    NotificationOut,
    ReferralCreate,
    SituationInfo,
    StaffReferralOut,
    TransitionIn,
)
from app.incidents.situations import SITUATIONS, Situation
from app.kit import audit, idempotency
from app.kit.etag import set_etag
from app.kit.pagination import CursorQuery, LimitQuery, Page, paginate
from app.kit.types import Timestamp
from app.models import Incident, Notification

router = APIRouter(prefix="/api/v1", tags=["incidents"])
REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "A replay of the same report (same id and body)"}
}

DistrictStaff = Annotated[Principal, Depends(require_roles("district_admin", "district_leader"))]


async def _full(session: SessionDep, principal: Principal, incident: Incident) -> IncidentOut:
    await session.flush()
    (view,) = await views.build_views(session, principal, [incident])
    assert isinstance(view, IncidentOut)
    return view


@router.post(
    "/incidents",
    response_model=IncidentOut,
    status_code=201,
    summary="File a mandatory report 强制报告 (referred to the police at once), or a draft",
    responses=REPLAY | error_responses(400, 401, 403, 409, 422),
)
async def create_incident(
    body: IncidentCreate,
    response: Response,
    session: SessionDep,
    principal: Staff,
    ctx: CtxDep,
) -> IncidentOut | JSONResponse:
    # The client's id is the idempotency key.
    key = {"owner": str(principal.id), "scope": "incidents"}
    if replay := await idempotency.replay_for_key(session, str(body.id), **key, body=body):
        return replay
    new = await service.create_incident(session, principal, body, ctx)
    incident = new.incident
    out = views.full_view(incident, new.child, new.steps, new.referrals, {})
    await idempotency.remember_for_key(
        session, str(body.id), **key, out=out, resource_id=str(body.id)
    )
    set_etag(response, incident.version)
    return out


@router.get(
    "/incidents",
    response_model=Page[IncidentOut | IncidentSummary],
    summary="List the incidents the caller may see (town supervisors: summaries)",
    responses=error_responses(401, 403, 422),
)
async def list_incidents(
    session: SessionDep,
    principal: Staff,
    status: Annotated[IncidentStatus | None, Query()] = None,
    escalated: Annotated[bool | None, Query(description="Only escalated (or not) ones")] = None,
    urgent: Annotated[bool | None, Query()] = None,
    child_id: Annotated[uuid.UUID | None, Query()] = None,
    updated_since: Annotated[Timestamp | None, Query()] = None,
    situation: Annotated[
        Situation | None, Query(description="Only reports naming this situation (a code).")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[IncidentOut | IncidentSummary]:
    items, nxt = await views.list_views(
        session,
        principal,
        status=status,
        escalated=escalated,
        urgent=urgent,
        child_id=child_id,
        updated_since=updated_since,
        situation=situation,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=items, next_cursor=nxt)


@router.get(
    "/incidents/situations",
    response_model=list[SituationInfo],
    summary="The nine situations of the 2020 opinion on mandatory reporting, with their wording",
    responses=error_responses(401, 403),
)
async def list_situations(principal: Staff) -> list[SituationInfo]:
    return [
        SituationInfo(
            code=s.code,
            number=s.number,
            text=s.text,
            label_en=s.label_en,
            urgent=s.urgent,
        )
        for s in SITUATIONS
    ]


@router.get(
    "/incidents/{incident_id:uuid}",
    response_model=IncidentOut | IncidentSummary,
    summary="One incident: whole for its circle, a summary for the town supervisor",
    responses=error_responses(401, 403, 404, 422),
)
async def get_incident(
    incident_id: uuid.UUID, response: Response, session: SessionDep, principal: Staff
) -> IncidentOut | IncidentSummary:
    view, version = await views.get_view(session, principal, incident_id)
    set_etag(response, version)
    return view


@router.post(
    "/incidents/{incident_id:uuid}/complete",
    response_model=IncidentOut,
    summary="Complete a draft: it becomes a report and is referred to the police",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def complete_incident_draft(
    incident_id: uuid.UUID,
    body: IncidentComplete,
    response: Response,
    session: SessionDep,
    principal: Staff,
    ctx: CtxDep,
) -> IncidentOut:
    incident = await service.complete_draft(session, principal, incident_id, body, ctx)
    out = await _full(session, principal, incident)
    set_etag(response, incident.version)
    return out


@router.post(
    "/incidents/{incident_id:uuid}/transitions",
    response_model=IncidentOut,
    summary="Move an incident one step: reported → acknowledged → investigating → "
    "intervening → closed",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def transition_incident(
    incident_id: uuid.UUID,
    body: TransitionIn,
    response: Response,
    session: SessionDep,
    principal: DistrictAdmin,
    ctx: CtxDep,
) -> IncidentOut:
    incident = await service.transition(session, principal, incident_id, body, ctx)
    out = await _full(session, principal, incident)
    set_etag(response, incident.version)
    return out


@router.post(
    "/incidents/{incident_id:uuid}/referrals",
    response_model=StaffReferralOut,
    status_code=201,
    summary="Refer an incident also to health, education or a federation",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def create_incident_referral(
    incident_id: uuid.UUID,
    body: ReferralCreate,
    session: SessionDep,
    principal: DistrictAdmin,
    ctx: CtxDep,
) -> StaffReferralOut:
    referral = await service.add_referral(session, principal, incident_id, body, ctx)
    incident = await repo.get_visible(session, principal, incident_id)
    assert incident is not None
    out = await _full(session, principal, incident)
    return next(r for r in out.referrals if r.id == referral.id)


@router.get(
    "/notifications",
    response_model=Page[NotificationOut],
    summary="The caller's notifications (escalations), oldest first",
    tags=["notifications"],
    responses=error_responses(401, 403, 422),
)
async def list_notifications(
    session: SessionDep,
    principal: DistrictStaff,
    unread: Annotated[bool | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[NotificationOut]:
    rows, nxt = await paginate(
        session,
        repo.notifications_stmt(principal.id, unread),
        [Notification.created_at, Notification.id],
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[NotificationOut.model_validate(n) for n in rows], next_cursor=nxt)


@router.post(
    "/notifications/{notification_id:uuid}/read",
    response_model=NotificationOut,
    summary="Mark a notification read",
    tags=["notifications"],
    responses=error_responses(401, 403, 404, 422),
)
async def mark_notification_read(
    notification_id: uuid.UUID, session: SessionDep, principal: DistrictStaff, ctx: CtxDep
) -> NotificationOut:
    note = await repo.get_notification(session, principal.id, notification_id)
    if note is None:
        raise NotFound()
    if note.read_at is None:
        note.read_at = ctx.now
        audit.record(session, principal, "notification.read", "notification", note.id)
        await session.flush()
    return NotificationOut.model_validate(note)
