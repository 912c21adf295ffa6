"""HTTP for the monthly ledger 工作台账 and the quarterly review."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.auth.principal import DistrictAdmin
from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.crud import exports, xlsx_file
from app.kit.pagination import Page
from app.kit.params import PageQuery
from app.kit.routes import LIST_ERRORS, creates, lists, page_route
from app.kit.vocab import LEDGER_FIRST_YEAR, parse_month
from app.ledger import service
from app.ledger.auth import Leader, LedgerReader
from app.ledger.schemas import LedgerOut, ReviewCreate, ReviewOut
from app.replica import LagTolerantSessionDep

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])


page_route(
    router,
    "/reviews",
    lists(Page[ReviewOut], "The quarterly reviews 季度审核, latest first"),
    "list_ledger_reviews",
    LedgerReader,
    PageQuery,
    service.list_reviews,
)


@router.post(
    "/reviews",
    **creates(
        ReviewOut,
        "Sign the quarter's review (district leader); never twice for a quarter",
        replayed={},
    ),
)
async def sign_ledger_review(
    body: ReviewCreate, session: SessionDep, _: Leader, ctx: RequestCtx
) -> ReviewOut:
    review = await service.sign_review(session, ctx, body.quarter, body.comment)
    return ReviewOut.model_validate(review)


async def _first_day(month: str) -> date:
    return parse_month(month, first_year=LEDGER_FIRST_YEAR)


Month = Annotated[date, Depends(_first_day)]
"""The `{month}` of the path (YYYY-MM, from the ledger's first year), as its first day."""


@router.get(
    "/{month}",
    **lists(
        LedgerOut,
        "The month's ledger: totals as of its end and its additions, changes, revocations",
    ),
)
async def get_ledger_month(
    session: LagTolerantSessionDep, _: LedgerReader, ctx: RequestCtx, first: Month
) -> LedgerOut:
    return LedgerOut.model_validate(await service.ledger_for(session, ctx, first))


@router.post(
    "/{month}/close",
    **lists(
        LedgerOut,
        "Close the month 月结 (district admin): its ledger is frozen",
        errors=(401, 403, 409, 422),
    ),
)
async def close_ledger_month(
    session: SessionDep, _: DistrictAdmin, ctx: RequestCtx, first: Month
) -> LedgerOut:
    return LedgerOut.model_validate(await service.close_month(session, ctx, first))


@router.get(
    "/{month}/export",
    **exports(
        "The month's ledger as .xlsx: 汇总, 花名册, 变动 sheets", "The workbook", errors=LIST_ERRORS
    ),
)
async def export_ledger_month(
    session: LagTolerantSessionDep, _: LedgerReader, ctx: RequestCtx, first: Month
) -> Response:
    content = await service.export_month(session, ctx, first)
    return xlsx_file(content, f"ledger-{first:%Y-%m}.xlsx")
