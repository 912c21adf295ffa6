"""HTTP of the adult-orphan placement plans: /api/v1/placements/...

Roles (rule we set): district admins file plans, record placements and payments; the district
leader records the district government's approval; admins, the leader, auditors and the
institute's staff (who care for these orphans) read plans; everyone else gets 403.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.routes import acts, call_route, creates, lists, reads
from app.placements import service
from app.placements.auth import DistrictAdmin, Leader, Readers
from app.placements.schemas import CandidateOut, EntryPlace, PlanApprove, PlanCreate, PlanOut

router = APIRouter(prefix="/api/v1/placements", tags=["placements"])


@router.post(
    "/plans",
    **creates(
        PlanOut, "File the year's adult-orphan placement plan (成年孤儿安置计划)", replayed={}
    ),
)
async def create_placement_plan(
    body: PlanCreate, session: SessionDep, _: DistrictAdmin, ctx: RequestCtx
) -> PlanOut:
    plan = await service.create_plan(session, ctx, body)
    return await service.plan_answer(session, ctx.actor, plan.id)


@router.get("/plans", **lists(list[PlanOut], "List placement plans"))
async def list_placement_plans(
    session: SessionDep,
    principal: Readers,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> list[PlanOut]:
    return await service.list_plans(session, principal, year)


@router.get("/plans/{plan_id:uuid}", **reads(PlanOut, "Get a placement plan with its entries"))
async def get_placement_plan(
    plan_id: uuid.UUID, session: SessionDep, principal: Readers
) -> PlanOut:
    return await service.plan_answer(session, principal, plan_id)


call_route(
    router,
    "POST",
    "/plans/{plan_id:uuid}/approve",
    acts(
        PlanOut,
        (
            "Record the district government's approval of the plan (district leader, not its "
            "creator: four eyes)"
        ),
        errors=(400, 401, 403, 404, 409, 422),
    ),
    "approve_placement_plan",
    Leader,
    service.approve_plan,
    body=PlanApprove,
    four_eyes=True,
    reply=service.plan_reply,
)
call_route(
    router,
    "POST",
    "/plans/{plan_id:uuid}/entries/{entry_id:uuid}/place",
    acts(PlanOut, "Record that a placement was carried out", errors=(400, 401, 403, 404, 409, 422)),
    "place_placement_entry",
    DistrictAdmin,
    service.place_entry,
    body=EntryPlace,
    reply=service.entry_reply,
)
call_route(
    router,
    "POST",
    "/plans/{plan_id:uuid}/entries/{entry_id:uuid}/pay",
    acts(
        PlanOut,
        (
            "Pay a carried-out placement's one-time subsidy (once; again → 409; not by the "
            "plan's approver)"
        ),
    ),
    "pay_placement_entry",
    DistrictAdmin,
    service.pay_entry,
    four_eyes=True,
    reply=service.entry_reply,
)


@router.get(
    "/candidates",
    **lists(
        list[CandidateOut],
        "Orphans of the institute who turn 18 in the year and are in no plan yet",
    ),
)
async def list_placement_candidates(
    session: SessionDep, principal: Readers, year: Annotated[int, Query(ge=2000, le=2100)]
) -> list[CandidateOut]:
    return await service.candidates(session, principal, year)
