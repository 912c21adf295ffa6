"""HTTP of the budget and spending: /api/v1/subsidy/budgets, /spending (district admins set the
budget; admins, the leader and auditors read the spending)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.idempotency import IdempotencyKey, create_once
from app.kit.routes import creates, lists
from app.replica import LagTolerantSessionDep
from app.subsidies.auth import DistrictAdmin, DistrictReader
from app.subsidies.budget import service
from app.subsidies.schemas import BudgetCreate, BudgetOut, SpendingOut

router = APIRouter(prefix="/api/v1/subsidy", tags=["subsidies"])


@router.post(
    "/budgets", **creates(BudgetOut, "Set the year's budget for classified support (once per year)")
)
async def create_subsidy_budget(
    body: BudgetCreate,
    session: SessionDep,
    actor: DistrictAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> BudgetOut | JSONResponse:
    async def create() -> tuple[BudgetOut, None]:
        return await service.create_budget(
            session, ctx, body.year, body.amount, body.reference
        ), None

    owner, scope = str(actor.id), "subsidy.budgets"
    return await create_once(
        session, idempotency_key, owner=owner, scope=scope, body=body, create=create
    )


@router.get(
    "/spending", **lists(SpendingOut, "Spending by benefit and month against the year's budget")
)
async def get_subsidy_spending(
    session: LagTolerantSessionDep,
    principal: DistrictReader,
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> SpendingOut:
    # the caller's own district's spending
    return await service.spending(session, year, principal.district_code or "")
