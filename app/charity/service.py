"""慈善项目资金: a town or a district department applies to the district charity association
for a project's funds; the district reviews and forwards; the association approves an amount,
pays it in instalments, and receives the final report (domain §10).

    submitted ──review: return──▶ returned
        │ review: forward (district admin, not the filer)
        ▼
    forwarded ──decision: decline──▶ declined
        │ decision: approve (approved amount ≤ requested)
        ▼
    approved ──instalments (their sum never past the approved amount)──┐
        │ final report (after one instalment at least)                  │
        ▼                                                              ◀┘
    reported

Any other move is a 409. Money is integer fen (`app.kit.money`); an instalment past the approved
amount is a 409 naming `amount`; retries never pay twice (each instalment has a client id).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas import repository as areas
from app.auth.principal import Principal
from app.auth.roles import Role
from app.charity import repository as repo
from app.charity.auth import is_association
from app.charity.errors import (
    ApplicationNotFound,
    CharityIdConflict,
    CharityTransitionRefused,
    OverApprovedAmount,
    ReportBeforeDisbursement,
)
from app.charity.schemas import (
    ApplicationCreate,
    ApplicationOut,
    BudgetLine,
    DecisionIn,
    DisbursementIn,
    DisbursementOut,
    ReportIn,
    ReportOut,
    SpendingLine,
)
from app.children.errors import ChildNotFound
from app.errors import Forbidden, ValidationFailed
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.four_eyes import require_another
from app.kit.listing import page_in_batch
from app.kit.money import format_money, from_fen, to_fen
from app.kit.pagination import Page
from app.kit.records import insert_new, known, out_of
from app.models import CharityApplication, CharityDisbursement

DISBURSEMENT_TAKEN = ("该编号的拨付已存在", "An instalment with this id exists")
WHAT_ZH, WHAT_EN = "该慈善项目申请", "this charity project application"
STATUS_ZH = {
    "submitted": "待区级审核",
    "returned": "已退回",
    "forwarded": "已转报慈善协会",
    "declined": "慈善协会未批准",
    "approved": "已批准",
    "reported": "已结项",
}


def _refuse(app: CharityApplication, zh: str, en: str) -> CharityTransitionRefused:
    return CharityTransitionRefused(
        f"{zh}（当前状态：{STATUS_ZH[app.status]}）",
        f"{en} (status: {app.status})",
        extra={"status": app.status},
    )


async def _applicant_area(
    session: AsyncSession, ctx: RequestContext, body: ApplicationCreate
) -> None:
    """A supervisor applies for their own town; a district admin for a town or for a
    department of the district (then `applicant_unit` names it)."""
    principal = ctx.actor
    found = await areas.get(session, body.applicant_area_code)
    if found is None or found.level not in ("town", "district"):
        raise ValidationFailed(
            errors=[
                ("applicant_area_code", "申请单位须为镇街或区级部门", "Not a town or the district")
            ]
        )
    if principal.role == Role.TOWN_SUPERVISOR and body.applicant_area_code != principal.area_code:
        raise Forbidden(
            "督导员只能为本镇街申请",
            "A supervisor applies for their own town only",
            errors=[("applicant_area_code", "不是您所在的镇街", "Not your town")],
        )
    if (
        principal.role == Role.DISTRICT_ADMIN
        and principal.area_path
        and not (found.path.startswith(principal.area_path))
    ):
        raise ValidationFailed(
            errors=[("applicant_area_code", "不在本区", "Not within your district")]
        )
    if found.level == "district" and not body.applicant_unit:
        raise ValidationFailed(
            errors=[("applicant_unit", "区级部门申请须写明部门", "Name the district department")]
        )


async def create_application(
    session: AsyncSession, ctx: RequestContext, body: ApplicationCreate
) -> ApplicationOut:
    """File an application (status `submitted`)."""
    if body.period_to < body.period_from:
        raise ValidationFailed(
            errors=[("period_to", "项目结束日期早于开始日期", "The period ends before it starts")]
        )
    await _applicant_area(session, ctx, body)
    budget = [
        {"item": line.item.strip(), "amount_fen": to_fen(line.amount)} for line in body.budget
    ]
    app = CharityApplication(
        **body.model_dump(exclude={"budget"}),
        budget=budget,
        requested_fen=sum(to_fen(line.amount) for line in body.budget),
        status="submitted",
        created_at=ctx.now,
        created_by=ctx.actor.name,
        disbursed_fen=0,
    )
    await insert_new(
        session, app, CharityIdConflict("该编号的申请已存在", "An application with this id exists")
    )
    detail = {"requested_fen": app.requested_fen, "applicant_area_code": app.applicant_area_code}
    return await _audited(session, ctx, app, "charity.apply", detail)


async def _audited(
    session: AsyncSession,
    ctx: RequestContext,
    app: CharityApplication,
    action: str,
    detail: dict[str, Any],
) -> ApplicationOut:
    """The application as answered, after auditing `action` on it."""
    audit.record(session, ctx, action, "charity_application", app.id, detail)
    return await _out(session, ctx, app)


async def _get(
    session: AsyncSession, ctx: RequestContext, app_id: uuid.UUID, *, lock: bool = False
) -> CharityApplication:
    return known(await repo.application(session, ctx.actor, app_id, lock=lock), ApplicationNotFound)


async def get_application(
    session: AsyncSession, ctx: RequestContext, app_id: uuid.UUID
) -> ApplicationOut:
    return await _out(session, ctx, await _get(session, ctx, app_id))


async def review(
    session: AsyncSession,
    ctx: RequestContext,
    app_id: uuid.UUID,
    decision: str,
    note: str | None,
    *,
    four_eyes: bool,
) -> ApplicationOut:
    """The district's review: forward to the association, or return to the applicant."""
    app = await _get(session, ctx, app_id, lock=True)
    if app.status != "submitted":
        raise _refuse(app, "只有待审核的申请可以审核", "Only a submitted application is reviewed")
    require_another(four_eyes, ctx.actor, app.created_by, "approve", WHAT_ZH, WHAT_EN)
    app.status = "forwarded" if decision == "forward" else "returned"
    app.reviewed_at, app.reviewed_by, app.review_note = ctx.now, ctx.actor.name, note
    if decision == "forward":
        app.forwarded_at = ctx.now
    await session.flush()
    return await _audited(session, ctx, app, f"charity.{decision}", {"note": note})


