"""HTTP for the children's ledger records: /api/v1/children, proposals, the placement queue."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from app.auth.principal import CurrentPrincipal
from app.children import lists as queries
from app.children import proposals, service
from app.children.auth import (
    ChildWriter,
    DistrictAdmin,
    PlacementQueueReader,
    ReverificationReader,
    Staff,
)
from app.children.projection import staff_view
from app.children.schemas import (
    AdultPlacementOut,
    ChildCreate,
    ChildOut,
    ChildPartnerView,
    ChildPatch,
    ChildQuery,
    DueForRevocation,
    HistoryEntry,
    ProposalCreate,
    ProposalDecision,
    ProposalOut,
    ProposalQuery,
    ReverificationDue,
    ReverificationQuery,
    RevokeRequest,
)
from app.db import SessionDep
from app.kit.context import RequestCtx, context_of
from app.kit.crud import etagged
from app.kit.etag import etag_for
from app.kit.idempotency import IdempotencyKey
from app.kit.pagination import Page
from app.kit.params import Filters
from app.kit.records import keyed_once
from app.kit.routes import acts, call_route, creates, lists, page_route, reads
from app.kit.vocab import LEDGER_FIRST_YEAR, parse_month

router = APIRouter(prefix="/api/v1", tags=["children"])

ChildView = ChildOut | ChildPartnerView


@router.post(
    "/children",
    **creates(
        ChildOut,
        "Enrol a child in difficulty 新增 (district admin; institution staff: institution)",
    ),
)
async def create_child(
    body: ChildCreate,
    response: Response,
    session: SessionDep,
    _: ChildWriter,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> ChildOut | JSONResponse:
    async def create() -> tuple[ChildOut, uuid.UUID]:
        child = etagged(response, await service.create_child(session, ctx, body))
        return staff_view(child, ctx), child.id

    return await keyed_once(session, ctx, idempotency_key, "children", body, create)


@router.get(
    "/children",
    **lists(
        Page[ChildView],
        "List children (staff: jurisdiction; agencies: those their open referrals concern)",
        response_model_exclude_unset=True,
    ),
)
async def list_children(
    request: Request, principal: CurrentPrincipal, query: Filters[ChildQuery]
) -> Response:
    # As the record's read: no session, no context dependency, the page's bytes made once.
    ctx = context_of(request, principal)
    body = await queries.list_children(request.app.state, ctx, **dict(query))
    return Response(body, media_type="application/json")


@router.get(
    "/children/due-for-revocation",
    **lists(
        list[DueForRevocation],
        "Children turning 18 by the month's end: due to be revoked as aged_out",
    ),
)
async def list_children_due_for_revocation(
    session: SessionDep,
    _: Staff,
    ctx: RequestCtx,
    month: Annotated[str | None, Query(description="YYYY-MM; default this month")] = None,
) -> list[DueForRevocation]:
    first = parse_month(month, "month", first_year=LEDGER_FIRST_YEAR) if month else None
    return await queries.due_for_revocation(session, ctx, first)


page_route(
    router,
    "/children/reverifications",
    lists(
        Page[ReverificationDue],
        "Children whose category needs a new look 待复核 by a date (supervisors: their town)",
        description="A child is listed when a fact its category rests on is due for re-verification "
        "on or before `due_before` (a term ends; the yearly review of an illness, a disability or "
        "lost contact), or when its category was flagged for review. Town supervisors see their "
        "town, district roles the district; filter by `area_code` (a town or a village) to take "
        "the list town by town. Ordered by the date the look is due.",
    ),
    "list_children_reverifications",
    ReverificationReader,
    ReverificationQuery,
    queries.reverifications,
)


@router.get(
    "/children/proposals",
    **lists(
        Page[ProposalOut],
        "List change proposals 变更申请 (within the caller's jurisdiction)",
        tags=["proposals"],
    ),
)
async def list_child_proposals(
    session: SessionDep, ctx: RequestCtx, query: Filters[ProposalQuery]
) -> Page[ProposalOut]:
    return await queries.list_proposals(session, ctx, **dict(query))


@router.post(
    "/children/proposals/{proposal_id:uuid}/approve",
    **acts(
        ProposalOut,
        "Approve a proposal: the change is applied with history (district admin)",
        tags=["proposals"],
    ),
)
async def approve_child_proposal(
    proposal_id: uuid.UUID, session: SessionDep, _: DistrictAdmin, ctx: RequestCtx
) -> ProposalOut:
    return ProposalOut.model_validate(await proposals.approve(session, ctx, proposal_id))


@router.post(
    "/children/proposals/{proposal_id:uuid}/reject",
    **acts(ProposalOut, "Reject a proposal with a reason (district admin)", tags=["proposals"]),
)
async def reject_child_proposal(
    proposal_id: uuid.UUID,
    body: ProposalDecision,
    session: SessionDep,
    _: DistrictAdmin,
    ctx: RequestCtx,
) -> ProposalOut:
    return ProposalOut.model_validate(
        await proposals.reject(session, ctx, proposal_id, body.reason)
    )


@router.get(
    "/children/{child_id:uuid}",
    **reads(
        ChildView,
        "A child's record (audited); whole ID number for district admins and institute staff",
        response_model_exclude_unset=True,
    ),
)
async def get_child(child_id: uuid.UUID, request: Request, principal: CurrentPrincipal) -> Response:
    # No session and no context dependency: one statement on a pooled connection (the service)
    # and the answer's bytes made here; the declared answer model stays the document's.
    ctx = context_of(request, principal)
    version, body = await service.read_child(request.app.state, ctx, child_id)
    return Response(body, media_type="application/json", headers={"ETag": etag_for(version)})


call_route(
    router,
    "PATCH",
    "/children/{child_id:uuid}",
    acts(
        ChildOut,
        "Change a child's record 变更 (needs If-Match; a stale one is merged per field)",
        errors=(400, 401, 403, 404, 409, 412, 422, 428),
        description=(
            "On an older version than the current one, the change is applied when it touches "
            "no field changed since that version; otherwise 409 `edit_conflict` lists those "
            "fields with `yours`, `theirs` and `base`, and nothing is applied. 412 only for a "
            "version the record never had. See docs/sync.md."
        ),
    ),
    "update_child",
    ChildWriter,
    service.update_child,
    body=ChildPatch,
    etag=True,
    if_match=True,
    answer=staff_view,
)
call_route(
    router,
    "POST",
    "/children/{child_id:uuid}/revoke",
    acts(
        ChildOut,
        "Revoke 撤销 (reason, effective_on); the record and its history stay",
        errors=(400, 401, 403, 404, 409, 412, 422),
    ),
    "revoke_child",
    ChildWriter,
    service.revoke_child,
    body=RevokeRequest,
    etag=True,
    if_match=True,
    answer=staff_view,
)


@router.get(
    "/children/{child_id:uuid}/history",
    **reads(
        list[HistoryEntry],
        "A child's history: each change with per-field from/to, who, when and why",
    ),
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
    **creates(
        ProposalOut,
        "Propose a change to a child of one's area (village director, town supervisor)",
        errors=(400, 401, 403, 404, 409, 422),
        replayed={},
        tags=["proposals"],
    ),
)
async def create_child_proposal(
    child_id: uuid.UUID,
    body: ProposalCreate,
    session: SessionDep,
    ctx: RequestCtx,
) -> ProposalOut:
    return ProposalOut.model_validate(await proposals.propose(session, ctx, child_id, body))


@router.get(
    "/placements/queue",
    **lists(
        list[AdultPlacementOut],
        "The adult-placement queue 成年孤儿安置: institute orphans who came of age",
        tags=["placements"],
    ),
)
async def list_adult_placement_queue(
    session: SessionDep,
    principal: PlacementQueueReader,
    status: Annotated[str | None, Query(pattern="^(waiting|placed|withdrawn)$")] = "waiting",
) -> list[AdultPlacementOut]:
    return await queries.placement_queue(session, principal, status)
