"""HTTP of education aid with the women's federation: /api/v1/education-aid/... (教育帮扶).

District admins open rounds, enter applications and record disbursements; admins or the leader
review; the district's readers and the women's federation (`programmes:read`) read (see
`auth.py`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.idempotency import IdempotencyKey
from app.kit.pagination import Page
from app.kit.params import Filters
from app.kit.records import keyed_once
from app.kit.routes import READ_ERRORS, acts, call_route, creates, lists, reads
from app.programmes.aid import service
from app.programmes.aid.auth import AidAdmin, AidDecider, AidReader
from app.programmes.aid.schemas import (
    ApplicationCreate,
    ApplicationOut,
    ApplicationQuery,
    Approval,
    Rejection,
    RoundCreate,
    RoundOut,
    RoundQuery,
)

router = APIRouter(prefix="/api/v1/education-aid", tags=["programmes"])
APPLICATION = "/rounds/{round_id}/applications/{application_id}"


@router.post(
    "/rounds",
    **creates(
        RoundOut, "Open a year's education-aid round (教育帮扶批次) with the women's federation"
    ),
)
async def create_aid_round(
    body: RoundCreate,
    session: SessionDep,
    _: AidAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> RoundOut | JSONResponse:
    return await keyed_once(
        session,
        ctx,
        idempotency_key,
        "education_aid.rounds",
        body,
        lambda: service.create_round(session, ctx, body),
    )


@router.get(
    "/rounds",
    **lists(Page[RoundOut], "The education-aid rounds, with their totals"),
)
async def list_aid_rounds(
    session: SessionDep, principal: AidReader, query: Filters[RoundQuery]
) -> Page[RoundOut]:
    return await service.list_rounds(session, principal, **dict(query))


@router.get(
    "/rounds/{round_id}",
    **reads(
        RoundOut, "A round: children and amounts granted and disbursed, by programme and by town"
    ),
)
async def get_aid_round(round_id: uuid.UUID, session: SessionDep, principal: AidReader) -> RoundOut:
    return await service.get_round(session, principal, round_id)


@router.post(
    "/rounds/{round_id}/applications",
    **creates(
        ApplicationOut,
        "Apply for a child (a ledger child, or one the federation names); once per round",
        errors=(400, 401, 403, 404, 409, 422),
    ),
)
async def create_aid_application(
    round_id: uuid.UUID,
    body: ApplicationCreate,
    session: SessionDep,
    _: AidAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationOut | JSONResponse:
    return await keyed_once(
        session,
        ctx,
        idempotency_key,
        f"education_aid.applications.{round_id}",
        body,
        lambda: service.create_application(session, ctx, round_id, body),
    )


@router.get(
    "/rounds/{round_id}/applications",
    **lists(
        Page[ApplicationOut],
        "A round's applications (the federation sees them without ID numbers)",
        errors=READ_ERRORS,
    ),
)
async def list_aid_applications(
    round_id: uuid.UUID,
    session: SessionDep,
    _: AidReader,
    ctx: RequestCtx,
    query: Filters[ApplicationQuery],
) -> Page[ApplicationOut]:
    return await service.list_applications(session, ctx, round_id, **dict(query))


call_route(
    router,
    "GET",
    APPLICATION,
    reads(ApplicationOut, "One application"),
    "get_aid_application",
    AidReader,
    service.read_application,
)


call_route(
    router,
    "POST",
    APPLICATION + "/approve",
    acts(ApplicationOut, "Approve with the amount granted (not by who entered it: four eyes)"),
    "approve_aid_application",
    AidDecider,
    service.approve,
    body=Approval,
    four_eyes=True,
)


call_route(
    router,
    "POST",
    APPLICATION + "/reject",
    acts(ApplicationOut, "Reject, with the reason (not by who entered it: four eyes)"),
    "reject_aid_application",
    AidDecider,
    service.reject,
    body=Rejection,
    four_eyes=True,
)


call_route(
    router,
    "POST",
    APPLICATION + "/disburse",
    acts(
        ApplicationOut,
        "Record the disbursement (not by the approver: four eyes); frozen from then on",
    ),
    "disburse_aid_application",
    AidAdmin,
    service.disburse,
    four_eyes=True,
)
