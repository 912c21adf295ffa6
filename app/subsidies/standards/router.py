"""HTTP of the subsidy standards: /api/v1/subsidy/standards (every staff account reads them,
district admins append)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.idempotency import REPLAYED, IdempotencyKey, remember_for_key, replay_for_key
from app.kit.pagination import CursorQuery, LimitQuery
from app.subsidies.auth import DistrictAdmin, Staff
from app.subsidies.schemas import StandardCreate, StandardCreated, StandardOut, StandardsPage
from app.subsidies.standards import service

router = APIRouter(prefix="/api/v1/subsidy", tags=["subsidies"])


@router.get(
    "/standards",
    response_model=StandardsPage,
    summary="List the effective-dated subsidy standards (补贴标准), with the two-yearly review "
    "of the living-allowance standard (standard_review)",
    responses=error_responses(401, 403, 422),
)
async def list_subsidy_standards(
    session: SessionDep,
    _: Staff,
    ctx: RequestCtx,
    key: Annotated[str | None, Query(max_length=64)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> StandardsPage:
    return await service.list_standards(session, ctx, key, limit, cursor)


@router.post(
    "/standards",
    response_model=StandardCreated,
    status_code=201,
    summary="Append a standard (a correction is a new value; paid months need retroactive)",
    responses=REPLAYED | error_responses(400, 401, 403, 409, 422),
)
async def create_subsidy_standard(
    body: StandardCreate,
    session: SessionDep,
    actor: DistrictAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> StandardCreated | JSONResponse:
    key = {"owner": str(actor.id), "scope": "subsidy.standards"}
    if replay := await replay_for_key(session, idempotency_key, **key, body=body):
        return replay
    row, adjusted, drafts = await service.create_standard(session, ctx, body)
    out = StandardOut.model_validate(row, from_attributes=True)
    created = StandardCreated(**out.model_dump(), adjusted_months=adjusted, stale_drafts=drafts)
    await remember_for_key(session, idempotency_key, **key, out=created)
    return created
