"""HTTP for the monthly ledger 工作台账 and the quarterly review."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from app.auth.principal import DistrictAdmin, Principal, require_roles
from app.db import SessionDep
from app.errors import error_responses
from app.kit import audit
from app.kit.clock import ClockDep
from app.kit.pagination import CursorQuery, LimitQuery, Page, paginate
from app.ledger import repository as repo
from app.ledger import service
from app.ledger.export import workbook
from app.ledger.months import parse_month, parse_quarter
from app.ledger.schemas import LedgerOut, ReviewCreate, ReviewOut
from app.models import LedgerReview

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])

LedgerReaders = Annotated[
    Principal, Depends(require_roles("district_admin", "district_leader", "auditor"))
]
Leader = Annotated[Principal, Depends(require_roles("district_leader"))]
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
    session: SessionDep, _: LedgerReaders, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[ReviewOut]:
    rows, nxt = await paginate(
        session, repo.reviews_stmt(), [LedgerReview.quarter], limit=limit, cursor=cursor
    )
    return Page(items=[ReviewOut.model_validate(r) for r in rows], next_cursor=nxt)


@router.post(
    "/reviews",
    response_model=ReviewOut,
    status_code=201,
    summary="Sign the quarter's review (district leader); never twice for a quarter",
    responses=error_responses(400, 401, 403, 409, 422),
)
async def sign_ledger_review(
    body: ReviewCreate, session: SessionDep, actor: Leader, clock: ClockDep
) -> ReviewOut:
    parse_quarter(body.quarter)
    review = await service.sign_review(session, actor, body.quarter, body.comment, clock.now())
    return ReviewOut.model_validate(review)


@router.get(
    "/{month}",
    response_model=LedgerOut,
    summary="The month's ledger: totals as of its end and its additions, changes, revocations",
    responses=error_responses(401, 403, 422),
)
async def get_ledger_month(
    month: str, session: SessionDep, principal: LedgerReaders, clock: ClockDep
) -> LedgerOut:
    report = await service.ledger_for(session, parse_month(month), clock.now())
    return LedgerOut.model_validate(report)


@router.post(
    "/{month}/close",
    response_model=LedgerOut,
    summary="Close the month 月结 (district admin): its ledger is frozen",
    responses=error_responses(401, 403, 409, 422),
)
async def close_ledger_month(
    month: str, session: SessionDep, actor: DistrictAdmin, clock: ClockDep
) -> LedgerOut:
    report = await service.close_month(session, actor, parse_month(month), clock.now())
    return LedgerOut.model_validate(report)


@router.get(
    "/{month}/export",
    summary="The month's ledger as .xlsx: 汇总, 花名册, 变动 sheets",
    response_class=Response,
    responses=_XLSX_RESPONSE | error_responses(401, 403, 422),
)
async def export_ledger_month(
    month: str, session: SessionDep, principal: LedgerReaders, clock: ClockDep
) -> Response:
    first = parse_month(month)
    report = await service.ledger_for(session, first, clock.now(), with_register=True)
    audit.record(session, principal, "ledger.export", "ledger_month", f"{first:%Y-%m}")
    return Response(
        workbook(report),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="ledger-{first:%Y-%m}.xlsx"'},
    )
