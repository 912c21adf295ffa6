"""The partner agencies' API: their referrals, receipt, progress (client-credentials tokens)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.incidents.situations import Situation
from app.kit.context import RequestCtx
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.routes import acts, lists, reads
from app.kit.types import Timestamp
from app.referrals import service
from app.referrals.auth import ReferralReader, ReferralWriter
from app.referrals.schemas import AcknowledgeIn, AgencyReferralOut, ReferralUpdateIn

router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"])

ReferralStatus = Literal["pending", "acknowledged", "in_progress", "completed", "declined"]


@router.get(
    "",
    **lists(
        Page[AgencyReferralOut],
        "The referrals addressed to the caller's agency, in the fields of its mandate",
        response_model_exclude_unset=True,
    ),
)
async def list_referrals(
    session: SessionDep,
    _: ReferralReader,
    ctx: RequestCtx,
    status: Annotated[ReferralStatus | None, Query()] = None,
    updated_since: Annotated[Timestamp | None, Query()] = None,
    situation: Annotated[
        Situation | None, Query(description="Only referrals of reports naming this situation.")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AgencyReferralOut]:
    return await service.list_referrals(
        session,
        ctx,
        status=status,
        updated_since=updated_since,
        situation=situation,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/{referral_id:uuid}",
    **reads(
        AgencyReferralOut, "One referral of the caller's agency", response_model_exclude_unset=True
    ),
)
async def get_referral(
    referral_id: uuid.UUID, session: SessionDep, _: ReferralReader, ctx: RequestCtx
) -> AgencyReferralOut:
    return await service.get_referral(session, ctx, referral_id)


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


@router.post(
    "/{referral_id:uuid}/updates",
    **acts(
        AgencyReferralOut,
        "Report progress: a note, a status, the agency's own case number",
        response_model_exclude_unset=True,
    ),
)
async def add_referral_update(
    referral_id: uuid.UUID,
    body: ReferralUpdateIn,
    session: SessionDep,
    _: ReferralWriter,
    ctx: RequestCtx,
) -> AgencyReferralOut:
    return await service.add_update(session, ctx, referral_id, body)
