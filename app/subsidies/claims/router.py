"""HTTP of the medical claims: /api/v1/subsidy/medical-claims.

District admins and the institute's staff file claims for children they can read; district
admins and the leader approve or reject; district admins record the payment. Four eyes
(app/kit/four_eyes.py): whoever files a claim does not approve it, its approver does not pay it.
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.etag import set_etag
from app.kit.four_eyes import FourEyes
from app.kit.idempotency import REPLAYED, IdempotencyKey, remember_for_key, replay_for_key
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.subsidies.auth import ClaimFiler, ClaimReader, Decider, DistrictAdmin
from app.subsidies.claims import service
from app.subsidies.schemas import ClaimCreate, ClaimOut, ClaimReject

router = APIRouter(prefix="/api/v1/subsidy", tags=["subsidies"])


@router.post(
    "/medical-claims",
    response_model=ClaimOut,
    status_code=201,
    summary="File a medical reimbursement claim (医疗报销)",
    responses=REPLAYED | error_responses(400, 401, 403, 404, 409, 422),
)
async def create_medical_claim(
    body: ClaimCreate,
    response: Response,
    session: SessionDep,
    actor: ClaimFiler,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> ClaimOut | JSONResponse:
    key = {"owner": str(actor.id), "scope": "subsidy.medical_claims"}
    if replay := await replay_for_key(session, idempotency_key, **key, body=body):
        return replay
    claim = await service.create_claim(session, ctx, body)
    set_etag(response, claim.version)
    out = service.claim_out(claim)
    await remember_for_key(session, idempotency_key, **key, out=out, resource_id=str(claim.id))
    return out


@router.get(
    "/medical-claims",
    response_model=Page[ClaimOut],
    summary="List medical claims",
    responses=error_responses(401, 403, 422),
)
async def list_medical_claims(
    session: SessionDep,
    _: ClaimReader,
    ctx: RequestCtx,
    child_id: uuid.UUID | None = None,
    status: Literal["submitted", "approved", "paid", "rejected"] | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ClaimOut]:
    return await service.list_claims(session, ctx, child_id, status, limit, cursor)


@router.get(
    "/medical-claims/{claim_id:uuid}",
    response_model=ClaimOut,
    summary="Get a medical claim",
    responses=error_responses(401, 403, 404, 422),
)
async def get_medical_claim(
    claim_id: uuid.UUID, response: Response, session: SessionDep, _: ClaimReader, ctx: RequestCtx
) -> ClaimOut:
    claim = await service.get_claim(session, ctx, claim_id)
    set_etag(response, claim.version)
    return service.claim_out(claim)


@router.post(
    "/medical-claims/{claim_id:uuid}/approve",
    response_model=ClaimOut,
    summary="Approve a submitted claim (not by whoever filed it: four eyes)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def approve_medical_claim(
    claim_id: uuid.UUID,
    session: SessionDep,
    _: Decider,
    ctx: RequestCtx,
    four_eyes: FourEyes,
) -> ClaimOut:
    claim = await service.decide_claim(session, ctx, claim_id, "approved", four_eyes=four_eyes)
    return service.claim_out(claim)


@router.post(
    "/medical-claims/{claim_id:uuid}/reject",
    response_model=ClaimOut,
    summary="Reject a submitted claim, with the reason",
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def reject_medical_claim(
    claim_id: uuid.UUID,
    body: ClaimReject,
    session: SessionDep,
    _: Decider,
    ctx: RequestCtx,
) -> ClaimOut:
    claim = await service.decide_claim(session, ctx, claim_id, "rejected", reason=body.reason)
    return service.claim_out(claim)


@router.post(
    "/medical-claims/{claim_id:uuid}/pay",
    response_model=ClaimOut,
    summary="Record the payment of an approved claim (once; not by its approver: four eyes)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def pay_medical_claim(
    claim_id: uuid.UUID,
    session: SessionDep,
    _: DistrictAdmin,
    ctx: RequestCtx,
    four_eyes: FourEyes,
) -> ClaimOut:
    claim = await service.decide_claim(session, ctx, claim_id, "paid", four_eyes=four_eyes)
    return service.claim_out(claim)
