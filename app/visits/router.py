"""HTTP for visits 巡视探访, their coverage, quality flags and follow-ups 困难跟进."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.errors import ValidationFailed
from app.kit.context import RequestCtx
from app.kit.etag import set_etag
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.records import replay_response
from app.kit.routes import acts, call_route, creates, lists, page_route, reads
from app.kit.types import representable
from app.kit.vocab import parse_optional_month
from app.visits import coverage as coverage_service
from app.visits import flags as flags_service
from app.visits import followups, service
from app.visits.auth import (
    CoverageReader,
    FollowUpWorker,
    VisitReader,
    VisitSupervisor,
    VisitWriter,
)
from app.visits.schemas import (
    BatchIn,
    BatchOut,
    CoverageOut,
    FlagKind,
    FlagsPage,
    FollowUpOut,
    FollowUpQuery,
    FollowUpTransition,
    VisitCreate,
    VisitOut,
)

router = APIRouter(prefix="/api/v1", tags=["visits"])

MonthQuery = Annotated[
    str | None, Query(description="A district month, YYYY-MM (Asia/Shanghai).", max_length=7)
]
AreaQuery = Annotated[str | None, Query(max_length=12, pattern=r"^\d{6,12}$")]
REPLAY = replay_response("The same id and body again: the stored visit", VisitOut)


@router.post(
    "/visits",
    **creates(
        VisitOut,
        "Record a visit (idempotent on the client id)",
        errors=(400, 401, 403, 404, 409, 422),
        replayed=REPLAY,
    ),
)
async def create_visit(
    body: VisitCreate, session: SessionDep, _: VisitWriter, ctx: RequestCtx
) -> VisitOut | JSONResponse:
    outcome, out = await service.create_visit(session, ctx, body)
    if outcome == "duplicate":
        return JSONResponse(out.model_dump(mode="json"), status_code=200)
    return out


@router.post(
    "/visits/batch",
    **acts(
        BatchOut,
        "Upload up to 200 visits from an offline phone; a result per item",
        errors=(400, 401, 403, 422),
    ),
)
async def create_visit_batch(
    body: BatchIn, session: SessionDep, _: VisitWriter, ctx: RequestCtx
) -> BatchOut:
    return await service.create_batch(session, ctx, body.visits)


@router.get("/visits", **lists(Page[VisitOut], "List visits in one's jurisdiction"))
async def list_visits(
    session: SessionDep,
    _: VisitReader,
    ctx: RequestCtx,
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
    return await service.list_visits(
        session,
        ctx,
        child_id=child_id,
        month=parse_optional_month(month),
        area_code=area_code,
        updated_since=since,
        suspected=suspected_infringement,
        limit=limit,
        cursor=cursor,
    )


def _parse_since(value: str | None) -> datetime | None:
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
    **reads(
        CoverageOut, "Visit coverage of a month: due, visited, not yet visited, per village/town"
    ),
)
async def visit_coverage(
    session: SessionDep,
    _: CoverageReader,
    ctx: RequestCtx,
    month: MonthQuery = None,
    area_code: AreaQuery = None,
) -> CoverageOut:
    first = parse_optional_month(month) or ctx.today.replace(day=1)
    return await coverage_service.coverage(session, ctx.actor, first, area_code)


@router.get("/visits/flags", **reads(FlagsPage, "Visit quality flags for supervisors"))
async def list_visit_flags(
    session: SessionDep,
    principal: VisitSupervisor,
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
        month=parse_optional_month(month),
        area_code=area_code,
        limit=limit,
        cursor=cursor,
    )


call_route(
    router,
    "GET",
    "/visits/{visit_id:uuid}",
    reads(VisitOut, "Get a visit"),
    "get_visit",
    VisitReader,
    service.get_visit,
)


page_route(
    router,
    "/follow-ups",
    lists(Page[FollowUpOut], "List follow-ups of visit difficulties"),
    "list_follow_ups",
    VisitReader,
    FollowUpQuery,
    followups.list_follow_ups,
)


@router.post(
    "/follow-ups/{follow_up_id:uuid}/transitions",
    **acts(FollowUpOut, "Move a follow-up: open → in_progress → resolved | referred"),
)
async def transition_follow_up(
    follow_up_id: uuid.UUID,
    body: FollowUpTransition,
    response: Response,
    session: SessionDep,
    _: FollowUpWorker,
    ctx: RequestCtx,
) -> FollowUpOut:
    f = await followups.transition(session, ctx, follow_up_id, body)
    set_etag(response, f.version)
    return followups.to_out(f, ctx.today)
