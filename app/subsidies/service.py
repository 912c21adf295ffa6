"""补贴: standards, quotes, medical claims, grant and holiday runs, budgets and spending."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children import history_repository as history
from app.errors import NotFound, ValidationFailed
from app.kit import audit
from app.kit.clock import DISTRICT_TZ
from app.kit.four_eyes import require_another
from app.kit.money import from_fen, to_fen
from app.models import BenefitRun, MedicalClaim, SubsidyBudget, SubsidyStandard
from app.subsidies import repository as repo
from app.subsidies.errors import (
    AlreadyPaid,
    BudgetExists,
    MonthAlreadyPaid,
    RunExists,
    StandardExists,
    WrongState,
)
from app.subsidies.facts import Totals, child_facts, facts_json, month_text, payee, town_of
from app.subsidies.parameters import Category, ParameterError, ParameterValue
from app.subsidies.payroll.service import in_force, load_parameters, parse_month
from app.subsidies.rules import (
    ChildFacts,
    Occasion,
    RuleInputError,
    RuleResult,
    YearMonth,
    education_grant,
    holiday_condolence,
    living_allowance,
    medical_reimbursement,
)
from app.subsidies.rules.grants import OCCASION_DAY
from app.subsidies.schemas import ClaimCreate, QuoteRequest, StandardCreate
from app.subsidies.standards.review import StandardReview
from app.subsidies.standards.review import standard_review as review_of
from app.subsidies.standards.values import value_to_json

BENEFIT_ZH = {
    "living_allowance": "生活补贴",
    "medical_reimbursement": "医疗报销",
    "education_grant": "助学金",
    "holiday_condolence": "节日慰问",
    "adult_orphan_placement": "成年孤儿安置",
}


# ----------------------------------------------------------------------------------- standards


async def create_standard(
    session: AsyncSession, principal: Principal, body: StandardCreate
) -> tuple[SubsidyStandard, list[str], list[str]]:
    """Append a standard. A value dated in a month already paid needs `retroactive`."""
    try:
        value = ParameterValue.parse(
            body.key, body.value, body.effective_from, body.reference, body.note
        )
    except ParameterError as error:
        field = error.field if error.field in StandardCreate.model_fields else "value"
        raise ValidationFailed(errors=[(field, error.message, str(error))]) from None
    effective_month = date(value.effective_from.year, value.effective_from.month, 1)
    paid = await repo.approved_months_from(session, effective_month)
    if paid and not body.retroactive:
        raise MonthAlreadyPaid(
            f"{month_text(paid[-1])} 及以前的月份已审批发放；新取值自 "
            f"{value.effective_from.isoformat()} 起生效，须设 retroactive: true 追溯调整",
            f"Months up to {month_text(paid[-1])} are paid; send retroactive: true to adjust them",
            extra={"paid_months": [month_text(m) for m in paid]},
        )
    row = await repo.insert_standard(
        session,
        {
            "key": value.key,
            "value": value_to_json(value.value),
            "effective_from": value.effective_from,
            "reference": value.reference,
            "note": value.note,
            "retroactive": bool(paid),
            "source": "api",
            "created_by": principal.name,
        },
    )
    if row is None:
        raise StandardExists(
            f"参数 {value.key} 在 {value.effective_from.isoformat()} 已有取值；更正请使用新的生效日期",
            f"{value.key} already has a value from {value.effective_from.isoformat()}",
        )
    drafts = await repo.draft_months_from(session, effective_month)
    audit.record(
        session,
        principal,
        "subsidy_standard.create",
        "subsidy_standard",
        row.id,
        {
            "key": row.key,
            "value": row.value,
            "effective_from": row.effective_from.isoformat(),
            "retroactive": row.retroactive,
        },
    )
    return row, [month_text(m) for m in paid], [month_text(m) for m in drafts]


async def standard_review(session: AsyncSession, today: date) -> StandardReview:
    """自然增长机制，每两年调整一次: whether the standard S in force is due for review."""
    return review_of(await load_parameters(session), today)


# --------------------------------------------------------------------------------------- quote


def _rule_error(error: RuleInputError, prefix: str = "") -> ValidationFailed:
    return ValidationFailed(errors=[(prefix + error.field, error.message, str(error))])


def _quote_facts(body: QuoteRequest, month: date) -> ChildFacts:
    facts = body.facts
    birth = facts.birth_date if facts and facts.birth_date else date(month.year - 10, 1, 1)
    approved = (
        facts.approved_on if facts and facts.approved_on else date(month.year - 1, month.month, 1)
    )
    try:
        return ChildFacts(
            category=cast(Category, body.category),
            birth_date=birth,
            approved_on=approved,
            revoked_on=facts.revoked_on if facts else None,
            school_stage=facts.school_stage if facts else None,
            status="active",
            schooling_ends_on=facts.schooling_ends_on if facts else None,
        )
    except RuleInputError as error:
        raise _rule_error(error, "facts.") from None


async def quote(session: AsyncSession, principal: Principal, body: QuoteRequest) -> dict[str, Any]:
    """What is due for a month, with traces: the living allowance every month, the education
    grant in September (the school year's reference month), the holiday condolence in the
    month of its reference day (January 两节, June 六一). Nothing is paid or stored."""
    month = parse_month(body.month)
    if (body.child_id is None) == (body.category is None):
        raise ValidationFailed(
            errors=[
                (
                    "child_id",
                    "须给出 child_id 或 category 之一",
                    "Give exactly one of child_id and category",
                )
            ]
        )
    if body.child_id is not None:
        if body.facts is not None:
            raise ValidationFailed(
                errors=[("facts", "按儿童报价时事实取自台账", "Facts come from the ledger")]
            )
        row = await repo.readable_child(session, principal, body.child_id)
        if row is None:
            raise NotFound("儿童不存在或不在辖区内", "No such child in your jurisdiction")
        # The month's category: the one of its last day, from the history (a later change
        # does not reach back). The grant of a September takes the stage of 1 September.
        category = await history.value_on(
            session, row.id, "category", month_last_day(month), row.category
        )
        facts = grant_facts = child_facts(row, category=category)
        if month.month == 9:
            stage = await history.value_on(session, row.id, "school_stage", month, row.school_stage)
            grant_facts = child_facts(_with(row, school_stage=stage), category=category)
        audit.record(
            session, principal, "subsidy.quote", "child", body.child_id, {"month": body.month}
        )
    else:
        facts = _quote_facts(body, month)
        grant_facts = facts
    params = await load_parameters(session)
    try:
        with in_force("month"):
            results: list[RuleResult] = [living_allowance(facts, YearMonth.of(month), params)]
            if month.month == 9:
                results.append(
                    education_grant(grant_facts, f"{month.year}-{month.year + 1}", params)
                )
            for occasion, (m, _d) in OCCASION_DAY.items():
                if month.month == m:
                    results.append(holiday_condolence(facts, occasion, month.year, params))
    except RuleInputError as error:
        raise _rule_error(error) from None
    items = [
        {"benefit": r.benefit, "amount": r.amount, "eligible": r.eligible, "trace": r.trace}
        for r in results
    ]
    return {
        "month": body.month,
        "child_id": body.child_id,
        "category": facts.category,
        "items": items,
        "total": sum((r.amount for r in results), Decimal("0.00")),
    }


# ------------------------------------------------------------------------------ medical claims


async def create_claim(
    session: AsyncSession, principal: Principal, body: ClaimCreate, now: datetime
) -> MedicalClaim:
    """医疗报销: compute the reimbursable share as of the service date and file the claim."""
    if body.service_date > local_today_of(now):
        raise ValidationFailed(
            errors=[("service_date", "就医日期不能晚于今天", "The service date is in the future")]
        )
    row = await repo.readable_child(session, principal, body.child_id)
    if row is None:
        raise NotFound("儿童不存在或不在辖区内", "No such child in your jurisdiction")
    if row.approved_on > body.service_date or (
        row.revoked_on is not None and row.revoked_on <= body.service_date
    ):
        raise ValidationFailed(
            errors=[
                (
                    "service_date",
                    "就医日期不在该儿童的保障期内",
                    "The child was not enrolled on the service date",
                )
            ]
        )
    # The category on the service date, from the history: a change after it does not reach back.
    category = await history.value_on(session, row.id, "category", body.service_date, row.category)
    params = await load_parameters(session)
    try:
        with in_force("service_date"):
            result = medical_reimbursement(
                category,
                body.kind,
                body.service_date,
                body.bill_total,
                body.basic_insurance_paid,
                body.other_insurance_paid,
                params,
            )
    except RuleInputError as error:
        raise _rule_error(error) from None
    remainder = body.bill_total - body.basic_insurance_paid - body.other_insurance_paid
    claim = MedicalClaim(
        id=uuid.uuid4(),
        child_id=body.child_id,
        kind=body.kind,
        service_date=body.service_date,
        category=category,
        bill_total_fen=to_fen(body.bill_total),
        basic_insurance_paid_fen=to_fen(body.basic_insurance_paid),
        other_insurance_paid_fen=to_fen(body.other_insurance_paid),
        remainder_fen=to_fen(remainder),
        reimbursable_fen=to_fen(result.amount),
        trace=result.trace,
        status="submitted",
        created_at=now,
        created_by=principal.name,
    )
    session.add(claim)
    await session.flush()
    audit.record(
        session,
        principal,
        "medical_claim.create",
        "medical_claim",
        claim.id,
        {"child_id": str(body.child_id), "reimbursable_fen": claim.reimbursable_fen},
    )
    return claim


def month_last_day(first: date) -> date:
    """The last day of the month that begins on `first`."""
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _with(row: Any, **values: Any) -> Any:
    """A child row with some values replaced (a row is immutable)."""
    return SimpleNamespace(**(row._asdict() | values))


def local_today_of(now: datetime) -> date:
    """The district's date (Asia/Shanghai) at `now`."""
    return now.astimezone(DISTRICT_TZ).date()


async def get_claim(
    session: AsyncSession, principal: Principal, claim_id: uuid.UUID, *, lock: bool = False
) -> MedicalClaim:
    claim = await repo.readable_claim(session, principal, claim_id, lock=lock)
    if claim is None:
        raise NotFound("报销申请不存在", "No such claim")
    return claim


async def decide_claim(
    session: AsyncSession,
    principal: Principal,
    claim_id: uuid.UUID,
    to: str,
    now: datetime,
    reason: str | None = None,
    *,
    four_eyes: bool = True,
) -> MedicalClaim:
    """submitted → approved | rejected (with the reason); approved → paid, once.

    Four eyes: the filer does not approve the claim, its approver does not pay it (a filer may
    reject, i.e. withdraw, their own claim)."""
    claim = await get_claim(session, principal, claim_id, lock=True)
    what = ("该报销申请", "this claim")
    if to == "paid":
        if claim.status == "paid":
            raise AlreadyPaid(
                f"该报销已于 {claim.paid_at} 支付", f"The claim was paid at {claim.paid_at}"
            )
        if claim.status != "approved":
            raise WrongState(
                f"状态为 {claim.status} 的申请不能支付，须先审批",
                f"A {claim.status} claim cannot be paid",
            )
        require_another(four_eyes, principal, claim.decided_by, "pay", *what)
        claim.status, claim.paid_at, claim.paid_by = "paid", now, principal.name
    else:
        if claim.status != "submitted":
            raise WrongState(
                f"状态为 {claim.status} 的申请不能再审批",
                f"A {claim.status} claim cannot be decided",
            )
        if to == "approved":
            require_another(four_eyes, principal, claim.created_by, "approve", *what)
        claim.status, claim.decided_at, claim.decided_by = to, now, principal.name
        claim.rejection_reason = reason
    await session.flush()
    detail: dict[str, Any] = {"created_by": claim.created_by}
    if to == "paid":
        detail["approved_by"] = claim.decided_by
    if reason:
        detail["reason"] = reason
    audit.record(session, principal, f"medical_claim.{to}", "medical_claim", claim.id, detail)
    return claim


def claim_out(claim: MedicalClaim) -> dict[str, Any]:
    return {
        "id": claim.id,
        "child_id": claim.child_id,
        "kind": claim.kind,
        "service_date": claim.service_date,
        "category": claim.category,
        "bill_total": from_fen(claim.bill_total_fen),
        "basic_insurance_paid": from_fen(claim.basic_insurance_paid_fen),
        "other_insurance_paid": from_fen(claim.other_insurance_paid_fen),
        "remainder": from_fen(claim.remainder_fen),
        "reimbursable": from_fen(claim.reimbursable_fen),
        "trace": claim.trace,
        "status": claim.status,
        "rejection_reason": claim.rejection_reason,
        "created_at": claim.created_at,
        "created_by": claim.created_by,
        "decided_at": claim.decided_at,
        "decided_by": claim.decided_by,
        "paid_at": claim.paid_at,
        "paid_by": claim.paid_by,
    }


# ----------------------------------------------------------------------- grant and holiday runs


async def _benefit_run(
    session: AsyncSession,
    principal: Principal,
    benefit: str,
    period: str,
    day: date,
    now: datetime,
    compute: Any,
) -> BenefitRun:
    params = await load_parameters(session)
    field = "school_year" if benefit == "education_grant" else "year"
    run_id = await repo.insert_benefit_run(
        session,
        {
            "benefit": benefit,
            "period": period,
            "reference_date": day,
            "created_at": now,
            "created_by": principal.name,
            "totals": {},
        },
    )
    if run_id is None:
        raise RunExists(
            f"{BENEFIT_ZH[benefit]} {period} 已经发放过", f"The {benefit} run {period} exists"
        )
    totals = Totals()
    lines: list[dict[str, Any]] = []
    # The category and stage on the run's day, from the history (for a past school year).
    categories = await history.values_on(session, "category", day)
    stages = await history.values_on(session, "school_stage", day)
    async for rows in repo.stream_children(session, repo.active_on_clause(day)):
        for row in rows:
            if row.id in stages:
                row = _with(row, school_stage=stages[row.id])
            category = categories.get(row.id, row.category)
            facts = child_facts(row, category=category)
            with in_force(field):
                result: RuleResult = compute(facts, params)
            if result.amount <= 0:
                continue
            fen = to_fen(result.amount)
            town = town_of(row.village_code)
            lines.append(
                {
                    "run_id": run_id,
                    "child_id": row.id,
                    "category": category,
                    "town_code": town,
                    "amount_fen": fen,
                    "facts": facts_json(facts, row),
                    "parameters": result.trace["parameters"],
                    "payee": payee(row),
                }
            )
            totals.add(category, town, fen)
    await repo.add_benefit_lines(session, lines)
    run = await session.get(BenefitRun, run_id)
    assert run is not None
    run.line_count, run.total_fen, run.totals = totals.count, totals.fen, totals.to_json()
    await session.flush()
    audit.record(
        session,
        principal,
        f"{benefit}.run",
        "benefit_run",
        run_id,
        {"period": period, "line_count": totals.count, "total_fen": totals.fen},
    )
    return run


async def create_education_grants(
    session: AsyncSession, principal: Principal, school_year: str, now: datetime
) -> BenefitRun:
    """助学金: one line per child active on 1 September in an eligible stage; once a year."""
    start = int(school_year[:4])
    day = date(start, 9, 1)
    if day > local_today_of(now):
        raise ValidationFailed(
            errors=[
                (
                    "school_year",
                    f"学年尚未开始（{day.isoformat()}），不能发放",
                    f"The school year starts on {day.isoformat()}",
                )
            ]
        )
    return await _benefit_run(
        session,
        principal,
        "education_grant",
        school_year,
        day,
        now,
        lambda facts, params: education_grant(facts, school_year, params),
    )


async def create_holiday_run(
    session: AsyncSession, principal: Principal, occasion: Occasion, year: int, now: datetime
) -> BenefitRun:
    """节日慰问: a line per child active on the occasion's day; once per occasion and year."""
    day = date(year, *OCCASION_DAY[occasion])
    return await _benefit_run(
        session,
        principal,
        "holiday_condolence",
        f"{occasion}-{year}",
        day,
        now,
        lambda facts, params: holiday_condolence(facts, occasion, year, params),
    )


async def get_benefit_run(
    session: AsyncSession, benefit: str, period: str, *, lock: bool = False
) -> BenefitRun:
    run = await repo.benefit_run(session, benefit, period, lock=lock)
    if run is None:
        raise NotFound(f"{BENEFIT_ZH[benefit]} {period} 尚未发放", f"No {benefit} run {period}")
    return run


async def approve_benefit_run(
    session: AsyncSession,
    principal: Principal,
    benefit: str,
    period: str,
    now: datetime,
    *,
    four_eyes: bool = True,
) -> BenefitRun:
    """审批: a draft grant or holiday run is approved, by someone other than its creator (four
    eyes); from then on it counts as spent."""
    run = await get_benefit_run(session, benefit, period, lock=True)
    if run.status != "draft":
        raise WrongState(
            f"{BENEFIT_ZH[benefit]} {period} 已审批", f"The {benefit} run {period} is approved"
        )
    require_another(
        four_eyes,
        principal,
        run.created_by,
        "approve",
        f"{BENEFIT_ZH[benefit]} {period} 的发放批次",
        f"the {benefit} run {period}",
    )
    run.status, run.approved_at, run.approved_by = "approved", now, principal.name
    await session.flush()
    audit.record(
        session,
        principal,
        f"{benefit}.approve",
        "benefit_run",
        run.id,
        {"period": period, "total_fen": run.total_fen, "created_by": run.created_by},
    )
    return run


# ------------------------------------------------------------------------------ budget, spending


async def create_budget(
    session: AsyncSession, principal: Principal, year: int, amount: Decimal, reference: str | None
) -> SubsidyBudget:
    row = await repo.insert_budget(
        session,
        {
            "year": year,
            "amount_fen": to_fen(amount),
            "reference": reference,
            "created_by": principal.name,
        },
    )
    if row is None:
        raise BudgetExists(f"{year} 年度预算已存在", f"The {year} budget already exists")
    audit.record(
        session,
        principal,
        "subsidy_budget.create",
        "subsidy_budget",
        year,
        {"amount_fen": row.amount_fen},
    )
    return row


async def spending(session: AsyncSession, year: int) -> dict[str, Any]:
    """分类保障支出: what was paid in `year` by benefit and month, against the year's budget."""
    rows = await repo.spending_rows(session, year)
    by_benefit: dict[str, int] = dict.fromkeys(BENEFIT_ZH, 0)
    by_month: dict[str, dict[str, int]] = defaultdict(dict)
    for benefit, month, fen in rows:
        by_benefit[benefit] += fen
        by_month[month][benefit] = by_month[month].get(benefit, 0) + fen
    spent = sum(by_benefit.values())
    budget = await repo.budget(session, year)
    share = None
    if budget is not None and budget.amount_fen > 0:
        share = str(
            (Decimal(spent) / Decimal(budget.amount_fen)).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            )
        )
    return {
        "year": year,
        "budget": from_fen(budget.amount_fen) if budget else None,
        "spent": from_fen(spent),
        "remaining": from_fen(budget.amount_fen - spent) if budget else None,
        "share_spent": share,
        "by_benefit": [
            {"benefit": b, "benefit_zh": BENEFIT_ZH[b], "amount": from_fen(fen)}
            for b, fen in by_benefit.items()
        ],
        "by_month": [
            {
                "month": month,
                "amounts": {b: from_fen(fen) for b, fen in amounts.items()},
                "total": from_fen(sum(amounts.values())),
            }
            for month, amounts in sorted(by_month.items())
        ],
    }
