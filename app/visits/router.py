"""HTTP for visits 巡视探访, their coverage, quality flags and follow-ups 困难跟进."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from app.auth.principal import Principal, require_roles
from app.db import SessionDep
from app.errors import ValidationFailed, error_responses
from app.kit import audit
from app.kit.clock import ClockDep, local_today
from app.kit.context import context_of
from app.kit.etag import set_etag
from app.kit.pagination import CursorQuery, LimitQuery, Page, paginate
from app.kit.types import month_or_422, representable
from app.models import FollowUp, Visit
from app.visits import coverage as coverage_service
from app.visits import flags as flags_service
from app.visits import followups, service
from app.visits import repository as repo
from app.visits.schemas import (
    BatchIn,
    BatchOut,
    CoverageOut,
    FlagKind,
    FlagsPage,
    FollowUpOut,
    FollowUpStatus,
    FollowUpTransition,
    VisitCreate,
    VisitOut,
)

router = APIRouter(prefix="/api/v1", tags=["visits"])

READ_ROLES = (
    "district_admin",
    "district_leader",
    "auditor",
    "institution_staff",
    "town_supervisor",
    "village_director",
)
Visitor = Annotated[
    Principal,
    Depends(
        require_roles("district_admin", "institution_staff", "town_supervisor", "village_director")
    ),
]
Reader = Annotated[Principal, Depends(require_roles(*READ_ROLES))]
Supervisor = Annotated[
    Principal,
    Depends(require_roles("district_admin", "district_leader", "auditor", "town_supervisor")),
]
AreaReader = Annotated[
    Principal,
    Depends(
        require_roles(
            "district_admin", "district_leader", "auditor", "town_supervisor", "village_director"
        )
    ),
]
FollowUpActor = Annotated[Principal, Depends(require_roles("district_admin", "town_supervisor"))]
MonthQuery = Annotated[
    str | None, Query(description="A district month, YYYY-MM (Asia/Shanghai).", max_length=7)
]
AreaQuery = Annotated[str | None, Query(max_length=12, pattern=r"^\d{6,12}$")]
REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "The same id and body again: the stored visit", "model": VisitOut}
}


def parse_month(value: str | None, field: str = "month") -> date | None:
    return None if value is None else month_or_422(value, field)


def _ctx(request: Request, principal: Principal) -> service.Context:
    return service.Context(request=context_of(request, principal))


@router.post(
    "/visits",
    response_model=VisitOut,
    status_code=201,
    summary="Record a visit (idempotent on the client id)",
    responses=REPLAY | error_responses(400, 401, 403, 404, 409, 422),
)
async def create_visit(
    body: VisitCreate, request: Request, session: SessionDep, principal: Visitor, clock: ClockDep
) -> VisitOut | JSONResponse:
    outcome, out = await service.create_visit(session, _ctx(request, principal), body)
    if outcome == "duplicate":
        return JSONResponse(out.model_dump(mode="json"), status_code=200)
    return out


@router.post(
    "/visits/batch",
    response_model=BatchOut,
    summary="Upload up to 200 visits from an offline phone; a result per item",
    responses=error_responses(400, 401, 403, 422),
)
async def create_visit_batch(
    body: BatchIn, request: Request, session: SessionDep, principal: Visitor, clock: ClockDep
) -> BatchOut:
    return await service.create_batch(session, _ctx(request, principal), body.visits)


@router.get(
    "/visits",
    response_model=Page[VisitOut],
    summary="List visits in one's jurisdiction",
    responses=error_responses(401, 403, 422),
)
async def list_visits(
    session: SessionDep,
    principal: Reader,
    child_id: uuid.UUID | None = None,
    month: MonthQuery = None,
    area_code: AreaQuery = None,
    updated_since: Annotated[
        str | None, Query(description="RFC 3339 timestamp: visits changed at or after it.")
    ] = None,
    suspected_infringement: Annotated[
        bool | None, Query(description="true: visits with suspected infringement (强制报告).")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[VisitOut]:
    since = _parse_since(updated_since)
    stmt = repo.visits_stmt(
        principal,
        child_id=child_id,
        month=parse_month(month),
        area_code=area_code,
        updated_since=since,
        suspected=suspected_infringement,
    )
    rows, nxt = await paginate(
        session, stmt, [Visit.updated_at, Visit.id], limit=limit, cursor=cursor
    )
    if rows:
        audit.record(session, principal, "visit.list", "visit", None, {"count": len(rows)})
    return Page(items=[service.to_out(v) for v in rows], next_cursor=nxt)


def _parse_since(value: str | None) -> Any:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ValidationFailed(
            errors=[("updated_since", "应为带时区的时间", "Must be an RFC 3339 timestamp")]
        )
    try:
        # 0001-01-01T00:00+08:00 is year 0 in UTC: PostgreSQL cannot take it (it was a 500)
        return representable(at)
    except ValueError as error:
        zh, en = str(error).split("|")
        raise ValidationFailed(errors=[("updated_since", zh, en)]) from None


@router.get(
    "/visits/coverage",
    response_model=CoverageOut,
    summary="Visit coverage of a month: due, visited, not yet visited, per village/town",
    responses=error_responses(401, 403, 404, 422),
)
async def visit_coverage(
    session: SessionDep,
    principal: AreaReader,
    clock: ClockDep,
    month: MonthQuery = None,
    area_code: AreaQuery = None,
) -> CoverageOut:
    first = parse_month(month) or local_today(clock).replace(day=1)
    return await coverage_service.coverage(session, principal, first, area_code)


@router.get(
    "/visits/flags",
    response_model=FlagsPage,
    summary="Visit quality flags for supervisors",
    responses=error_responses(401, 403, 404, 422),
)
async def list_visit_flags(
    session: SessionDep,
    principal: Supervisor,
    kind: FlagKind | None = None,
    month: MonthQuery = None,
    area_code: AreaQuery = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> FlagsPage:
    return await flags_service.list_flags(
        session,
        principal,
        kind=kind,
        month=parse_month(month),
        area_code=area_code,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/visits/{visit_id:uuid}",
    response_model=VisitOut,
    summary="Get a visit",
    responses=error_responses(401, 403, 404, 422),
)
async def get_visit(visit_id: uuid.UUID, session: SessionDep, principal: Reader) -> VisitOut:
    return await service.get_visit(session, principal, visit_id)


@router.get(
    "/follow-ups",
    response_model=Page[FollowUpOut],
    summary="List follow-ups of visit difficulties",
    responses=error_responses(401, 403, 422),
)
async def list_follow_ups(
    session: SessionDep,
    principal: Reader,
    clock: ClockDep,
    status: FollowUpStatus | None = None,
    overdue: Annotated[
        bool | None, Query(description="true: open or in progress past the due date.")
    ] = None,
    area_code: AreaQuery = None,
    child_id: uuid.UUID | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[FollowUpOut]:
    today = local_today(clock)
    stmt = repo.follow_ups_stmt(
        principal,
        status=status,
        overdue=overdue,
        today=today,
        area_code=area_code,
        child_id=child_id,
    )
    rows, nxt = await paginate(
        session, stmt, [FollowUp.due_on, FollowUp.id], limit=limit, cursor=cursor
    )
    return Page(items=[followups.to_out(f, today) for f in rows], next_cursor=nxt)


@router.post(
    "/follow-ups/{follow_up_id:uuid}/transitions",
    response_model=FollowUpOut,
    summary="Move a follow-up: open → in_progress → resolved | referred",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def transition_follow_up(
    follow_up_id: uuid.UUID,
    body: FollowUpTransition,
    response: Response,
    session: SessionDep,
    principal: FollowUpActor,
    clock: ClockDep,
) -> FollowUpOut:
    f = await followups.transition(session, principal, follow_up_id, body, clock)
    set_etag(response, f.version)
    return followups.to_out(f, local_today(clock))
