"""HTTP for the children's ledger records: /api/v1/children, proposals, the placement queue."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from app.auth.principal import CurrentPrincipal, DistrictAdmin, Principal, require_roles
from app.children import continued, proposals, rules, service
from app.children import repository as repo
from app.children.rules import birthday_at
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
    ReverificationReason,
    RevokeRequest,
    Status,
)
from app.db import SessionDep
from app.errors import Forbidden, error_responses
from app.kit.clock import ClockDep, local_today
from app.kit.crypto import KeyRing
from app.kit.etag import set_etag
from app.kit.idempotency import REPLAYED, IdempotencyKey, remember_for_key, replay_for_key
from app.kit.pagination import CursorQuery, LimitQuery, Page, paginate
from app.kit.types import Date, Timestamp
from app.ledger.months import month_end, parse_month
from app.models import Child, ChildProposal

router = APIRouter(prefix="/api/v1", tags=["children"])

Writers = Annotated[Principal, Depends(require_roles("district_admin", "institution_staff"))]
PlacementReaders = Annotated[
    Principal,
    Depends(require_roles("district_admin", "district_leader", "auditor", "institution_staff")),
]
ReverificationReaders = Annotated[
    Principal,
    Depends(require_roles("district_admin", "district_leader", "auditor", "town_supervisor")),
]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100)]
ChildView = ChildOut | ChildPartnerView


def _ring(request: Request) -> KeyRing:
    ring: KeyRing = request.app.state.keyring
    return ring


def _staff_only(principal: Principal) -> None:
    if principal.kind != "user":
        raise Forbidden("仅限工作人员账户", "Staff accounts only")


def _out(data: dict[str, Any]) -> ChildOut | ChildPartnerView:
    if "category" in data:
        return ChildOut.model_validate(data)
    return ChildPartnerView(**data)


@router.post(
    "/children",
    response_model=ChildOut,
    status_code=201,
    summary="Enrol a child in difficulty 新增 (district admin; institution staff: institution)",
    responses=REPLAYED | error_responses(400, 401, 403, 409, 422),
)
async def create_child(
    body: ChildCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Writers,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> ChildOut | JSONResponse:
    key = {"owner": str(actor.id), "scope": "children"}
    if replay := await replay_for_key(session, idempotency_key, **key, body=body):
        return replay
    child = await service.create_child(session, actor, _ring(request), body, clock.now())
    out = ChildOut.model_validate(service.view(child, actor, _ring(request)))
    await remember_for_key(session, idempotency_key, **key, out=out, resource_id=str(child.id))
    set_etag(response, child.version)
    return out


@router.get(
    "/children",
    response_model=Page[ChildView],
    response_model_exclude_unset=True,
    summary="List children (staff: jurisdiction; agencies: those their open referrals concern)",
    responses=error_responses(401, 403, 422),
)
async def list_children(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    category: Annotated[Category | None, Query()] = None,
    placement: Annotated[Placement | None, Query()] = None,
    area_code: Annotated[str | None, Query(max_length=12)] = None,
    status: Annotated[Status | None, Query()] = None,
    updated_since: Annotated[Timestamp | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ChildView]:
    service.require_reader(principal)
    stmt = repo.list_stmt(
        principal,
        category=category,
        placement=placement,
        area_code=area_code,
        status=status,
        updated_since=updated_since,
    )
    rows, nxt = await paginate(
        session, stmt, [Child.updated_at, Child.id], limit=limit, cursor=cursor
    )
    service.audit_agency_list(session, principal, rows)
    ring = _ring(request)
    return Page(items=[_out(service.view(c, principal, ring)) for c in rows], next_cursor=nxt)


@router.get(
    "/children/due-for-revocation",
    response_model=list[DueForRevocation],
    summary="Children turning 18 by the month's end: due to be revoked as aged_out",
    responses=error_responses(401, 403, 422),
)
async def list_children_due_for_revocation(
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    month: Annotated[str | None, Query(description="YYYY-MM; default this month")] = None,
) -> list[DueForRevocation]:
    _staff_only(principal)
    first = parse_month(month, "month") if month else local_today(clock).replace(day=1)
    rows = await repo.due_for_revocation(session, principal, month_end(first))
    switch_on = await continued.support_after_18_on(session, local_today(clock))
    out = []
    for c in rows:
        turns = birthday_at(c.birth_date, 18)
        stays = continued.supported_until(c, max(turns, local_today(clock)), switch_on)
        out.append(
            DueForRevocation(
                id=c.id,
                name=c.name,
                category=c.category,
                placement=c.placement,
                village_code=c.village_code,
                birth_date=c.birth_date,
                turns_18_on=turns,
                overdue=turns < first and stays is None,
                continues_schooling_until=stays,
            )
        )
    return out


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
    principal: ReverificationReaders,
    clock: ClockDep,
    due_before: Annotated[Date | None, Query(description="YYYY-MM-DD; default today")] = None,
    area_code: Annotated[str | None, Query(max_length=12)] = None,
    category: Annotated[Category | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ReverificationDue]:
    today = local_today(clock)
    stmt = repo.reverifications_stmt(
        principal, due_before=due_before or today, area_code=area_code, category=category
    )
    rows, nxt = await paginate(
        session, stmt, [Child.reverify_on, Child.id], limit=limit, cursor=cursor
    )
    towns = await repo.towns_of(session, {c.village_code for c in rows if c.village_code})
    items = []
    for c in rows:
        town = towns.get(c.village_code or "")
        reasons = [ReverificationReason(**r) for r in rules.reverifications(service.facts_of(c))]
        reasons += [
            ReverificationReason(
                kind="review_flag",
                due_on=f["flagged_on"],
                field=f["field"],
                rule=f["rule"],
                reason=f["reason_zh"],
            )
            for f in c.review_flags or []
        ]
        reasons.sort(key=lambda r: r.due_on)
        items.append(
            ReverificationDue(
                id=c.id,
                name=c.name,
                category=c.category,
                placement=c.placement,
                village_code=c.village_code,
                town_code=town[0] if town else None,
                town_name=town[1] if town else None,
                reverify_on=c.reverify_on,
                overdue=c.reverify_on < today,
                reasons=reasons,
            )
        )
    return Page(items=items, next_cursor=nxt)


@router.get(
    "/children/proposals",
    response_model=Page[ProposalOut],
    summary="List change proposals 变更申请 (within the caller's jurisdiction)",
    tags=["proposals"],
    responses=error_responses(401, 403, 422),
)
async def list_child_proposals(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: Annotated[str | None, Query(pattern="^(pending|approved|rejected)$")] = None,
    child_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ProposalOut]:
    _staff_only(principal)
    rows, nxt = await paginate(
        session,
        repo.proposals_stmt(principal, status=status, child_id=child_id),
        [ChildProposal.created_at, ChildProposal.id],
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[ProposalOut.model_validate(p) for p in rows], next_cursor=nxt)


@router.post(
    "/children/proposals/{proposal_id:uuid}/approve",
    response_model=ProposalOut,
    summary="Approve a proposal: the change is applied with history (district admin)",
    tags=["proposals"],
    responses=error_responses(401, 403, 404, 409, 422),
)
async def approve_child_proposal(
    proposal_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: DistrictAdmin,
    clock: ClockDep,
) -> ProposalOut:
    p = await proposals.approve(session, actor, _ring(request), proposal_id, clock.now())
    return ProposalOut.model_validate(p)


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
    actor: DistrictAdmin,
    clock: ClockDep,
) -> ProposalOut:
    p = await proposals.reject(session, actor, proposal_id, body.reason, clock.now())
    return ProposalOut.model_validate(p)


@router.get(
    "/children/{child_id:uuid}",
    response_model=ChildView,
    response_model_exclude_unset=True,
    summary="A child's record (audited); whole ID number for district admins and institute staff",
    responses=error_responses(401, 403, 404, 422),
)
async def get_child(
    child_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ChildView:
    child, data = await service.read_child(session, principal, _ring(request), child_id)
    set_etag(response, child.version)
    return _out(data)


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
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Writers,
    clock: ClockDep,
    if_match: IfMatch = None,
) -> ChildOut:
    ring = _ring(request)
    child = await service.update_child(session, actor, ring, child_id, body, if_match, clock.now())
    set_etag(response, child.version)
    return ChildOut.model_validate(service.view(child, actor, ring))


@router.post(
    "/children/{child_id:uuid}/revoke",
    response_model=ChildOut,
    summary="Revoke 撤销 (reason, effective_on); the record and its history stay",
    responses=error_responses(400, 401, 403, 404, 409, 412, 422),
)
async def revoke_child(
    child_id: uuid.UUID,
    body: RevokeRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Writers,
    clock: ClockDep,
    if_match: IfMatch = None,
) -> ChildOut:
    child = await service.revoke_child(session, actor, child_id, body, if_match, clock.now())
    set_etag(response, child.version)
    return ChildOut.model_validate(service.view(child, actor, _ring(request)))


@router.get(
    "/children/{child_id:uuid}/history",
    response_model=list[HistoryEntry],
    summary="A child's history: each change with per-field from/to, who, when and why",
    responses=error_responses(401, 403, 404, 422),
)
async def get_child_history(
    child_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[HistoryEntry]:
    entries = await service.child_history(session, principal, child_id)
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
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> ProposalOut:
    p = await proposals.propose(session, principal, _ring(request), child_id, body, clock.now())
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
    _: PlacementReaders,
    status: Annotated[str | None, Query(pattern="^(waiting|placed|withdrawn)$")] = "waiting",
) -> list[AdultPlacementOut]:
    rows = await repo.placement_queue(session, status=status)
    return [
        AdultPlacementOut(
            id=p.id,
            child_id=p.child_id,
            name=name,
            came_of_age_on=p.came_of_age_on,
            status=p.status,
            placement_kind=p.placement_kind,
            placed_on=p.placed_on,
            created_at=p.created_at,
        )
        for p, name in rows
    ]
