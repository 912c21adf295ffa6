"""HTTP routes of screening referrals 监测摸排转介: the district refers, the agency answers."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.crud import create_keyed
from app.kit.idempotency import IdempotencyKey
from app.kit.pagination import Page
from app.kit.records import replay_response
from app.kit.routes import acts, call_route, creates, lists, page_route, reads
from app.referrals.schemas import AcknowledgeIn
from app.screening.referrals import service
from app.screening.referrals.auth import AgencyWriter, Reader, Referrer, StatsReader
from app.screening.referrals.schemas import (
    OutcomeIn,
    ScreeningReferralBatch,
    ScreeningReferralCreate,
    ScreeningReferralOut,
    ScreeningReferralQuery,
    ScreeningReferralStats,
)

router = APIRouter(prefix="/api/v1/screening/referrals", tags=["screening"])
REPLAY = replay_response("A replay of the same Idempotency-Key and body")


@router.post(
    "",
    **creates(
        ScreeningReferralBatch,
        "Refer screened children's finding (by record_ids or a filter) to an agency",
        errors=(401, 403, 409, 422),
        replayed=REPLAY,
    ),
)
async def create_screening_referrals(
    body: ScreeningReferralCreate,
    session: SessionDep,
    _: Referrer,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> ScreeningReferralBatch | JSONResponse:
    key = idempotency_key
    return await create_keyed(session, ctx, key, "screening_referrals", body, service.refer)


page_route(
    router,
    "",
    lists(
        Page[ScreeningReferralOut],
        "Screening referrals (an agency: those addressed to it, in its mandate's fields)",
    ),
    "list_screening_referrals",
    Reader,
    ScreeningReferralQuery,
    service.list_referrals,
    whole=True,
)


call_route(
    router,
    "GET",
    "/stats",
    reads(
        ScreeningReferralStats,
        "Counts by finding (resolved), outcome, agency and town",
        errors=(401, 403),
    ),
    "screening_referral_stats",
    StatsReader,
    service.stats,
    replica=True,
)


call_route(
    router,
    "GET",
    "/{referral_id:uuid}",
    reads(ScreeningReferralOut, "One screening referral"),
    "get_screening_referral",
    Reader,
    service.get_referral,
)


@router.post(
    "/{referral_id:uuid}/acknowledge",
    **reads(ScreeningReferralOut, "Acknowledge receipt 签收 (repeating it changes nothing)"),
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


call_route(
    router,
    "POST",
    "/{referral_id:uuid}/outcome",
    acts(
        ScreeningReferralOut,
        "Report the outcome 办结: enrolled, insured, assessed, not_found, moved_away, other",
    ),
    "report_screening_referral_outcome",
    AgencyWriter,
    service.report_outcome,
    body=OutcomeIn,
)
