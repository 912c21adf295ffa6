"""HTTP for the monthly ledger 工作台账 and the quarterly review."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from app.auth.principal import DistrictAdmin
from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.vocab import LEDGER_FIRST_YEAR, parse_month
from app.ledger import service
from app.ledger.auth import Leader, LedgerReader
from app.ledger.schemas import LedgerOut, ReviewCreate, ReviewOut
from app.replica import LagTolerantSessionDep

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {}}, "description": "The workbook"}
}


@router.get(
    "/reviews",
    response_model=Page[ReviewOut],
    summary="The quarterly reviews 季度审核, latest first",
    responses=error_responses(401, 403, 422),
)
async def list_ledger_reviews(
    session: SessionDep, _: LedgerReader, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[ReviewOut]:
    return await service.list_reviews(session, limit, cursor)


@router.post(
    "/reviews",
    response_model=ReviewOut,
    status_code=201,
    summary="Sign the quarter's review (district leader); never twice for a quarter",
    responses=error_responses(400, 401, 403, 409, 422),
)
async def sign_ledger_review(
    body: ReviewCreate, session: SessionDep, _: Leader, ctx: RequestCtx
) -> ReviewOut:
    review = await service.sign_review(session, ctx, body.quarter, body.comment)
    return ReviewOut.model_validate(review)


@router.get(
    "/{month}",
    response_model=LedgerOut,
    summary="The month's ledger: totals as of its end and its additions, changes, revocations",
    responses=error_responses(401, 403, 422),
)
async def get_ledger_month(
    month: str, session: LagTolerantSessionDep, _: LedgerReader, ctx: RequestCtx
) -> LedgerOut:
    first = parse_month(month, first_year=LEDGER_FIRST_YEAR)
    report = await service.ledger_for(session, ctx, first)
    return LedgerOut.model_validate(report)


@router.post(
    "/{month}/close",
    response_model=LedgerOut,
    summary="Close the month 月结 (district admin): its ledger is frozen",
    responses=error_responses(401, 403, 409, 422),
)
async def close_ledger_month(
    month: str, session: SessionDep, _: DistrictAdmin, ctx: RequestCtx
) -> LedgerOut:
    first = parse_month(month, first_year=LEDGER_FIRST_YEAR)
    report = await service.close_month(session, ctx, first)
    return LedgerOut.model_validate(report)


@router.get(
    "/{month}/export",
    summary="The month's ledger as .xlsx: 汇总, 花名册, 变动 sheets",
    response_class=Response,
    responses=_XLSX_RESPONSE | error_responses(401, 403, 422),
)
async def export_ledger_month(
    month: str, session: LagTolerantSessionDep, _: LedgerReader, ctx: RequestCtx
) -> Response:
    first = parse_month(month, first_year=LEDGER_FIRST_YEAR)
    return Response(
        await service.export_month(session, ctx, first),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="ledger-{first:%Y-%m}.xlsx"'},
    )
