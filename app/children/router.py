"""HTTP for the children's ledger records: /api/v1/children, proposals, the placement queue."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from app.children import lists, proposals, service
from app.children.auth import (
    ChildWriter,
    DistrictAdmin,
    PlacementQueueReader,
    ReverificationReader,
    Staff,
)
from app.children.projection import shaped, staff_view
from app.children.schemas import (
    AdultPlacementOut,
    Category,
    ChildCreate,
    ChildOut,
    ChildPartnerView,
    ChildPatch,
    DueForRevocation,
    HistoryEntry,
    Placement,
    ProposalCreate,
    ProposalDecision,
    ProposalOut,
    ReverificationDue,
    RevokeRequest,
    Status,
)
from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.etag import set_etag
from app.kit.idempotency import REPLAYED, IdempotencyKey, create_once
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.types import Date, Timestamp
from app.kit.vocab import LEDGER_FIRST_YEAR, parse_month

router = APIRouter(prefix="/api/v1", tags=["children"])

IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100)]
ChildView = ChildOut | ChildPartnerView


@router.post(
    "/children",
    response_model=ChildOut,
    status_code=201,
    summary="Enrol a child in difficulty 新增 (district admin; institution staff: institution)",
    responses=REPLAYED | error_responses(400, 401, 403, 409, 422),
)
async def create_child(
    body: ChildCreate,
    response: Response,
    session: SessionDep,
    actor: ChildWriter,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> ChildOut | JSONResponse:
    async def create() -> tuple[ChildOut, uuid.UUID]:
        child = await service.create_child(session, ctx, body)
        set_etag(response, child.version)
        return staff_view(child, ctx), child.id

    return await create_once(
        session, idempotency_key, owner=str(actor.id), scope="children", body=body, create=create
    )


@router.get(
    "/children",
    response_model=Page[ChildView],
    response_model_exclude_unset=True,
    summary="List children (staff: jurisdiction; agencies: those their open referrals concern)",
    responses=error_responses(401, 403, 422),
)
async def list_children(
    session: SessionDep,
    ctx: RequestCtx,
    category: Annotated[Category | None, Query()] = None,
    placement: Annotated[Placement | None, Query()] = None,
    area_code: Annotated[str | None, Query(max_length=12)] = None,
    status: Annotated[Status | None, Query()] = None,
    updated_since: Annotated[Timestamp | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ChildView]:
    return await lists.list_children(
        session,
        ctx,
        category=category,
        placement=placement,
        area_code=area_code,
        status=status,
        updated_since=updated_since,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/children/due-for-revocation",
    response_model=list[DueForRevocation],
    summary="Children turning 18 by the month's end: due to be revoked as aged_out",
    responses=error_responses(401, 403, 422),
)
async def list_children_due_for_revocation(
    session: SessionDep,
    _: Staff,
    ctx: RequestCtx,
    month: Annotated[str | None, Query(description="YYYY-MM; default this month")] = None,
) -> list[DueForRevocation]:
    first = parse_month(month, "month", first_year=LEDGER_FIRST_YEAR) if month else None
    return await lists.due_for_revocation(session, ctx, first)


@router.get(
    "/children/reverifications",
    response_model=Page[ReverificationDue],
    summary="Children whose category needs a new look 待复核 by a date (supervisors: their town)",
    description="A child is listed when a fact its category rests on is due for re-verification "
    "on or before `due_before` (a term ends; the yearly review of an illness, a disability or "
    "lost contact), or when its category was flagged for review. Town supervisors see their "
    "town, district roles the district; filter by `area_code` (a town or a village) to take "
    "the list town by town. Ordered by the date the look is due.",
    responses=error_responses(401, 403, 422),
)
async def list_children_reverifications(
    session: SessionDep,
    _: ReverificationReader,
    ctx: RequestCtx,
    due_before: Annotated[Date | None, Query(description="YYYY-MM-DD; default today")] = None,
    area_code: Annotated[str | None, Query(max_length=12)] = None,
    category: Annotated[Category | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ReverificationDue]:
    return await lists.reverifications(
        session,
        ctx,
        due_before=due_before,
        area_code=area_code,
        category=category,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/children/proposals",
    response_model=Page[ProposalOut],
    summary="List change proposals 变更申请 (within the caller's jurisdiction)",
    tags=["proposals"],
    responses=error_responses(401, 403, 422),
)
async def list_child_proposals(
    session: SessionDep,
    ctx: RequestCtx,
    status: Annotated[str | None, Query(pattern="^(pending|approved|rejected)$")] = None,
    child_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ProposalOut]:
    return await lists.list_proposals(
        session, ctx, status=status, child_id=child_id, limit=limit, cursor=cursor
    )


@router.post(
    "/children/proposals/{proposal_id:uuid}/approve",
    response_model=ProposalOut,
    summary="Approve a proposal: the change is applied with history (district admin)",
    tags=["proposals"],
    responses=error_responses(401, 403, 404, 409, 422),
)
async def approve_child_proposal(
    proposal_id: uuid.UUID, session: SessionDep, _: DistrictAdmin, ctx: RequestCtx
) -> ProposalOut:
    return ProposalOut.model_validate(await proposals.approve(session, ctx, proposal_id))


@router.post(
    "/children/proposals/{proposal_id:uuid}/reject",
    response_model=ProposalOut,
    summary="Reject a proposal with a reason (district admin)",
    tags=["proposals"],
    responses=error_responses(401, 403, 404, 409, 422),
)
async def reject_child_proposal(
    proposal_id: uuid.UUID,
    body: ProposalDecision,
    session: SessionDep,
    _: DistrictAdmin,
    ctx: RequestCtx,
) -> ProposalOut:
    p = await proposals.reject(session, ctx, proposal_id, body.reason)
    return ProposalOut.model_validate(p)


@router.get(
    "/children/{child_id:uuid}",
    response_model=ChildView,
    response_model_exclude_unset=True,
    summary="A child's record (audited); whole ID number for district admins and institute staff",
    responses=error_responses(401, 403, 404, 422),
)
async def get_child(
    child_id: uuid.UUID, response: Response, session: SessionDep, ctx: RequestCtx
) -> ChildView:
    child, data = await service.read_child(session, ctx, child_id)
    set_etag(response, child.version)
    return shaped(data)


@router.patch(
    "/children/{child_id:uuid}",
    response_model=ChildOut,
    summary="Change a child's record 变更 (needs If-Match; a stale one is merged per field)",
    description=(
        "On an older version than the current one, the change is applied when it touches no "
        "field changed since that version; otherwise 409 `edit_conflict` lists those fields "
        "with `yours`, `theirs` and `base`, and nothing is applied. 412 only for a version the "
        "record never had. See docs/sync.md."
    ),
    responses=error_responses(400, 401, 403, 404, 409, 412, 422, 428),
)
async def update_child(
    child_id: uuid.UUID,
    body: ChildPatch,
    response: Response,
    session: SessionDep,
    _: ChildWriter,
    ctx: RequestCtx,
    if_match: IfMatch = None,
) -> ChildOut:
    child = await service.update_child(session, ctx, child_id, body, if_match)
    set_etag(response, child.version)
    return staff_view(child, ctx)


@router.post(
    "/children/{child_id:uuid}/revoke",
    response_model=ChildOut,
    summary="Revoke 撤销 (reason, effective_on); the record and its history stay",
    responses=error_responses(400, 401, 403, 404, 409, 412, 422),
)
async def revoke_child(
    child_id: uuid.UUID,
    body: RevokeRequest,
    response: Response,
    session: SessionDep,
    _: ChildWriter,
    ctx: RequestCtx,
    if_match: IfMatch = None,
) -> ChildOut:
    child = await service.revoke_child(session, ctx, child_id, body, if_match)
    set_etag(response, child.version)
    return staff_view(child, ctx)


@router.get(
    "/children/{child_id:uuid}/history",
    response_model=list[HistoryEntry],
    summary="A child's history: each change with per-field from/to, who, when and why",
    responses=error_responses(401, 403, 404, 422),
)
async def get_child_history(
    child_id: uuid.UUID, session: SessionDep, ctx: RequestCtx
) -> list[HistoryEntry]:
    entries = await service.child_history(session, ctx, child_id)
    return [
        HistoryEntry(
            id=e.id,
            kind=e.kind,
            at=e.at,
            ledger_month=f"{e.ledger_month:%Y-%m}",
            effective_on=e.effective_on,
            actor_id=e.actor_id,
            actor_name=e.actor_name,
            reason=e.reason,
            changes=[
                {"field": c["field"], "from": c.get("from"), "to": c.get("to")} for c in e.changes
            ],
        )
        for e in entries
    ]


@router.post(
    "/children/{child_id:uuid}/proposals",
    response_model=ProposalOut,
    status_code=201,
    summary="Propose a change to a child of one's area (village director, town supervisor)",
    tags=["proposals"],
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def create_child_proposal(
    child_id: uuid.UUID,
    body: ProposalCreate,
    session: SessionDep,
    ctx: RequestCtx,
) -> ProposalOut:
    p = await proposals.propose(session, ctx, child_id, body)
    return ProposalOut.model_validate(p)


@router.get(
    "/placements/queue",
    response_model=list[AdultPlacementOut],
    summary="The adult-placement queue 成年孤儿安置: institute orphans who came of age",
    tags=["placements"],
    responses=error_responses(401, 403, 422),
)
async def list_adult_placement_queue(
    session: SessionDep,
    principal: PlacementQueueReader,
    status: Annotated[str | None, Query(pattern="^(waiting|placed|withdrawn)$")] = "waiting",
) -> list[AdultPlacementOut]:
    return await lists.placement_queue(session, principal, status)
