"""生活补贴: the monthly living allowance (domain.md §3.1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

from app.kit.money import round_fen
from app.kit.vocab import CATEGORY_ZH, Category
from app.subsidies.parameters import JSONValue, ParameterSet, ParameterValue
from app.subsidies.rules.common import (
    Check,
    ChildFacts,
    RuleResult,
    Step,
    YearMonth,
    build_result,
    exact_multiply,
    not_payable,
    still_supported,
)

FULL_STANDARD: Final[frozenset[Category]] = frozenset({"orphan", "de_facto_unsupported"})
"""Categories paid the standard S itself; the others are paid S × the poor-family ratio."""


def living_allowance(
    child: ChildFacts, month: YearMonth | date, params: ParameterSet
) -> RuleResult:
    """生活补贴: the living allowance due to `child` for `month`.

    `month` is a YearMonth or the first day of the month. Orphans and de-facto-unsupported
    children get the standard S in force on the first day of the month; children of poor
    families with serious illness or disability get S × ratio, rounded half up to the fen.

    Eligibility (rule we set): the approval month is strictly before the month; a revocation
    takes effect after its own month (the month of revocation is still paid); the month is not
    after the month of the 18th birthday — unless (policy, domain.md §5) an orphan or
    de-facto-unsupported child turned 18 in full-time schooling and the month is not after the
    normal end of that schooling, with `support_after_18_in_school` on (the check
    `continued_schooling_after_18`). An ineligible month is 0.00, the reasons in the trace, and no
    amount parameter is looked up for it.
    """
    due = YearMonth.coerce(month)
    age_check, switch = still_supported(child, due, params)
    checks = [
        _approved_before(child, due),
        _not_revoked_before(child, due),
        age_check,
    ]
    inputs: dict[str, JSONValue] = {"month": str(due), "child": child.to_trace()}
    name_zh = CATEGORY_ZH[child.category]
    if not all(check.passed for check in checks):
        return not_payable(
            "living_allowance",
            "生活补贴",
            inputs,
            checks,
            switch,
            f"{name_zh} {due} 生活补贴",
            f"Living allowance for {due}",
        )

    standard = params.at("living_allowance.standard", due.first_day)
    used: list[ParameterValue] = [*switch, standard]
    if child.category in FULL_STANDARD:
        amount, steps, zh, en = _full_standard(standard)
    else:
        ratio = params.at("living_allowance.poor_family_ratio", due.first_day)
        used.append(ratio)
        amount, steps, zh, en = _standard_times_ratio(standard, ratio)
    return build_result(
        rule="living_allowance",
        rule_zh="生活补贴",
        inputs=inputs,
        checks=checks,
        parameters=used,
        steps=steps,
        amount=amount,
        explanation_zh=f"{name_zh} {due} 生活补贴：{zh}",
        explanation_en=f"Living allowance for {due} ({child.category}): {en}",
    )


_Amount = tuple[Decimal, list[Step], str, str]
"""An amount, its steps and its explanation (zh, en)."""


def _full_standard(standard: ParameterValue) -> _Amount:
    """Orphans and de-facto-unsupported children: the standard S itself."""
    amount = standard.decimal
    since = standard.effective_from.isoformat()
    return (
        amount,
        [Step("standard", "S", standard.decimal)],
        f"按 {since} 起执行的标准 S = {amount} 元全额发放",
        f"the standard S = {amount} in force from {since}",
    )


def _standard_times_ratio(standard: ParameterValue, ratio: ParameterValue) -> _Amount:
    """Poor families with serious illness or disability: S × ratio, rounded half up to the fen."""
    product = exact_multiply(standard.decimal, ratio.decimal)
    amount = round_fen(product)
    since = standard.effective_from.isoformat()
    steps = [
        Step("standard", "S", standard.decimal),
        Step("standard_times_ratio", f"{standard.decimal} × {ratio.decimal}", product),
        Step("rounded_half_up_to_fen", f"round_half_up({product})", amount),
    ]
    zh = (
        f"按标准 S = {standard.decimal} 元（{since} 起执行）"
        f"× 比例 {ratio.decimal}，四舍五入到分，发放 {amount} 元"
    )
    en = (
        f"S = {standard.decimal} (from {since}) × ratio "
        f"{ratio.decimal}, rounded half up to the fen: {amount}"
    )
    return amount, steps, zh, en


def _approved_before(child: ChildFacts, month: YearMonth) -> Check:
    if child.approved_on is None:
        return Check("approved_before_month", False, "尚未审批纳入保障", "enrolment not approved")
    approved = YearMonth.of(child.approved_on)
    if approved < month:
        return Check(
            "approved_before_month",
            True,
            f"审批月份 {approved} 早于 {month}",
            f"approved in {approved}, before {month}",
        )
    return Check(
        "approved_before_month",
        False,
        f"审批月份 {approved} 不早于 {month}，自审批次月起发放",
        f"approved in {approved}; paid from the month after approval",
    )


def _not_revoked_before(child: ChildFacts, month: YearMonth) -> Check:
    if child.revoked_on is None:
        return Check("not_revoked_before_month", True, "未撤销", "not revoked")
    revoked = YearMonth.of(child.revoked_on)
    if month <= revoked:
        return Check(
            "not_revoked_before_month",
            True,
            f"撤销于 {revoked} 生效，{month} 仍发放",
            f"revocation takes effect in {revoked}; {month} is still paid",
        )
    return Check(
        "not_revoked_before_month",
        False,
        f"已于 {revoked} 撤销，自次月起停发",
        f"revoked in {revoked}; not paid from the following month",
    )
