"""HTTP of the quote: /api/v1/subsidy/quote (staff, for the children they can read or by
category)."""

from __future__ import annotations

from fastapi import APIRouter

from app.kit.routes import acts, call_route
from app.subsidies.auth import Staff
from app.subsidies.quote import service
from app.subsidies.schemas import QuoteOut, QuoteRequest

router = APIRouter(prefix="/api/v1/subsidy", tags=["subsidies"])


call_route(
    router,
    "POST",
    "/quote",
    acts(
        QuoteOut,
        "What is due for a month, with the trace of every amount (nothing is paid)",
        errors=(400, 401, 403, 404, 422),
    ),
    "quote_subsidy",
    Staff,
    service.quote,
    body=QuoteRequest,
)
