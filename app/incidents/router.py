"""HTTP routes of mandatory-report incidents 强制报告 and the district's notifications."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.incidents import service, views
from app.incidents.auth import IncidentManager, IncidentStaff, NotificationReader
from app.incidents.schemas import (
    IncidentComplete,
    IncidentCreate,
    IncidentOut,
    IncidentQuery,
    IncidentSummary,
    NotificationOut,
    NotificationQuery,
    ReferralCreate,
    SituationInfo,
    StaffReferralOut,
    TransitionIn,
)
from app.incidents.situations import SITUATIONS
from app.kit.context import RequestCtx
from app.kit.etag import set_etag
from app.kit.idempotency import create_once
from app.kit.pagination import Page
from app.kit.params import Filters
from app.kit.records import out_of, replay_response
from app.kit.routes import acts, call_route, creates, lists, page_route, reads

router = APIRouter(prefix="/api/v1", tags=["incidents"])
REPLAY = replay_response("A replay of the same report (same id and body)")


@router.post(
    "/incidents",
    **creates(
        IncidentOut,
        "File a mandatory report 强制报告 (referred to the police at once), or a draft",
        replayed=REPLAY,
    ),
)
async def create_incident(
    body: IncidentCreate,
    response: Response,
    session: SessionDep,
    _: IncidentStaff,
    ctx: RequestCtx,
) -> IncidentOut | JSONResponse:

    async def create() -> tuple[IncidentOut, uuid.UUID]:
        new = await service.create_incident(session, ctx, body)
        set_etag(response, new.incident.version)
        return views.full_view(new.incident, new.child, new.steps, new.referrals, {}), body.id

    # The client's id is the idempotency key.
    owner, key = str(ctx.actor.id), str(body.id)
    return await create_once(session, key, owner=owner, scope="incidents", body=body, create=create)


@router.get(
    "/incidents",
    **lists(
        Page[IncidentOut | IncidentSummary],
        "List the incidents the caller may see (town supervisors: summaries)",
    ),
)
async def list_incidents(
    session: SessionDep, _: IncidentStaff, ctx: RequestCtx, query: Filters[IncidentQuery]
) -> Page[IncidentOut | IncidentSummary]:
    items, nxt = await views.list_views(session, ctx, **dict(query))
    return Page(items=items, next_cursor=nxt)


@router.get(
    "/incidents/situations",
    **reads(
        list[SituationInfo],
        "The nine situations of the 2020 opinion on mandatory reporting, with their wording",
        errors=(401, 403),
    ),
)
async def list_situations(_: IncidentStaff) -> list[SituationInfo]:
    return [out_of(SituationInfo, s) for s in SITUATIONS]


@router.get(
    "/incidents/{incident_id:uuid}",
    **reads(
        IncidentOut | IncidentSummary,
        "One incident: whole for its circle, a summary for the town supervisor",
    ),
)
async def get_incident(
    incident_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    _: IncidentStaff,
    ctx: RequestCtx,
) -> IncidentOut | IncidentSummary:
    view, version = await views.get_view(session, ctx, incident_id)
    set_etag(response, version)
    return view


call_route(
    router,
    "POST",
    "/incidents/{incident_id:uuid}/complete",
    acts(IncidentOut, "Complete a draft: it becomes a report and is referred to the police"),
    "complete_incident_draft",
    IncidentStaff,
    service.complete_draft,
    body=IncidentComplete,
    etag=True,
    reply=views.changed_reply,
)
call_route(
    router,
    "POST",
    "/incidents/{incident_id:uuid}/transitions",
    acts(
        IncidentOut,
        (
            "Move an incident one step: reported → acknowledged → investigating → "
            "intervening → closed"
        ),
    ),
    "transition_incident",
    IncidentManager,
    service.transition,
    body=TransitionIn,
    etag=True,
    reply=views.changed_reply,
)


@router.post(
    "/incidents/{incident_id:uuid}/referrals",
    **creates(
        StaffReferralOut,
        "Refer an incident also to health, education or a federation",
        errors=(401, 403, 404, 409, 422),
        replayed={},
    ),
)
async def create_incident_referral(
    incident_id: uuid.UUID,
    body: ReferralCreate,
    session: SessionDep,
    _: IncidentManager,
    ctx: RequestCtx,
) -> StaffReferralOut:
    referral = await service.add_referral(session, ctx, incident_id, body)
    return await views.referral_view(session, ctx.actor, incident_id, referral.id)


page_route(
    router,
    "/notifications",
    lists(
        Page[NotificationOut],
        "The caller's notifications (escalations), oldest first",
        tags=["notifications"],
    ),
    "list_notifications",
    NotificationReader,
    NotificationQuery,
    service.list_notifications,
)


call_route(
    router,
    "POST",
    "/notifications/{notification_id:uuid}/read",
    reads(NotificationOut, "Mark a notification read", tags=["notifications"]),
    "mark_notification_read",
    NotificationReader,
    service.mark_notification_read,
)
