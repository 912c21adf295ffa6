"""What is due for a month, with the trace of every amount: for a child of the ledger (its
facts as of the month, from the history) or for a category with given facts. Nothing is paid."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from app.children import history_repository as history
from app.children.errors import ChildNotFound
from app.errors import ValidationFailed
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.records import known
from app.kit.vocab import Category, month_end, parse_month
from app.subsidies import repository as repo
from app.subsidies.facts import child_facts, with_values
from app.subsidies.rules import (
    ChildFacts,
    RuleInputError,
    RuleResult,
    YearMonth,
    education_grant,
    holiday_condolence,
    living_allowance,
)
from app.subsidies.rules.grants import OCCASION_DAY
from app.subsidies.schemas import QuoteOut, QuoteRequest
from app.subsidies.standards.service import in_force, load_parameters, rule_error


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
        raise rule_error(error, "facts.") from None


async def quote(session: AsyncSession, ctx: RequestContext, body: QuoteRequest) -> QuoteOut:
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
        row = known(await repo.readable_child(session, ctx.actor, body.child_id), ChildNotFound)
        # The month's category: the one of its last day, from the history (a later change
        # does not reach back). The grant of a September takes the stage of 1 September.
        category = await history.value_on(
            session, row.id, "category", month_end(month), row.category
        )
        facts = grant_facts = child_facts(row, category=category)
        if month.month == 9:
            stage = await history.value_on(session, row.id, "school_stage", month, row.school_stage)
            grant_facts = child_facts(with_values(row, school_stage=stage), category=category)
        audit.record(session, ctx, "subsidy.quote", "child", body.child_id, {"month": body.month})
    else:
        facts = _quote_facts(body, month)
        grant_facts = facts
    params = await load_parameters(session, ctx.actor.district_code)
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
        raise rule_error(error) from None
    items = [
        {"benefit": r.benefit, "amount": r.amount, "eligible": r.eligible, "trace": r.trace}
        for r in results
    ]
    return QuoteOut.model_validate(
        {
            "month": body.month,
            "child_id": body.child_id,
            "category": facts.category,
            "items": items,
            "total": sum((r.amount for r in results), Decimal("0.00")),
        }
    )
