"""HTTP of education aid with the women's federation: /api/v1/education-aid/... (教育帮扶).

District admins open rounds, enter applications and record disbursements; admins or the leader
review; the district's readers and the women's federation (`programmes:read`) read (see
`auth.py`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.four_eyes import FourEyes
from app.kit.idempotency import REPLAYED, IdempotencyKey, create_once
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.programmes.aid import service
from app.programmes.aid.auth import AidAdmin, AidDecider, AidReader
from app.programmes.aid.schemas import (
    AidProgramme,
    AidStatus,
    ApplicationCreate,
    ApplicationOut,
    Approval,
    Rejection,
    RoundCreate,
    RoundOut,
)

router = APIRouter(prefix="/api/v1/education-aid", tags=["programmes"])
APPLICATION = "/rounds/{round_id}/applications/{application_id}"


@router.post(
    "/rounds",
    response_model=RoundOut,
    status_code=201,
    summary="Open a year's education-aid round (教育帮扶批次) with the women's federation",
    responses=REPLAYED | error_responses(400, 401, 403, 409, 422),
)
async def create_aid_round(
    body: RoundCreate,
    session: SessionDep,
    actor: AidAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> RoundOut | JSONResponse:
    return await create_once(
        session,
        idempotency_key,
        owner=str(actor.id),
        scope="education_aid.rounds",
        body=body,
        create=lambda: service.create_round(session, ctx, body),
    )


@router.get(
    "/rounds",
    response_model=Page[RoundOut],
    summary="The education-aid rounds, with their totals",
    responses=error_responses(401, 403, 422),
)
async def list_aid_rounds(
    session: SessionDep,
    _: AidReader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[RoundOut]:
    return await service.list_rounds(session, year, limit, cursor)


@router.get(
    "/rounds/{round_id}",
    response_model=RoundOut,
    summary="A round: children and amounts granted and disbursed, by programme and by town",
    responses=error_responses(401, 403, 404, 422),
)
async def get_aid_round(round_id: uuid.UUID, session: SessionDep, _: AidReader) -> RoundOut:
    return await service.get_round(session, round_id)


@router.post(
    "/rounds/{round_id}/applications",
    response_model=ApplicationOut,
    status_code=201,
    summary="Apply for a child (a ledger child, or one the federation names); once per round",
    responses=REPLAYED | error_responses(400, 401, 403, 404, 409, 422),
)
async def create_aid_application(
    round_id: uuid.UUID,
    body: ApplicationCreate,
    session: SessionDep,
    actor: AidAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationOut | JSONResponse:
    return await create_once(
        session,
        idempotency_key,
        owner=str(actor.id),
        scope=f"education_aid.applications.{round_id}",
        body=body,
        create=lambda: service.create_application(session, ctx, round_id, body),
    )


@router.get(
    "/rounds/{round_id}/applications",
    response_model=Page[ApplicationOut],
    summary="A round's applications (the federation sees them without ID numbers)",
    responses=error_responses(401, 403, 404, 422),
)
async def list_aid_applications(
    round_id: uuid.UUID,
    session: SessionDep,
    _: AidReader,
    ctx: RequestCtx,
    programme: AidProgramme | None = None,
    status: AidStatus | None = None,
    town_code: Annotated[str | None, Query(max_length=12)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ApplicationOut]:
    return await service.list_applications(
        session,
        ctx,
        round_id,
        programme=programme,
        status=status,
        town_code=town_code,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    APPLICATION,
    response_model=ApplicationOut,
    summary="One application",
    responses=error_responses(401, 403, 404, 422),
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
    response_model=ApplicationOut,
    summary="Approve with the amount granted (not by who entered it: four eyes)",
    responses=error_responses(401, 403, 404, 409, 422),
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
    response_model=ApplicationOut,
    summary="Reject, with the reason (not by who entered it: four eyes)",
    responses=error_responses(401, 403, 404, 409, 422),
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
    response_model=ApplicationOut,
    summary="Record the disbursement (not by the approver: four eyes); frozen from then on",
    responses=error_responses(401, 403, 404, 409, 422),
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
