"""HTTP of the medical claims: /api/v1/subsidy/medical-claims.

District admins and the institute's staff file claims for children they can read; district
admins and the leader approve or reject; district admins record the payment. Four eyes
(app/kit/four_eyes.py): whoever files a claim does not approve it, its approver does not pay it.
"""

from __future__ import annotations

import uuid
from functools import partial

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.etag import set_etag
from app.kit.idempotency import IdempotencyKey, create_once
from app.kit.pagination import Page
from app.kit.routes import acts, call_route, creates, lists, page_route, reads
from app.subsidies.auth import ClaimFiler, ClaimReader, Decider, DistrictAdmin
from app.subsidies.claims import service
from app.subsidies.schemas import ClaimCreate, ClaimOut, ClaimQuery, ClaimReject

router = APIRouter(prefix="/api/v1/subsidy", tags=["subsidies"])


@router.post(
    "/medical-claims",
    **creates(
        ClaimOut,
        "File a medical reimbursement claim (医疗报销)",
        errors=(400, 401, 403, 404, 409, 422),
    ),
)
async def create_medical_claim(
    body: ClaimCreate,
    response: Response,
    session: SessionDep,
    actor: ClaimFiler,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> ClaimOut | JSONResponse:

    async def create() -> tuple[ClaimOut, uuid.UUID]:
        claim = await service.create_claim(session, ctx, body)
        set_etag(response, claim.version)
        return await service.flagged_out(session, claim), claim.id

    owner, scope = str(actor.id), "subsidy.medical_claims"
    return await create_once(
        session, idempotency_key, owner=owner, scope=scope, body=body, create=create
    )


page_route(
    router,
    "/medical-claims",
    lists(Page[ClaimOut], "List medical claims"),
    "list_medical_claims",
    ClaimReader,
    ClaimQuery,
    service.list_claims,
)


@router.get("/medical-claims/{claim_id:uuid}", **reads(ClaimOut, "Get a medical claim"))
async def get_medical_claim(
    claim_id: uuid.UUID, response: Response, session: SessionDep, _: ClaimReader, ctx: RequestCtx
) -> ClaimOut:
    claim = await service.get_claim(session, ctx, claim_id)
    set_etag(response, claim.version)
    return await service.flagged_out(session, claim)


call_route(
    router,
    "POST",
    "/medical-claims/{claim_id:uuid}/approve",
    acts(ClaimOut, "Approve a submitted claim (not by whoever filed it: four eyes)"),
    "approve_medical_claim",
    Decider,
    partial(service.decide_claim, to="approved"),
    four_eyes=True,
    reply=service.flagged_reply,
)
call_route(
    router,
    "POST",
    "/medical-claims/{claim_id:uuid}/reject",
    acts(
        ClaimOut, "Reject a submitted claim, with the reason", errors=(400, 401, 403, 404, 409, 422)
    ),
    "reject_medical_claim",
    Decider,
    service.reject_claim,
    body=ClaimReject,
    reply=service.flagged_reply,
)
call_route(
    router,
    "POST",
    "/medical-claims/{claim_id:uuid}/pay",
    acts(
        ClaimOut, "Record the payment of an approved claim (once; not by its approver: four eyes)"
    ),
    "pay_medical_claim",
    DistrictAdmin,
    partial(service.decide_claim, to="paid"),
    four_eyes=True,
    reply=service.flagged_reply,
)
