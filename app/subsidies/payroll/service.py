"""生活补贴发放: the monthly payroll run — compute in bulk, freeze, adjust, approve, export.

A run is created once per month (the unique month decides, whatever the concurrency). Its
lines are computed in Python from the streamed ledger rows and loaded with COPY. Each line
freezes the child's facts, the payee and the parameters used, so an approved month never
changes: a later change (a revocation dated back, a corrected birth date, a retroactive
standard) yields adjustment lines — positive or negative, with the reason and the original
line — in the next draft.

(rule we set) A month is computed with the child's category on its last day, read from the
history (a category change counts from the month it is made, not retroactively; a later change
does not reach back into a past month's run). An adjustment recomputes a paid month with the
child's current dates and the parameters now in force, under the category the month was paid
with (or, if it was not paid, the category of its last day).
Payrolls are approved in month order, so a month's adjustments are never paid twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.repository import district_name
from app.auth.principal import Principal
from app.errors import Forbidden, ValidationFailed, found
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.four_eyes import require_another
from app.kit.money import from_fen
from app.kit.pagination import Page, paginate
from app.kit.vocab import format_month, parse_month
from app.models import PayrollLine, PayrollRun
from app.subsidies import repository as repo
from app.subsidies.errors import EarlierDraftPending, PayrollExists, PayrollNotDraft
from app.subsidies.facts import Totals, totals_out
from app.subsidies.payroll import repository as prepo
from app.subsidies.payroll.compute import compute_lines
from app.subsidies.payroll.export import export_payroll
from app.subsidies.schemas import PayrollLineOut, PayrollOut
from app.subsidies.standards.service import in_force, load_parameters


async def _finish(session: AsyncSession, run_id: uuid.UUID, totals: Totals, now: datetime) -> None:
    await prepo.update_run(
        session,
        run_id,
        {
            "line_count": totals.count,
            "total_fen": totals.fen,
            "adjustment_count": totals.adjustment_count,
            "adjustment_fen": totals.adjustment_fen,
            "totals": totals.to_json(),
            "computed_at": now,
        },
    )


async def create_payroll(session: AsyncSession, ctx: RequestContext, month_str: str) -> PayrollRun:
    """Create the month's draft run with its lines; 409 naming the run if the month has one."""
    month = parse_month(month_str)
    if month > ctx.today.replace(day=1):
        raise ValidationFailed(
            errors=[
                (
                    "month",
                    "不能为未来月份生成发放批次",
                    "A payroll cannot be run for a future month",
                )
            ]
        )
    params = await load_parameters(session, ctx.actor.district_code)
    with in_force("month"):
        params.at("living_allowance.standard", month)
    district = _district(ctx.actor)
    run_id = await prepo.insert_run(
        session,
        {
            "district_code": district,
            "month": month,
            "status": "draft",
            "created_by": ctx.actor.name,
            "computed_at": ctx.now,
            "totals": {},
            "line_count": 0,
            "total_fen": 0,
            "adjustment_count": 0,
            "adjustment_fen": 0,
        },
    )
    if run_id is None:
        existing = await prepo.run_by_month(session, district, month)
        assert existing is not None
        raise PayrollExists(
            f"{month_str} 的发放批次已存在（{existing.id}，状态 {existing.status}）",
            f"The payroll for {month_str} already exists ({existing.id}, {existing.status})",
            extra={
                "existing": {"id": str(existing.id), "month": month_str, "status": existing.status}
            },
        )
    with in_force("month"):
        totals = await compute_lines(session, run_id, district, month, params)
    await _finish(session, run_id, totals, ctx.now)
    audit.record(
        session,
        ctx,
        "payroll.create",
        "payroll",
        run_id,
        {"month": month_str, "line_count": totals.count, "total_fen": totals.fen},
    )
    run = await prepo.run_by_month(session, district, month)
    assert run is not None
    return run


def _district(principal: Principal) -> str:
    """The district whose payroll the caller runs (district roles only reach here)."""
    if principal.district_code is None:
        raise Forbidden("发放批次由区级办理", "Payrolls are run by a district")
    return principal.district_code


async def get_payroll(
    session: AsyncSession, principal: Principal, month_str: str, *, lock: bool = False
) -> PayrollRun:
    """The caller's district's run of the month (another district's is a 404)."""
    return found(
        await prepo.run_by_month(
            session, principal.district_code, parse_month(month_str), lock=lock
        ),
        f"{month_str} 没有发放批次",
        f"No payroll for {month_str}",
    )


async def recompute_payroll(
    session: AsyncSession, ctx: RequestContext, month_str: str
) -> PayrollRun:
    """Recompute a draft with today's ledger and parameters (an approved run never changes)."""
    run = await get_payroll(session, ctx.actor, month_str, lock=True)
    if run.status != "draft":
        raise PayrollNotDraft(
            f"{month_str} 的发放批次已审批", f"The {month_str} payroll is approved"
        )
    params = await load_parameters(session, ctx.actor.district_code)
    await prepo.delete_lines(session, run.id)
    with in_force("month"):
        totals = await compute_lines(session, run.id, run.district_code, run.month, params)
    await _finish(session, run.id, totals, ctx.now)
    audit.record(
        session,
        ctx,
        "payroll.recompute",
        "payroll",
        run.id,
        {"month": month_str, "line_count": totals.count, "total_fen": totals.fen},
    )
    return await get_payroll(session, ctx.actor, month_str)


