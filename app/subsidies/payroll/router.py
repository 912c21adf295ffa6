"""HTTP of the living-allowance payroll: /api/v1/subsidy/payrolls.

District admins run and recompute a month's payroll, the district leader approves it (not its
creator: four eyes); admins, the leader and auditors read it. Town, village and institute staff
read nothing of it (403): the bank sheet lists the whole district.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.crud import exports, xlsx_file
from app.kit.etag import set_etag
from app.kit.four_eyes import FourEyes
from app.kit.idempotency import IdempotencyKey, create_once
from app.kit.pagination import Page
from app.kit.params import Filters
from app.kit.routes import acts, call_route, creates, reads
from app.replica import LagTolerantSessionDep
from app.subsidies.auth import DistrictAdmin, DistrictReader, Leader
from app.subsidies.payroll import service
from app.subsidies.schemas import (
    PayrollApprove,
    PayrollCreate,
    PayrollLineOut,
    PayrollLineQuery,
    PayrollOut,
)

router = APIRouter(prefix="/api/v1/subsidy", tags=["subsidies"])

MonthPath = Annotated[str, "YYYY-MM"]


@router.post(
    "/payrolls",
    **creates(
        PayrollOut,
        "Run the month's living-allowance payroll (one per month; 409 names the existing)",
    ),
)
async def create_payroll(
    body: PayrollCreate,
    response: Response,
    session: SessionDep,
    actor: DistrictAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> PayrollOut | JSONResponse:

    async def create() -> tuple[PayrollOut, uuid.UUID]:
        run = await service.create_payroll(session, ctx, body.month)
        set_etag(response, run.version)
        return await service.answer(session, run), run.id

    owner, scope = str(actor.id), "subsidy.payrolls"
    return await create_once(
        session, idempotency_key, owner=owner, scope=scope, body=body, create=create
    )


@router.get("/payrolls/{month}", **reads(PayrollOut, "Get the month's payroll run with its totals"))
async def get_payroll(
    month: MonthPath, response: Response, session: SessionDep, principal: DistrictReader
) -> PayrollOut:
    run = await service.get_payroll(session, principal, month)
    set_etag(response, run.version)
    return await service.answer(session, run)


@router.get(
    "/payrolls/{month}/lines",
    **reads(
        Page[PayrollLineOut], "The run's lines (keyset pages), with the frozen facts and parameters"
    ),
)
async def list_payroll_lines(
    month: MonthPath,
    session: SessionDep,
    _: DistrictReader,
    ctx: RequestCtx,
    query: Filters[PayrollLineQuery],
) -> Page[PayrollLineOut]:
    return await service.payroll_lines(session, ctx, month, **dict(query))


call_route(
    router,
    "POST",
    "/payrolls/{month}/recompute",
    acts(PayrollOut, "Recompute a draft run with today's ledger and standards (approved: 409)"),
    "recompute_payroll",
    DistrictAdmin,
    service.recompute_payroll,
    etag=True,
    reply=service.reply,
)


@router.post(
    "/payrolls/{month}/approve",
    **acts(
        PayrollOut,
        "Approve the run (district leader, not its creator); its lines are frozen from then on",
        errors=(400, 401, 403, 404, 409, 422),
    ),
)
async def approve_payroll(
    month: MonthPath,
    response: Response,
    session: SessionDep,
    _: Leader,
    ctx: RequestCtx,
    four_eyes: FourEyes,
    body: PayrollApprove | None = None,
) -> PayrollOut:
    note = body.note if body else None
    run = await service.approve_payroll(session, ctx, month, note, four_eyes=four_eyes)
    set_etag(response, run.version)
    return await service.answer(session, run)


@router.get(
    "/payrolls/{month}/export",
    **exports("The bank-transfer sheet (.xlsx, Chinese headers)", "The payroll as .xlsx"),
)
async def export_payroll(
    month: MonthPath, session: LagTolerantSessionDep, _: DistrictReader, ctx: RequestCtx
) -> Response:
    content = await service.export(session, ctx, month)
    return xlsx_file(content, f"payroll-{month}.xlsx")
