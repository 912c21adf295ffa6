"""HTTP of the charity project funds 慈善项目资金: /api/v1/charity/...

Roles: see `app/charity/auth.py` (the table of who may call what).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.charity import service
from app.charity.auth import Applicant, Association, CharityReader, Reviewer
from app.charity.schemas import (
    ApplicationCreate,
    ApplicationOut,
    CharityStatus,
    DecisionIn,
    DisbursementIn,
    DisbursementOut,
    ReportIn,
    ReviewIn,
    ServiceType,
)
from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.four_eyes import FourEyes
from app.kit.idempotency import create_once
from app.kit.pagination import CursorQuery, LimitQuery, Page

router = APIRouter(prefix="/api/v1/charity", tags=["charity"])


def _replay(what: str, model: type[Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": f"The same id and body again: the stored {what}", "model": model}}


@router.post(
    "/applications",
    response_model=ApplicationOut,
    status_code=201,
    summary="Apply to the charity association for project funds (idempotent on the client id)",
    responses=_replay("application", ApplicationOut) | error_responses(401, 403, 409, 422),
)
async def create_charity_application(
    body: ApplicationCreate, session: SessionDep, _: Applicant, ctx: RequestCtx
) -> ApplicationOut | JSONResponse:
    async def create() -> tuple[ApplicationOut, object]:
        out = await service.create_application(session, ctx, body)
        return out, out.id

    return await create_once(
        session,
        str(body.id),
        owner=str(ctx.actor.id),
        scope="charity_applications",
        body=body,
        create=create,
    )


@router.get(
    "/applications",
    response_model=Page[ApplicationOut],
    summary="List applications (district: all; a supervisor: their town's; the association: "
    "those forwarded to it)",
    responses=error_responses(401, 403, 422),
)
async def list_charity_applications(
    session: SessionDep,
    _: CharityReader,
    ctx: RequestCtx,
    status: CharityStatus | None = None,
    service_type: ServiceType | None = None,
    applicant_area_code: Annotated[str | None, Query(max_length=12, pattern=r"^\d{6,12}$")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ApplicationOut]:
    return await service.list_applications(
        session,
        ctx,
        status=status,
        service_type=service_type,
        applicant_area_code=applicant_area_code,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/applications/{application_id:uuid}",
    response_model=ApplicationOut,
    summary="One application with its instalments and final report",
    responses=error_responses(401, 403, 404, 422),
)
async def get_charity_application(
    application_id: uuid.UUID, session: SessionDep, _: CharityReader, ctx: RequestCtx
) -> ApplicationOut:
    return await service.get_application(session, ctx, application_id)


@router.post(
    "/applications/{application_id:uuid}/review",
    response_model=ApplicationOut,
    summary="The district's review: forward to the charity association, or return (not by the "
    "one who filed it)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def review_charity_application(
    application_id: uuid.UUID,
    body: ReviewIn,
    session: SessionDep,
    _: Reviewer,
    ctx: RequestCtx,
    four_eyes: FourEyes,
) -> ApplicationOut:
    return await service.review(
        session, ctx, application_id, body.decision, body.note, four_eyes=four_eyes
    )


@router.post(
    "/applications/{application_id:uuid}/decision",
    response_model=ApplicationOut,
    summary="The charity association approves an amount (at most the request) or declines",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def decide_charity_application(
    application_id: uuid.UUID,
    body: DecisionIn,
    session: SessionDep,
    _: Association,
    ctx: RequestCtx,
) -> ApplicationOut:
    return await service.decide(session, ctx, application_id, body)


@router.post(
    "/applications/{application_id:uuid}/disbursements",
    response_model=DisbursementOut,
    status_code=201,
    summary="Record an instalment paid by the association (never past the approved amount; "
    "idempotent on the instalment's id; not by the client that approved)",
    responses=_replay("instalment", DisbursementOut) | error_responses(401, 403, 404, 409, 422),
)
async def disburse_charity_funds(
    application_id: uuid.UUID,
    body: DisbursementIn,
    session: SessionDep,
    _: Association,
    ctx: RequestCtx,
    four_eyes: FourEyes,
) -> DisbursementOut | JSONResponse:
    async def create() -> tuple[DisbursementOut, object]:
        out = await service.disburse(session, ctx, application_id, body, four_eyes=four_eyes)
        return out, out.id

    return await create_once(
        session,
        str(body.id),
        owner=str(ctx.actor.id),
        scope="charity_disbursements",
        body={"application_id": str(application_id), **body.model_dump(mode="json")},
        create=create,
    )


@router.post(
    "/applications/{application_id:uuid}/report",
    response_model=ApplicationOut,
    summary="File the project's final report (after one instalment at least)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def report_charity_project(
    application_id: uuid.UUID,
    body: ReportIn,
    session: SessionDep,
    _: Applicant,
    ctx: RequestCtx,
) -> ApplicationOut:
    return await service.report(session, ctx, application_id, body)


@router.get(
    "/overdue-reports",
    response_model=Page[ApplicationOut],
    summary="Approved projects past their period and grace days (CHARITY_REPORT_GRACE_DAYS) "
    "without a final report",
    responses=error_responses(401, 403, 422),
)
async def overdue_charity_reports(
    session: SessionDep,
    _: CharityReader,
    ctx: RequestCtx,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ApplicationOut]:
    return await service.overdue_reports(session, ctx, limit=limit, cursor=cursor)