async def decide(
    session: AsyncSession, ctx: RequestContext, app_id: uuid.UUID, body: DecisionIn
) -> ApplicationOut:
    """The association approves an amount (at most the request) or declines."""
    app = await _get(session, ctx, app_id, lock=True)
    if app.status != "forwarded":
        raise _refuse(app, "只有已转报的申请可以审批", "Only a forwarded application is decided")
    if body.decision == "approve":
        if body.approved_amount is None:
            raise ValidationFailed(
                errors=[("approved_amount", "批准须写明金额", "Approving needs the amount")]
            )
        fen = to_fen(body.approved_amount)
        if fen > app.requested_fen:
            raise ValidationFailed(
                errors=[
                    (
                        "approved_amount",
                        f"批准金额不能超过申请金额 {format_money(from_fen(app.requested_fen))} 元",
                        f"At most the requested {format_money(from_fen(app.requested_fen))}",
                    )
                ]
            )
        app.approved_fen, app.status = fen, "approved"
    else:
        if body.approved_amount is not None:
            raise ValidationFailed(
                errors=[("approved_amount", "不批准时不填金额", "No amount when declining")]
            )
        app.status = "declined"
    app.decided_at, app.decided_by, app.decision_note = ctx.now, ctx.actor.name, body.note
    await session.flush()
    detail = {"approved_fen": app.approved_fen}
    return await _audited(session, ctx, app, f"charity.{body.decision}", detail)


