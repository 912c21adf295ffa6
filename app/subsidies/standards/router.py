"""HTTP of the subsidy standards: /api/v1/subsidy/standards (every staff account reads the
ones that apply to it; the city admin appends city-wide values, a district admin its district's
dated overrides)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.idempotency import IdempotencyKey, create_once
from app.kit.pagination import CursorQuery, LimitQuery
from app.kit.routes import creates, lists
from app.subsidies.auth import Staff, StandardSetter
from app.subsidies.schemas import StandardCreate, StandardCreated, StandardOut, StandardsPage
from app.subsidies.standards import service

router = APIRouter(prefix="/api/v1/subsidy", tags=["subsidies"])


@router.get(
    "/standards",
    **lists(
        StandardsPage,
        (
            "List the effective-dated subsidy standards (补贴标准), with the two-yearly review "
            "of the living-allowance standard (standard_review)"
        ),
    ),
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
    **creates(
        StandardCreated,
        "Append a standard (a correction is a new value; paid months need retroactive)",
    ),
)
async def create_subsidy_standard(
    body: StandardCreate,
    session: SessionDep,
    actor: StandardSetter,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> StandardCreated | JSONResponse:

    async def create() -> tuple[StandardCreated, None]:
        row, adjusted, drafts = await service.create_standard(session, ctx, body)
        out = StandardOut.model_validate(row, from_attributes=True)
        return StandardCreated(
            **out.model_dump(), adjusted_months=adjusted, stale_drafts=drafts
        ), None

    owner, scope = str(actor.id), "subsidy.standards"
    return await create_once(
        session, idempotency_key, owner=owner, scope=scope, body=body, create=create
    )
