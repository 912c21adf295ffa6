"""HTTP routes of screening referrals 监测摸排转介: the district refers, the agency answers."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.idempotency import IdempotencyKey, create_once
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.types import Timestamp
from app.referrals.schemas import AcknowledgeIn
from app.screening.referrals import service
from app.screening.referrals.auth import AgencyWriter, Reader, Referrer, StatsReader
from app.screening.referrals.findings import Finding, Outcome, ScreeningAgency
from app.screening.referrals.schemas import (
    OutcomeIn,
    ScreeningReferralBatch,
    ScreeningReferralCreate,
    ScreeningReferralOut,
    ScreeningReferralStats,
)

router = APIRouter(prefix="/api/v1/screening/referrals", tags=["screening"])
Status = Annotated[str | None, Query(pattern="^(pending|acknowledged|completed)$")]
REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "A replay of the same Idempotency-Key and body"}
}


@router.post(
    "",
    response_model=ScreeningReferralBatch,
    status_code=201,
    summary="Refer screened children's finding (by record_ids or a filter) to an agency",
    responses=REPLAY | error_responses(401, 403, 409, 422),
)
async def create_screening_referrals(
    body: ScreeningReferralCreate,
    session: SessionDep,
    _: Referrer,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> ScreeningReferralBatch | JSONResponse:
    async def create() -> tuple[ScreeningReferralBatch, object]:
        return await service.refer(session, ctx, body), None

    return await create_once(
        session,
        idempotency_key,
        owner=str(ctx.actor.id),
        scope="screening_referrals",
        body=body,
        create=create,
    )


@router.get(
    "",
    response_model=Page[ScreeningReferralOut],
    summary="Screening referrals (an agency: those addressed to it, in its mandate's fields)",
    responses=error_responses(401, 403, 422),
)
async def list_screening_referrals(
    session: SessionDep,
    _: Reader,
    ctx: RequestCtx,
    status: Status = None,
    finding: Annotated[Finding | None, Query()] = None,
    agency: Annotated[ScreeningAgency | None, Query()] = None,
    outcome: Annotated[Outcome | None, Query()] = None,
    town_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    escalated: Annotated[bool | None, Query()] = None,
    updated_since: Annotated[Timestamp | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ScreeningReferralOut]:
    return await service.list_referrals(
        session,
        ctx,
        limit=limit,
        cursor=cursor,
        status=status,
        finding=finding,
        agency=agency,
        outcome=outcome,
        town_code=town_code,
        escalated=escalated,
        updated_since=updated_since,
    )


@router.get(
    "/stats",
    response_model=ScreeningReferralStats,
    summary="Counts by finding (resolved), outcome, agency and town",
    responses=error_responses(401, 403),
)
async def screening_referral_stats(
    session: SessionDep, _: StatsReader, ctx: RequestCtx
) -> ScreeningReferralStats:
    return await service.stats(session, ctx)


@router.get(
    "/{referral_id:uuid}",
    response_model=ScreeningReferralOut,
    summary="One screening referral",
    responses=error_responses(401, 403, 404, 422),
)
async def get_screening_referral(
    referral_id: uuid.UUID, session: SessionDep, _: Reader, ctx: RequestCtx
) -> ScreeningReferralOut:
    return await service.get_referral(session, ctx, referral_id)


@router.post(
    "/{referral_id:uuid}/acknowledge",
    response_model=ScreeningReferralOut,
    summary="Acknowledge receipt 签收 (repeating it changes nothing)",
    responses=error_responses(401, 403, 404, 422),
)
async def acknowledge_screening_referral(
    referral_id: uuid.UUID,
    session: SessionDep,
    _: AgencyWriter,
    ctx: RequestCtx,
    body: AcknowledgeIn | None = None,
) -> ScreeningReferralOut:
    b = body or AcknowledgeIn()
    return await service.acknowledge(
        session, ctx, referral_id, case_number=b.case_number, note=b.note
    )


@router.post(
    "/{referral_id:uuid}/outcome",
    response_model=ScreeningReferralOut,
    summary="Report the outcome 办结: enrolled, insured, assessed, not_found, moved_away, other",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def report_screening_referral_outcome(
    referral_id: uuid.UUID, body: OutcomeIn, session: SessionDep, _: AgencyWriter, ctx: RequestCtx
) -> ScreeningReferralOut:
    return await service.report_outcome(session, ctx, referral_id, body)
