"""HTTP routes of case work 精准帮扶: contracted agencies, their months, cases and their work."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

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
    CaseQuery,
    CaseSummary,
    CloseIn,
    PlanIn,
    ReviewIn,
    ServiceIn,
    ServiceOut,
)
from app.db import SessionDep
from app.kit.context import RequestContext, RequestCtx
from app.kit.crud import create_keyed, etagged, exports, named_route, xlsx_file
from app.kit.idempotency import IdempotencyKey
from app.kit.pagination import Page
from app.kit.params import Filters, PageQuery
from app.kit.records import replay_response
from app.kit.routes import acts, call_route, creates, lists, page_route, reads
from app.replica import LagTolerantSessionDep

router = APIRouter(prefix="/api/v1", tags=["casework"])
REPLAY = replay_response("A replay of the same creation (same id, or Idempotency-Key, and body)")
CREATED = (401, 403, 409, 422)


@router.post(
    "/casework/agencies",
    **creates(
        AgencyOut,
        "Contract a social-work agency 签约社工机构 (hours bought, hourly rate)",
        errors=CREATED,
        replayed=REPLAY,
    ),
)
async def create_casework_agency(
    body: AgencyCreate,
    session: SessionDep,
    _: AgencyAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> AgencyOut | JSONResponse:
    key = idempotency_key
    return await create_keyed(session, ctx, key, "casework_agencies", body, agencies.create_agency)


page_route(
    router,
    "/casework/agencies",
    lists(Page[AgencyOut], "The contracted agencies"),
    "list_casework_agencies",
    AgencyLister,
    PageQuery,
    agencies.list_agencies,
)


@router.get(
    "/casework/agencies/{agency_id:uuid}",
    **reads(AgencyOut, "One agency (a case worker: their own)"),
)
async def get_casework_agency(
    agency_id: uuid.UUID, response: Response, session: SessionDep, _: CaseReader, ctx: RequestCtx
) -> AgencyOut:
    agency = etagged(response, await agencies.get_agency(session, ctx, agency_id))
    return agencies.agency_out(agency)


call_route(
    router,
    "GET",
    "/casework/agencies/{agency_id:uuid}/months/{month}",
    reads(
        AgencyMonthOut,
        "Contract monitoring: the month's hours against the hours bought, the invoice amount",
    ),
    "get_casework_month",
    CaseReader,
    agencies.month_figures,
    replica=True,
)


@router.get(
    "/casework/agencies/{agency_id:uuid}/months/{month}/export",
    **exports("The month's settlement sheet (.xlsx, Chinese headers)", "The month as .xlsx"),
)
async def export_casework_month(
    agency_id: uuid.UUID, month: str, session: LagTolerantSessionDep, _: CaseReader, ctx: RequestCtx
) -> Response:
    content = await agencies.export_month(session, ctx, agency_id, month)
    return xlsx_file(content, f"casework-{month}.xlsx")


@router.post(
    "/cases",
    **creates(
        CaseOut,
        "Open a case 个案 for a child on social assistance (or with the district's override)",
        errors=CREATED,
        replayed=REPLAY,
    ),
)
async def create_case(
    body: CaseCreate, response: Response, session: SessionDep, _: CaseOpener, ctx: RequestCtx
) -> CaseOut | JSONResponse:
    make = service.create_case
    return await create_keyed(session, ctx, str(body.id), "cases", body, make, response=response)


page_route(
    router,
    "/cases",
    lists(Page[CaseSummary], "The cases the caller may see (a case worker: their agency's)"),
    "list_cases",
    CaseReader,
    CaseQuery,
    service.list_cases,
    whole=True,
)


call_route(
    router,
    "GET",
    "/cases/{case_id:uuid}",
    reads(CaseOut, "One case, with the child's facts its work needs"),
    "get_case",
    CaseReader,
    service.get_case,
    etag=True,
)


Step = Callable[[AsyncSession, RequestContext, uuid.UUID, Any], Awaitable[CaseOut]]


def _case_step(
    path: str, name: str, body_model: type[BaseModel], guard: Any, step: Step, **route: Any
) -> None:
    """POST /cases/{case_id}/<path>: a step of the case's work (app.casework.service), taken
    by those `guard` admits; the answer is the case, with its new ETag."""

    async def take(
        case_id: uuid.UUID,
        body: BaseModel,
        response: Response,
        session: SessionDep,
        _: Any,
        ctx: RequestCtx,
    ) -> CaseOut:
        return etagged(response, await step(session, ctx, case_id, body))

    handler = named_route(take, name, body=body_model, _=guard)
    router.post(f"/cases/{{case_id:uuid}}/{path}", **acts(CaseOut, **route))(handler)


# fmt: off
_case_step("assessment", "assess_case", AssessmentIn, CaseWorker, service.assess,
           summary="Needs assessment 需求评估 in the six domains (open → assessed)")
_case_step("plan", "plan_case", PlanIn, CaseWorker, service.set_plan,
           summary="The case plan 服务计划: goals and planned services (assessed → in_service)")
# fmt: on


@router.post(
    "/cases/{case_id:uuid}/services",
    **creates(
        ServiceOut,
        "A service record 服务记录 (a disclosure of harm opens a draft mandatory report)",
        errors=(401, 403, 404, 409, 422),
        replayed=REPLAY,
    ),
)
async def create_case_service(
    case_id: uuid.UUID, body: ServiceIn, session: SessionDep, _: CaseWorker, ctx: RequestCtx
) -> ServiceOut | JSONResponse:
    async def add(session: AsyncSession, ctx: RequestContext, body: ServiceIn) -> ServiceOut:
        return await service.add_service(session, ctx, case_id, body)

    scope = f"case_services:{case_id}"
    return await create_keyed(session, ctx, str(body.id), scope, body, add)


@router.get(
    "/cases/{case_id:uuid}/services",
    **reads(Page[ServiceOut], "The case's service records, by date"),
)
async def list_case_services(
    case_id: uuid.UUID,
    session: SessionDep,
    _: CaseReader,
    ctx: RequestCtx,
    query: Filters[PageQuery],
) -> Page[ServiceOut]:
    return await service.list_services(session, ctx, case_id, **dict(query))


_case_step("reviews", "review_case", ReviewIn, CaseWorker, service.review, status_code=201,
           summary="A review 回顾 with progress per goal (only a case in service)")  # fmt: skip
_case_step("close", "close_case", CloseIn, CaseCloser, service.close,
           summary="Close a case 结案 with its outcome")  # fmt: skip