async def approve_payroll(
    session: AsyncSession,
    ctx: RequestContext,
    month_str: str,
    note: str | None,
    *,
    four_eyes: bool = True,
) -> PayrollRun:
    """审批: the district leader approves a draft; from then on its lines are frozen. Not by
    whoever created the run (four eyes)."""
    run = await get_payroll(session, ctx.actor, month_str, lock=True)
    if run.status != "draft":
        raise PayrollNotDraft(
            f"{month_str} 的发放批次已审批", f"The {month_str} payroll is approved"
        )
    require_another(
        four_eyes, ctx.actor, run.created_by, "approve", f"{month_str} 的发放批次", "this payroll"
    )
    earlier = await prepo.earlier_draft(session, run.district_code, run.month)
    if earlier is not None:
        raise EarlierDraftPending(
            f"须先审批 {format_month(earlier)} 的发放批次",
            f"Approve the {format_month(earlier)} payroll first",
            extra={"pending_month": format_month(earlier)},
        )
    await prepo.update_run(
        session,
        run.id,
        {
            "status": "approved",
            "approved_at": ctx.now,
            "approved_by": ctx.actor.name,
            "approval_note": note,
        },
    )
    audit.record(
        session,
        ctx,
        "payroll.approve",
        "payroll",
        run.id,
        {
            "month": month_str,
            "line_count": run.line_count,
            "total_fen": run.total_fen,
            "created_by": run.created_by,
        },
    )
    return await get_payroll(session, ctx.actor, month_str)


def payroll_out(run: PayrollRun, towns: dict[str, str]) -> dict[str, Any]:
    return {
        "id": run.id,
        "month": format_month(run.month),
        "status": run.status,
        "line_count": run.line_count,
        "total_amount": from_fen(run.total_fen),
        "regular_count": run.line_count - run.adjustment_count,
        "regular_amount": from_fen(run.total_fen - run.adjustment_fen),
        "adjustment_count": run.adjustment_count,
        "adjustment_amount": from_fen(run.adjustment_fen),
        "totals": totals_out(run.totals, towns),
        "created_at": run.created_at,
        "created_by": run.created_by,
        "computed_at": run.computed_at,
        "approved_at": run.approved_at,
        "approved_by": run.approved_by,
        "approval_note": run.approval_note,
    }


def line_out(line: Any) -> dict[str, Any]:
    return {
        "id": line.id,
        "child_id": line.child_id,
        "kind": line.kind,
        "for_month": format_month(line.for_month),
        "category": line.category,
        "town_code": line.town_code,
        "village_code": line.village_code,
        "amount": from_fen(line.amount_fen),
        "payee": line.payee,
        "facts": line.facts,
        "parameters": line.parameters,
        "reason": line.reason,
        "original_line_id": line.original_line_id,
    }


async def answer(session: AsyncSession, run: PayrollRun) -> PayrollOut:
    """The run as the API shows it, its totals by town named."""
    return PayrollOut.model_validate(payroll_out(run, await repo.town_names(session)))


async def reply(session: AsyncSession, ctx: RequestContext, run: PayrollRun) -> PayrollOut:
    """The answer to a step on a run: the run as the API shows it."""
    return await answer(session, run)


async def payroll_lines(
    session: AsyncSession,
    ctx: RequestContext,
    month_str: str,
    kind: str | None,
    town_code: str | None,
    limit: int,
    cursor: str | None,
) -> Page[PayrollLineOut]:
    """The run's lines (keyset pages); the read of the payees is audited."""
    run = await get_payroll(session, ctx.actor, month_str)
    rows, nxt = await paginate(
        session,
        prepo.lines_stmt(run.id, kind, town_code),
        [PayrollLine.id],
        limit=limit,
        cursor=cursor,
    )
    audit.record(
        session,
        ctx,
        "payroll.lines.read",
        "payroll",
        run.id,
        {"month": month_str, "count": len(rows)},
    )
    return Page(items=[PayrollLineOut.model_validate(line_out(r)) for r in rows], next_cursor=nxt)


async def export(session: AsyncSession, ctx: RequestContext, month_str: str) -> bytes:
    """The bank-transfer sheet of the month's run (.xlsx); the export is audited."""
    run = await get_payroll(session, ctx.actor, month_str)
    content = await export_payroll(
        session,
        run,
        await repo.town_names(session),
        district=await district_name(session, run.district_code),
        generated_at=ctx.now,
    )
    audit.record(session, ctx, "payroll.export", "payroll", run.id, {"month": month_str})
    return content