async def disburse(
    session: AsyncSession,
    ctx: RequestContext,
    app_id: uuid.UUID,
    body: DisbursementIn,
    *,
    four_eyes: bool,
) -> DisbursementOut:
    """Record one instalment: never past the approved amount, never by its approver (four eyes),
    never twice (the instalment's id)."""
    app = await _get(session, ctx, app_id, lock=True)
    if app.status != "approved":
        raise _refuse(
            app, "只有已批准且未结项的项目可以拨付", "Only an approved, open project is paid"
        )
    require_another(four_eyes, ctx.actor, app.decided_by, "pay", WHAT_ZH, WHAT_EN)
    if body.paid_on > ctx.today:
        raise ValidationFailed(
            errors=[("paid_on", "拨付日期不能晚于今天", "paid_on is in the future")]
        )
    fen = to_fen(body.amount)
    approved = app.approved_fen or 0
    remaining = approved - app.disbursed_fen
    if fen > remaining:
        left = format_money(from_fen(remaining))
        raise OverApprovedAmount(
            f"本次拨付超过批准金额，尚可拨付 {left} 元",
            f"This instalment goes past the approved amount; {left} remains",
            errors=[("amount", f"最多可拨付 {left} 元", f"At most {left}")],
            extra={"remaining_amount": left},
        )
    if await repo.disbursement(session, body.id) is not None:
        raise CharityIdConflict(*DISBURSEMENT_TAKEN)
    d = CharityDisbursement(
        id=body.id,
        application_id=app.id,
        amount_fen=fen,
        paid_on=body.paid_on,
        reference=body.reference,
        recorded_at=ctx.now,
        recorded_by=ctx.actor.name,
    )
    app.disbursed_fen += fen
    await insert_new(session, d, CharityIdConflict(*DISBURSEMENT_TAKEN))
    audit.record(
        session,
        ctx,
        "charity.disburse",
        "charity_application",
        app.id,
        {"disbursement_id": str(d.id), "amount_fen": fen, "approved_by": app.decided_by},
    )
    return _disbursement_out(d)


async def report(
    session: AsyncSession, ctx: RequestContext, app_id: uuid.UUID, body: ReportIn
) -> ApplicationOut:
    """The applicant's final report: beneficiaries reached, the ledger children among them,
    the spending per budget line (at most what was disbursed)."""
    app = await _get(session, ctx, app_id, lock=True)
    if app.status != "approved":
        raise _refuse(
            app, "只有已批准且未结项的项目可以结项", "Only an approved, open project reports"
        )
    if app.disbursed_fen == 0:
        raise ReportBeforeDisbursement(
            "项目尚未拨付任何资金",
            "No instalment has been paid yet",
            extra={"disbursed_amount": "0.00"},
        )
    errors = await _judge_report(session, ctx.actor, app, body)
    if errors:
        raise ValidationFailed(errors=errors)
    spending = [{"item": s.item.strip(), "amount_fen": to_fen(s.amount)} for s in body.spending]
    app.status = "reported"
    app.reported_at, app.reported_by = ctx.now, ctx.actor.name
    app.beneficiaries_reached = body.beneficiaries_reached
    app.ledger_child_ids = [str(c) for c in body.ledger_child_ids]
    app.spending = spending
    app.spent_fen = sum(to_fen(s.amount) for s in body.spending)
    app.report_summary = body.summary
    await session.flush()
    detail = {"spent_fen": app.spent_fen, "beneficiaries_reached": body.beneficiaries_reached}
    return await _audited(session, ctx, app, "charity.report", detail)


async def _judge_report(
    session: AsyncSession, principal: Principal, app: CharityApplication, body: ReportIn
) -> list[tuple[str, str, str]]:
    errors: list[tuple[str, str, str]] = []
    if len(body.ledger_child_ids) > body.beneficiaries_reached:
        errors.append(
            (
                "ledger_child_ids",
                "台账儿童人数超过受益人数",
                "More ledger children than beneficiaries reached",
            )
        )
    known = await repo.readable_children(session, principal, body.ledger_child_ids)
    for i, child_id in enumerate(body.ledger_child_ids):
        if child_id not in known:
            errors.append(ChildNotFound.field_error(f"ledger_child_ids.{i}"))
    items = {str(b["item"]) for b in app.budget}
    for i, line in enumerate(body.spending):
        if line.item.strip() not in items:
            errors.append(
                (f"spending.{i}.item", "不是本项目的预算科目", "Not a budget line of this project")
            )
    spent = sum(to_fen(s.amount) for s in body.spending)
    if spent > app.disbursed_fen:
        got = format_money(from_fen(app.disbursed_fen))
        errors.append(
            ("spending", f"支出合计超过已拨付的 {got} 元", f"Spending exceeds the {got} disbursed")
        )
    return errors


