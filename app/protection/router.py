"""HTTP routes of the minors' protection centre 未成年人社会保护中心."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import SessionDep
from app.errors import error_responses
from app.kit import idempotency
from app.kit.context import RequestContext, RequestCtx
from app.kit.etag import set_etag
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.types import Timestamp
from app.models import ProtectionIntake
from app.protection import deadlines, followups, occupancy, service, steps, views
from app.protection.auth import (
    CentreReader,
    CentreStaff,
    FollowUpReader,
    FollowUpVisitor,
    IntakeAnnouncer,
    IntakeReader,
)
from app.protection.schemas import (
    AssessmentIn,
    DeadlineOut,
    DischargeIn,
    FollowUpVisitDone,
    FollowUpVisitOut,
    IntakeCreate,
    IntakeKind,
    IntakeOut,
    IntakePatch,
    IntakeStatus,
    IntakeStatusOut,
    OccupancyOut,
    PlacementIn,
    TracingIn,
)

router = APIRouter(prefix="/api/v1/protection", tags=["protection"])
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100)]
REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "A replay of the same intake (same id and body)"}
}


async def _answer(
    session: AsyncSession, ctx: RequestContext, intake: ProtectionIntake, response: Response
) -> IntakeOut:
    out = await views.view(session, ctx.actor, intake)
    assert isinstance(out, IntakeOut)
    set_etag(response, intake.version)
    return out


@router.post(
    "/intakes",
    response_model=IntakeOut | IntakeStatusOut,
    status_code=201,
    summary="Take a child in 受理 (the police: announce a child they bring; they see its status)",
    responses=REPLAY | error_responses(400, 401, 403, 409, 422),
)
async def create_intake(
    body: IntakeCreate,
    response: Response,
    session: SessionDep,
    _: IntakeAnnouncer,
    ctx: RequestCtx,
) -> IntakeOut | IntakeStatusOut | JSONResponse:
    key = {"owner": str(ctx.actor.id), "scope": "protection_intakes"}
    if replay := await idempotency.replay_for_key(session, str(body.id), **key, body=body):
        return replay
    intake = await service.create_intake(session, ctx, body)
    out = await views.view(session, ctx.actor, intake)
    await idempotency.remember_for_key(
        session, str(body.id), **key, out=out, resource_id=str(body.id)
    )
    set_etag(response, intake.version)
    return out


@router.get(
    "/intakes",
    response_model=Page[IntakeOut | IntakeStatusOut],
    summary="The centre's intakes (the police: their own, status only)",
    responses=error_responses(401, 403, 422),
)
async def list_intakes(
    session: SessionDep,
    _: IntakeReader,
    ctx: RequestCtx,
    status: Annotated[IntakeStatus | None, Query()] = None,
    kind: Annotated[IntakeKind | None, Query()] = None,
    admitted_from: Annotated[Timestamp | None, Query()] = None,
    admitted_to: Annotated[Timestamp | None, Query(description="Exclusive")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[IntakeOut | IntakeStatusOut]:
    items, nxt = await service.list_intakes(
        session,
        ctx,
        status=status,
        kind=kind,
        admitted_from=admitted_from,
        admitted_to=admitted_to,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=items, next_cursor=nxt)


@router.get(
    "/intakes/{intake_id:uuid}",
    response_model=IntakeOut | IntakeStatusOut,
    summary="One intake (confidential fields withheld outside the circle; the police: status)",
    responses=error_responses(401, 403, 404, 422),
)
async def get_intake(
    intake_id: uuid.UUID, response: Response, session: SessionDep, _: IntakeReader, ctx: RequestCtx
) -> IntakeOut | IntakeStatusOut:
    out, version = await service.read_intake(session, ctx, intake_id)
    set_etag(response, version)
    return out


@router.patch(
    "/intakes/{intake_id:uuid}",
    response_model=IntakeOut,
    summary="Change an open intake (If-Match): the child's facts, health check, care plan, review",
    responses=error_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_intake(
    intake_id: uuid.UUID,
    body: IntakePatch,
    response: Response,
    session: SessionDep,
    _: CentreStaff,
    ctx: RequestCtx,
    if_match: IfMatch = None,
) -> IntakeOut:
    intake = await service.update_intake(session, ctx, intake_id, body, if_match)
    return await _answer(session, ctx, intake, response)


@router.post(
    "/intakes/{intake_id:uuid}/tracing",
    response_model=IntakeOut,
    status_code=201,
    summary="Record a step of family tracing 寻亲",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def add_tracing(
    intake_id: uuid.UUID,
    body: TracingIn,
    response: Response,
    session: SessionDep,
    _: CentreStaff,
    ctx: RequestCtx,
) -> IntakeOut:
    intake = await steps.add_tracing(session, ctx, intake_id, body)
    return await _answer(session, ctx, intake, response)


@router.post(
    "/intakes/{intake_id:uuid}/placements",
    response_model=IntakeOut,
    status_code=201,
    summary="Place the child during the stay (art. 93): centre, relatives, foster care, institution",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def add_placement(
    intake_id: uuid.UUID,
    body: PlacementIn,
    response: Response,
    session: SessionDep,
    _: CentreStaff,
    ctx: RequestCtx,
) -> IntakeOut:
    intake = await steps.add_placement(session, ctx, intake_id, body)
    return await _answer(session, ctx, intake, response)


@router.post(
    "/intakes/{intake_id:uuid}/family-assessments",
    response_model=IntakeOut,
    status_code=201,
    summary="Record a family assessment 家庭评估 (needed before a return to the family)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def add_family_assessment(
    intake_id: uuid.UUID,
    body: AssessmentIn,
    response: Response,
    session: SessionDep,
    _: CentreStaff,
    ctx: RequestCtx,
) -> IntakeOut:
    intake = await steps.add_assessment(session, ctx, intake_id, body)
    return await _answer(session, ctx, intake, response)


@router.post(
    "/intakes/{intake_id:uuid}/discharge",
    response_model=IntakeOut,
    summary="Discharge 出站: returned, transferred, foster care, long-term guardianship, adulthood",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def discharge_intake(
    intake_id: uuid.UUID,
    body: DischargeIn,
    response: Response,
    session: SessionDep,
    _: CentreStaff,
    ctx: RequestCtx,
) -> IntakeOut:
    intake = await steps.discharge(session, ctx, intake_id, body)
    return await _answer(session, ctx, intake, response)


@router.get(
    "/occupancy",
    response_model=OccupancyOut,
    summary="Beds, residents now by kind, stays, admissions and discharges by month",
    responses=error_responses(401, 403, 422),
)
async def get_occupancy(
    session: SessionDep,
    _: CentreReader,
    ctx: RequestCtx,
    months: Annotated[int, Query(ge=1, le=36, description="Months back, this one included")] = 12,
) -> OccupancyOut:
    return await occupancy.occupancy(session, ctx, months=months)


@router.get(
    "/deadlines",
    response_model=list[DeadlineOut],
    summary="The open intakes' deadlines (missed=true: the missed ones, with their escalation)",
    responses=error_responses(401, 403, 422),
)
async def list_deadlines(
    session: SessionDep,
    _: CentreReader,
    ctx: RequestCtx,
    missed: Annotated[bool | None, Query()] = None,
) -> list[DeadlineOut]:
    return await deadlines.list_deadlines(session, ctx, missed=missed)


@router.get(
    "/follow-up-visits",
    response_model=Page[FollowUpVisitOut],
    summary="Follow-up visits of children returned to a family (a director: their village's)",
    responses=error_responses(401, 403, 422),
)
async def list_follow_up_visits(
    session: SessionDep,
    _: FollowUpReader,
    ctx: RequestCtx,
    due: Annotated[bool, Query(description="Only those not yet made")] = True,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[FollowUpVisitOut]:
    return await followups.list_follow_ups(session, ctx, due_only=due, limit=limit, cursor=cursor)


@router.post(
    "/follow-up-visits/{visit_id:uuid}/done",
    response_model=FollowUpVisitOut,
    summary="Record a follow-up visit made",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def record_follow_up_visit(
    visit_id: uuid.UUID,
    body: FollowUpVisitDone,
    session: SessionDep,
    _: FollowUpVisitor,
    ctx: RequestCtx,
) -> FollowUpVisitOut:
    return await followups.record_visit(session, ctx, visit_id, body)
