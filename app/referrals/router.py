"""The partner agencies' API: their referrals, receipt, progress (client-credentials tokens)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.pagination import Page
from app.kit.routes import acts, call_route, lists, page_route, reads
from app.referrals import service
from app.referrals.auth import ReferralReader, ReferralWriter
from app.referrals.schemas import AcknowledgeIn, AgencyReferralOut, ReferralQuery, ReferralUpdateIn

router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"])


page_route(
    router,
    "",
    lists(
        Page[AgencyReferralOut],
        "The referrals addressed to the caller's agency, in the fields of its mandate",
        response_model_exclude_unset=True,
    ),
    "list_referrals",
    ReferralReader,
    ReferralQuery,
    service.list_referrals,
)


call_route(
    router,
    "GET",
    "/{referral_id:uuid}",
    reads(
        AgencyReferralOut, "One referral of the caller's agency", response_model_exclude_unset=True
    ),
    "get_referral",
    ReferralReader,
    service.get_referral,
)


@router.post(
    "/{referral_id:uuid}/acknowledge",
    **reads(
        AgencyReferralOut,
        "Acknowledge receipt 签收 (repeating it changes nothing)",
        response_model_exclude_unset=True,
    ),
)
async def acknowledge_referral(
    referral_id: uuid.UUID,
    session: SessionDep,
    _: ReferralWriter,
    ctx: RequestCtx,
    body: AcknowledgeIn | None = None,
) -> AgencyReferralOut:
    return await service.acknowledge(session, ctx, referral_id, body or AcknowledgeIn())


call_route(
    router,
    "POST",
    "/{referral_id:uuid}/updates",
    acts(
        AgencyReferralOut,
        "Report progress: a note, a status, the agency's own case number",
        response_model_exclude_unset=True,
    ),
    "add_referral_update",
    ReferralWriter,
    service.add_update,
    body=ReferralUpdateIn,
)
