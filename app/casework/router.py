"""HTTP routes of case work 精准帮扶: contracted agencies, their months, cases and their work."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from app.casework import agencies, service
from app.casework.auth import (
    AgencyAdmin,
    AgencyLister,
    CaseCloser,
    CaseOpener,
    CaseReader,
    CaseWorker,
)
from app.casework.schemas import (
    AgencyCreate,
    AgencyMonthOut,
    AgencyOut,
    AssessmentIn,
    CaseCreate,
    CaseOut,
    CaseStatus,
    CaseSummary,
    CloseIn,
    PlanIn,
    ReviewIn,
    ServiceIn,
    ServiceOut,
)
from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.etag import set_etag
from app.kit.idempotency import IdempotencyKey, create_once
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.types import Timestamp

router = APIRouter(prefix="/api/v1", tags=["casework"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {}}, "description": "The month as .xlsx"}
}
REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "A replay of the same creation (same id, or Idempotency-Key, and body)"}
}


@router.post(
    "/casework/agencies",
    response_model=AgencyOut,
    status_code=201,
    summary="Contract a social-work agency 签约社工机构 (hours bought, hourly rate)",
    responses=REPLAY | error_responses(401, 403, 409, 422),
)
async def create_casework_agency(
    body: AgencyCreate,
    session: SessionDep,
    _: AgencyAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> AgencyOut | JSONResponse:
    async def create() -> tuple[AgencyOut, object]:
        out = await agencies.create_agency(session, ctx, body)
        return out, out.id

    return await create_once(
        session,
        idempotency_key,
        owner=str(ctx.actor.id),
        scope="casework_agencies",
        body=body,
        create=create,
    )


@router.get(
    "/casework/agencies",
    response_model=Page[AgencyOut],
    summary="The contracted agencies",
    responses=error_responses(401, 403, 422),
)
async def list_casework_agencies(
    session: SessionDep,
    _: AgencyLister,
    ctx: RequestCtx,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AgencyOut]:
    return await agencies.list_agencies(session, ctx, limit=limit, cursor=cursor)


@router.get(
    "/casework/agencies/{agency_id:uuid}",
    response_model=AgencyOut,
    summary="One agency (a case worker: their own)",
    responses=error_responses(401, 403, 404, 422),
)
async def get_casework_agency(
    agency_id: uuid.UUID, response: Response, session: SessionDep, _: CaseReader, ctx: RequestCtx
) -> AgencyOut:
    agency = await agencies.get_agency(session, ctx, agency_id)
    set_etag(response, agency.version)
    return agencies.agency_out(agency)


@router.get(
    "/casework/agencies/{agency_id:uuid}/months/{month}",
    response_model=AgencyMonthOut,
    summary="Contract monitoring: the month's hours against the hours bought, the invoice amount",
    responses=error_responses(401, 403, 404, 422),
)
async def get_casework_month(
    agency_id: uuid.UUID, month: str, session: SessionDep, _: CaseReader, ctx: RequestCtx
) -> AgencyMonthOut:
    return await agencies.month_figures(session, ctx, agency_id, month)


@router.get(
    "/casework/agencies/{agency_id:uuid}/months/{month}/export",
    summary="The month's settlement sheet (.xlsx, Chinese headers)",
    response_class=Response,
    responses=XLSX_RESPONSE | error_responses(401, 403, 404, 422),
)
async def export_casework_month(
    agency_id: uuid.UUID, month: str, session: SessionDep, _: CaseReader, ctx: RequestCtx
) -> Response:
    content = await agencies.export_month(session, ctx, agency_id, month)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="casework-{month}.xlsx"'},
    )


@router.post(
    "/cases",
    response_model=CaseOut,
    status_code=201,
    summary="Open a case 个案 for a child on social assistance (or with the district's override)",
    responses=REPLAY | error_responses(401, 403, 409, 422),
)
async def create_case(
    body: CaseCreate, response: Response, session: SessionDep, _: CaseOpener, ctx: RequestCtx
) -> CaseOut | JSONResponse:
    async def create() -> tuple[CaseOut, object]:
        out = await service.create_case(session, ctx, body)
        set_etag(response, out.version)
        return out, out.id

    return await create_once(
        session, str(body.id), owner=str(ctx.actor.id), scope="cases", body=body, create=create
    )


@router.get(
    "/cases",
    response_model=Page[CaseSummary],
    summary="The cases the caller may see (a case worker: their agency's)",
    responses=error_responses(401, 403, 422),
)
async def list_cases(
    session: SessionDep,
    _: CaseReader,
    ctx: RequestCtx,
    status: Annotated[CaseStatus | None, Query()] = None,
    agency_id: Annotated[uuid.UUID | None, Query()] = None,
    child_id: Annotated[uuid.UUID | None, Query()] = None,
    review_overdue: Annotated[
        bool, Query(description="Only cases whose review is overdue")
    ] = False,
    updated_since: Annotated[Timestamp | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[CaseSummary]:
    return await service.list_cases(
        session,
        ctx,
        status=status,
        agency_id=agency_id,
        child_id=child_id,
        review_overdue=review_overdue,
        updated_since=updated_since,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/cases/{case_id:uuid}",
    response_model=CaseOut,
    summary="One case, with the child's facts its work needs",
    responses=error_responses(401, 403, 404, 422),
)
async def get_case(
    case_id: uuid.UUID, response: Response, session: SessionDep, _: CaseReader, ctx: RequestCtx
) -> CaseOut:
    out = await service.get_case(session, ctx, case_id)
    set_etag(response, out.version)
    return out


@router.post(
    "/cases/{case_id:uuid}/assessment",
    response_model=CaseOut,
    summary="Needs assessment 需求评估 in the six domains (open → assessed)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def assess_case(
    case_id: uuid.UUID,
    body: AssessmentIn,
    response: Response,
    session: SessionDep,
    _: CaseWorker,
    ctx: RequestCtx,
) -> CaseOut:
    out = await service.assess(session, ctx, case_id, body)
    set_etag(response, out.version)
    return out


@router.post(
    "/cases/{case_id:uuid}/plan",
    response_model=CaseOut,
    summary="The case plan 服务计划: goals and planned services (assessed → in_service)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def plan_case(
    case_id: uuid.UUID,
    body: PlanIn,
    response: Response,
    session: SessionDep,
    _: CaseWorker,
    ctx: RequestCtx,
) -> CaseOut:
    out = await service.set_plan(session, ctx, case_id, body)
    set_etag(response, out.version)
    return out


@router.post(
    "/cases/{case_id:uuid}/services",
    response_model=ServiceOut,
    status_code=201,
    summary="A service record 服务记录 (a disclosure of harm opens a draft mandatory report)",
    responses=REPLAY | error_responses(401, 403, 404, 409, 422),
)
async def create_case_service(
    case_id: uuid.UUID, body: ServiceIn, session: SessionDep, _: CaseWorker, ctx: RequestCtx
) -> ServiceOut | JSONResponse:
    async def create() -> tuple[ServiceOut, object]:
        out = await service.add_service(session, ctx, case_id, body)
        return out, out.id

    return await create_once(
        session,
        str(body.id),
        owner=str(ctx.actor.id),
        scope=f"case_services:{case_id}",
        body=body,
        create=create,
    )


@router.get(
    "/cases/{case_id:uuid}/services",
    response_model=Page[ServiceOut],
    summary="The case's service records, by date",
    responses=error_responses(401, 403, 404, 422),
)
async def list_case_services(
    case_id: uuid.UUID,
    session: SessionDep,
    _: CaseReader,
    ctx: RequestCtx,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ServiceOut]:
    return await service.list_services(session, ctx, case_id, limit=limit, cursor=cursor)


@router.post(
    "/cases/{case_id:uuid}/reviews",
    response_model=CaseOut,
    status_code=201,
    summary="A review 回顾 with progress per goal (only a case in service)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def review_case(
    case_id: uuid.UUID,
    body: ReviewIn,
    response: Response,
    session: SessionDep,
    _: CaseWorker,
    ctx: RequestCtx,
) -> CaseOut:
    out = await service.review(session, ctx, case_id, body)
    set_etag(response, out.version)
    return out


@router.post(
    "/cases/{case_id:uuid}/close",
    response_model=CaseOut,
    summary="Close a case 结案 with its outcome",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def close_case(
    case_id: uuid.UUID,
    body: CloseIn,
    response: Response,
    session: SessionDep,
    _: CaseCloser,
    ctx: RequestCtx,
) -> CaseOut:
    out = await service.close(session, ctx, case_id, body)
    set_etag(response, out.version)
    return out