def report_due_on(ctx: RequestContext, app: CharityApplication) -> date:
    return app.period_to + timedelta(days=ctx.settings.charity_report_grace_days)


def _disbursement_out(d: CharityDisbursement) -> DisbursementOut:
    return out_of(DisbursementOut, d, amount=from_fen(d.amount_fen))


def _lines(raw: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{"item": b["item"], "amount": from_fen(int(b["amount_fen"]))} for b in raw or []]


async def _out(
    session: AsyncSession, ctx: RequestContext, app: CharityApplication
) -> ApplicationOut:
    (out,) = await outs(session, ctx, [app])
    return out


async def outs(
    session: AsyncSession, ctx: RequestContext, apps: list[CharityApplication]
) -> list[ApplicationOut]:
    """The applications as the caller may see them: the association sees no staff names, no
    internal review note and no child ids (the count only)."""
    staff = not is_association(ctx.actor)
    names = await areas.names(session, [a.applicant_area_code for a in apps])
    paid = await repo.disbursements(session, [a.id for a in apps])
    out = []
    for a in apps:
        due = report_due_on(ctx, a)
        rep = None
        if a.reported_at is not None:
            children = [uuid.UUID(c) for c in a.ledger_child_ids or []]
            rep = ReportOut(
                reported_at=a.reported_at,
                reported_by=a.reported_by if staff else None,
                beneficiaries_reached=a.beneficiaries_reached or 0,
                ledger_children=len(children),
                ledger_child_ids=children if staff else None,
                spending=[SpendingLine.model_validate(s) for s in _lines(a.spending)],
                spent_amount=from_fen(a.spent_fen or 0),
                summary=a.report_summary,
            )
        out.append(
            out_of(
                ApplicationOut,
                a,
                applicant_area_name=names.get(a.applicant_area_code, a.applicant_area_code),
                budget=[BudgetLine.model_validate(b) for b in _lines(a.budget)],
                requested_amount=from_fen(a.requested_fen),
                created_by=a.created_by if staff else None,
                reviewed_by=a.reviewed_by if staff else None,
                review_note=a.review_note if staff else None,
                approved_amount=None if a.approved_fen is None else from_fen(a.approved_fen),
                disbursed_amount=from_fen(a.disbursed_fen),
                remaining_amount=None
                if a.approved_fen is None
                else from_fen(a.approved_fen - a.disbursed_fen),
                disbursements=[_disbursement_out(d) for d in paid.get(a.id, [])],
                report_due_on=due,
                overdue=a.status == "approved" and ctx.today > due,
                report=rep,
            )
        )
    return out


async def list_applications(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    status: str | None,
    service_type: str | None,
    applicant_area_code: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ApplicationOut]:
    stmt = repo.listing(
        ctx.actor, status=status, service_type=service_type, applicant_area_code=applicant_area_code
    )
    keys = [CharityApplication.created_at, CharityApplication.id]
    return await page_in_batch(
        session, stmt, keys, limit, cursor, lambda rows: outs(session, ctx, rows)
    )


async def overdue_reports(
    session: AsyncSession, ctx: RequestContext, *, limit: int, cursor: str | None
) -> Page[ApplicationOut]:
    """Approved projects whose period ended more than CHARITY_REPORT_GRACE_DAYS ago without a
    final report, the longest overdue first."""
    due_before = ctx.today - timedelta(days=ctx.settings.charity_report_grace_days)
    stmt = repo.overdue(ctx.actor, due_before)
    keys = [CharityApplication.period_to, CharityApplication.id]
    return await page_in_batch(
        session, stmt, keys, limit, cursor, lambda rows: outs(session, ctx, rows)
    )
