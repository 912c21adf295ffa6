"""HTTP routes of the minors' protection centre 未成年人社会保护中心."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import SessionDep
from app.kit.context import RequestContext, RequestCtx
from app.kit.crud import etagged, named_route
from app.kit.etag import set_etag
from app.kit.idempotency import create_once
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.records import replay_response
from app.kit.routes import acts, call_route, creates, lists, page_route, reads
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
    IntakeOut,
    IntakePatch,
    IntakeQuery,
    IntakeStatusOut,
    OccupancyOut,
    PlacementIn,
    TracingIn,
)

router = APIRouter(prefix="/api/v1/protection", tags=["protection"])
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100)]
REPLAY = replay_response("A replay of the same intake (same id and body)")


@router.post(
    "/intakes",
    **creates(
        IntakeOut | IntakeStatusOut,
        "Take a child in 受理 (the police: announce a child they bring; they see its status)",
        replayed=REPLAY,
    ),
)
async def create_intake(
    body: IntakeCreate,
    response: Response,
    session: SessionDep,
    _: IntakeAnnouncer,
    ctx: RequestCtx,
) -> IntakeOut | IntakeStatusOut | JSONResponse:
    async def create() -> tuple[IntakeOut | IntakeStatusOut, object]:
        intake = await service.create_intake(session, ctx, body)
        set_etag(response, intake.version)
        return await views.view(session, ctx.actor, intake), body.id

    owner, scope = str(ctx.actor.id), "protection_intakes"
    return await create_once(
        session, str(body.id), owner=owner, scope=scope, body=body, create=create
    )


page_route(
    router,
    "/intakes",
    lists(
        Page[IntakeOut | IntakeStatusOut],
        "The centre's intakes (the police: their own, status only)",
    ),
    "list_intakes",
    IntakeReader,
    IntakeQuery,
    service.list_intakes,
    whole=True,
)


@router.get(
    "/intakes/{intake_id:uuid}",
    **reads(
        IntakeOut | IntakeStatusOut,
        "One intake (confidential fields withheld outside the circle; the police: status)",
    ),
)
async def get_intake(
    intake_id: uuid.UUID, response: Response, session: SessionDep, _: IntakeReader, ctx: RequestCtx
) -> IntakeOut | IntakeStatusOut:
    out, version = await service.read_intake(session, ctx, intake_id)
    set_etag(response, version)
    return out


@router.patch(
    "/intakes/{intake_id:uuid}",
    **acts(
        IntakeOut,
        "Change an open intake (If-Match): the child's facts, health check, care plan, review",
        errors=(401, 403, 404, 409, 412, 422, 428),
    ),
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
    return etagged(response, await views.staff_view(session, ctx, intake))


Step = Callable[[AsyncSession, RequestContext, uuid.UUID, Any], Awaitable[Any]]


def _intake_step(
    path: str, name: str, body_model: type[BaseModel], step: Step, summary: str, status: int
) -> None:
    """POST /intakes/{intake_id}/<path>: centre staff record a step of the stay with `step`
    (app.protection.steps); the answer is the intake, with its new ETag."""

    async def record(
        intake_id: uuid.UUID,
        body: BaseModel,
        response: Response,
        session: SessionDep,
        _: CentreStaff,
        ctx: RequestCtx,
    ) -> IntakeOut:
        intake = await step(session, ctx, intake_id, body)
        return etagged(response, await views.staff_view(session, ctx, intake))

    route = acts(IntakeOut, summary, status_code=status)
    router.post(f"/intakes/{{intake_id:uuid}}/{path}", **route)(
        named_route(record, name, body=body_model)
    )


# fmt: off
_intake_step("tracing", "add_tracing", TracingIn, steps.add_tracing,
             "Record a step of family tracing 寻亲", 201)
_intake_step("placements", "add_placement", PlacementIn, steps.add_placement,
             "Place the child during the stay (art. 93): centre, relatives, foster care, institution",
             201)
_intake_step("family-assessments", "add_family_assessment", AssessmentIn, steps.add_assessment,
             "Record a family assessment 家庭评估 (needed before a return to the family)", 201)
_intake_step("discharge", "discharge_intake", DischargeIn, steps.discharge,
             "Discharge 出站: returned, transferred, foster care, long-term guardianship, adulthood",
             200)
# fmt: on


@router.get(
    "/occupancy",
    **lists(OccupancyOut, "Beds, residents now by kind, stays, admissions and discharges by month"),
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
    **lists(
        list[DeadlineOut],
        "The open intakes' deadlines (missed=true: the missed ones, with their escalation)",
    ),
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
    **lists(
        Page[FollowUpVisitOut],
        "Follow-up visits of children returned to a family (a director: their village's)",
    ),
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


call_route(
    router,
    "POST",
    "/follow-up-visits/{visit_id:uuid}/done",
    acts(FollowUpVisitOut, "Record a follow-up visit made"),
    "record_follow_up_visit",
    FollowUpVisitor,
    followups.record_visit,
    body=FollowUpVisitDone,
)
