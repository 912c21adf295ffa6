"""HTTP of the charity project funds 慈善项目资金: /api/v1/charity/...

Roles: see `app/charity/auth.py` (the table of who may call what).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.charity import service
from app.charity.auth import Applicant, Association, CharityReader, Reviewer
from app.charity.schemas import (
    ApplicationCreate,
    ApplicationOut,
    ApplicationQuery,
    DecisionIn,
    DisbursementIn,
    DisbursementOut,
    ReportIn,
    ReviewIn,
)
from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.four_eyes import FourEyes
from app.kit.pagination import Page
from app.kit.params import PageQuery
from app.kit.records import create_by_client_id, replay_response
from app.kit.routes import acts, call_route, creates, lists, page_route, reads

router = APIRouter(prefix="/api/v1/charity", tags=["charity"])
ID_CREATE_ERRORS = (401, 403, 409, 422)
STORED = "The same id and body again: the stored {}"


@router.post(
    "/applications",
    **creates(
        ApplicationOut,
        "Apply to the charity association for project funds (idempotent on the client id)",
        errors=ID_CREATE_ERRORS,
        replayed=replay_response(STORED.format("application"), ApplicationOut),
    ),
)
async def create_charity_application(
    body: ApplicationCreate, session: SessionDep, _: Applicant, ctx: RequestCtx
) -> ApplicationOut | JSONResponse:
    return await create_by_client_id(
        session,
        ctx,
        "charity_applications",
        body,
        lambda: service.create_application(session, ctx, body),
    )


page_route(
    router,
    "/applications",
    lists(
        Page[ApplicationOut],
        "List applications (district: all; a supervisor: their town's; the association: "
        "those forwarded to it)",
    ),
    "list_charity_applications",
    CharityReader,
    ApplicationQuery,
    service.list_applications,
)


call_route(
    router,
    "GET",
    "/applications/{application_id:uuid}",
    reads(ApplicationOut, "One application with its instalments and final report"),
    "get_charity_application",
    CharityReader,
    service.get_application,
)


@router.post(
    "/applications/{application_id:uuid}/review",
    **acts(
        ApplicationOut,
        "The district's review: forward to the charity association, or return (not by the "
        "one who filed it)",
    ),
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


call_route(
    router,
    "POST",
    "/applications/{application_id:uuid}/decision",
    acts(
        ApplicationOut,
        "The charity association approves an amount (at most the request) or declines",
    ),
    "decide_charity_application",
    Association,
    service.decide,
    body=DecisionIn,
)


@router.post(
    "/applications/{application_id:uuid}/disbursements",
    **creates(
        DisbursementOut,
        "Record an instalment paid by the association (never past the approved amount; "
        "idempotent on the instalment's id; not by the client that approved)",
        errors=(401, 403, 404, 409, 422),
        replayed=replay_response(STORED.format("instalment"), DisbursementOut),
    ),
)
async def disburse_charity_funds(
    application_id: uuid.UUID,
    body: DisbursementIn,
    session: SessionDep,
    _: Association,
    ctx: RequestCtx,
    four_eyes: FourEyes,
) -> DisbursementOut | JSONResponse:
    return await create_by_client_id(
        session,
        ctx,
        "charity_disbursements",
        body,
        lambda: service.disburse(session, ctx, application_id, body, four_eyes=four_eyes),
        compared={"application_id": str(application_id), **body.model_dump(mode="json")},
    )


call_route(
    router,
    "POST",
    "/applications/{application_id:uuid}/report",
    acts(ApplicationOut, "File the project's final report (after one instalment at least)"),
    "report_charity_project",
    Applicant,
    service.report,
    body=ReportIn,
)


page_route(
    router,
    "/overdue-reports",
    lists(
        Page[ApplicationOut],
        "Approved projects past their period and grace days (CHARITY_REPORT_GRACE_DAYS) "
        "without a final report",
    ),
    "overdue_charity_reports",
    CharityReader,
    PageQuery,
    service.overdue_reports,
)
