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
from app.kit.four_eyes import FourEyes
from app.kit.idempotency import IdempotencyKey
from app.kit.pagination import Page
from app.kit.params import Filters
from app.kit.records import keyed_once
from app.kit.routes import READ_ERRORS, acts, creates, lists, reads
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
    session: SessionDep, _: AidReader, query: Filters[RoundQuery]
) -> Page[RoundOut]:
    return await service.list_rounds(session, **dict(query))


@router.get(
    "/rounds/{round_id}",
    **reads(
        RoundOut, "A round: children and amounts granted and disbursed, by programme and by town"
    ),
)
async def get_aid_round(round_id: uuid.UUID, session: SessionDep, _: AidReader) -> RoundOut:
    return await service.get_round(session, round_id)


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


@router.get(
    APPLICATION,
    **reads(ApplicationOut, "One application"),
)
async def get_aid_application(
    round_id: uuid.UUID,
    application_id: uuid.UUID,
    session: SessionDep,
    _: AidReader,
    ctx: RequestCtx,
) -> ApplicationOut:
    return await service.read_application(session, ctx, round_id, application_id)


@router.post(
    APPLICATION + "/approve",
    **acts(ApplicationOut, "Approve with the amount granted (not by who entered it: four eyes)"),
)
async def approve_aid_application(
    round_id: uuid.UUID,
    application_id: uuid.UUID,
    body: Approval,
    session: SessionDep,
    _: AidDecider,
    ctx: RequestCtx,
    four_eyes: FourEyes,
) -> ApplicationOut:
    return await service.approve(session, ctx, round_id, application_id, body, four_eyes=four_eyes)


@router.post(
    APPLICATION + "/reject",
    **acts(ApplicationOut, "Reject, with the reason (not by who entered it: four eyes)"),
)
async def reject_aid_application(
    round_id: uuid.UUID,
    application_id: uuid.UUID,
    body: Rejection,
    session: SessionDep,
    _: AidDecider,
    ctx: RequestCtx,
    four_eyes: FourEyes,
) -> ApplicationOut:
    return await service.reject(session, ctx, round_id, application_id, body, four_eyes=four_eyes)


@router.post(
    APPLICATION + "/disburse",
    **acts(
        ApplicationOut,
        "Record the disbursement (not by the approver: four eyes); frozen from then on",
    ),
)
async def disburse_aid_application(
    round_id: uuid.UUID,
    application_id: uuid.UUID,
    session: SessionDep,
    _: AidAdmin,
    ctx: RequestCtx,
    four_eyes: FourEyes,
) -> ApplicationOut:
    return await service.disburse(session, ctx, round_id, application_id, four_eyes=four_eyes)
