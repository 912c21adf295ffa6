"""HTTP of the quote: /api/v1/subsidy/quote (staff, for the children they can read or by
category)."""

from __future__ import annotations

from fastapi import APIRouter

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.routes import acts
from app.subsidies.auth import Staff
from app.subsidies.quote import service
from app.subsidies.schemas import QuoteOut, QuoteRequest

router = APIRouter(prefix="/api/v1/subsidy", tags=["subsidies"])


@router.post(
    "/quote",
    **acts(
        QuoteOut,
        "What is due for a month, with the trace of every amount (nothing is paid)",
        errors=(400, 401, 403, 404, 422),
    ),
)
async def quote_subsidy(
    body: QuoteRequest, session: SessionDep, _: Staff, ctx: RequestCtx
) -> QuoteOut:
    return await service.quote(session, ctx, body)
