"""医疗保障: reimbursement of medical costs left after insurance (domain.md §3.2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

from app.kit.money import round_fen
from app.kit.vocab import CATEGORIES, CATEGORY_ZH, Category
from app.subsidies.parameters import KNOWN_PARAMETERS, JSONValue, ParameterSet, ParameterValue
from app.subsidies.rules.common import (
    Check,
    RuleInputError,
    RuleResult,
    Step,
    build_result,
    check_date,
    decimal_text,
    exact_multiply,
    exact_subtract,
    money_input,
)

MedicalKind = Literal["outpatient", "inpatient"]
MEDICAL_KINDS: Final[tuple[MedicalKind, ...]] = ("outpatient", "inpatient")
KIND_ZH: Final[dict[MedicalKind, str]] = {"outpatient": "门诊", "inpatient": "住院"}


def _parse_bill(
    category: Category, kind: MedicalKind, service_date: date, amounts: tuple[Decimal, ...]
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """The checked inputs of a claim: the bill, the two insurance payments (`amounts`, in
    that order) and the remainder."""
    bill_total, basic_insurance_paid, other_insurance_paid = amounts
    if category not in CATEGORIES:
        raise RuleInputError("category", f"未知的困境儿童类别：{category}")
    if kind not in MEDICAL_KINDS:
        raise RuleInputError("kind", "就医类型须为 outpatient（门诊）或 inpatient（住院）")
    check_date("service_date", service_date)
    bill = money_input("bill_total", bill_total)
    basic = money_input("basic_insurance_paid", basic_insurance_paid)
    other = money_input("other_insurance_paid", other_insurance_paid)
    if basic > bill:
        raise RuleInputError("basic_insurance_paid", "基本医疗保险支付金额不能超过账单总额")
    remainder = exact_subtract(exact_subtract(bill, basic), other)
    if remainder < 0:
        raise RuleInputError(
            "other_insurance_paid", "其他保险支付金额与基本医疗保险支付金额之和不能超过账单总额"
        )
    return bill, basic, other, remainder


def medical_reimbursement(
    category: Category,
    kind: MedicalKind,
    service_date: date,
    bill_total: Decimal,
    basic_insurance_paid: Decimal,
    other_insurance_paid: Decimal,
    params: ParameterSet,
) -> RuleResult:
    """医疗报销: the share of a medical bill the programme reimburses.

    remainder = bill_total − basic_insurance_paid − other_insurance_paid (other: 普惠保 and
    supplementary insurance); reimbursable = ratio × remainder, rounded half up to the fen, the
    ratio being the category's for `kind` in force on `service_date`. A category without a ratio
    (the poor-family categories) gets 0.00 with the reason in the trace.

    Raises RuleInputError naming the field for a negative amount, more than two decimals, a
    float, or payments above the bill.
    """
    amounts = (bill_total, basic_insurance_paid, other_insurance_paid)
    bill, basic, other, remainder = _parse_bill(category, kind, service_date, amounts)
    claim = _Claim(
        category,
        kind,
        f"{CATEGORY_ZH[category]}{KIND_ZH[kind]}",
        {
            "category": category,
            "kind": kind,
            "service_date": service_date.isoformat(),
            "bill_total": decimal_text(bill),
            "basic_insurance_paid": decimal_text(basic),
            "other_insurance_paid": decimal_text(other),
        },
        remainder,
        Step("remainder", f"{bill} − {basic} − {other}", remainder),
    )
    key = f"medical.{category}.{kind}_ratio"
    if key not in KNOWN_PARAMETERS:
        return _nothing_reimbursable(claim)
    return _reimburse(claim, params.at(key, service_date))


@dataclass(frozen=True)
class _Claim:
    """A claim's checked inputs as the trace shows them."""

    category: Category
    kind: MedicalKind
    label_zh: str
    inputs: dict[str, JSONValue]
    remainder: Decimal
    remainder_step: Step

    def result(
        self,
        check: Check,
        parameters: list[ParameterValue],
        steps: list[Step],
        amount: Decimal,
        explanation: tuple[str, str],
    ) -> RuleResult:
        """The claim's reimbursement judged by `check`, after its remainder's step."""
        return build_result(
            rule="medical_reimbursement",
            rule_zh="医疗报销",
            inputs=self.inputs,
            checks=[check],
            parameters=parameters,
            steps=[self.remainder_step, *steps],
            amount=amount,
            explanation_zh=explanation[0],
            explanation_en=explanation[1],
        )


def _nothing_reimbursable(claim: _Claim) -> RuleResult:
    """A category without a ratio for the kind (the poor-family ones): 0.00, the reason traced."""
    check = Check(
        "category_has_ratio",
        False,
        f"{CATEGORY_ZH[claim.category]}没有{KIND_ZH[claim.kind]}医疗报销比例",
        f"no {claim.kind} reimbursement ratio for category {claim.category}",
    )
    explanation = (
        f"{claim.label_zh}医疗费用不予报销：{check.zh}",
        f"Nothing reimbursable: {check.en}",
    )
    return claim.result(check, [], [], Decimal("0.00"), explanation)


def _reimburse(claim: _Claim, ratio: ParameterValue) -> RuleResult:
    """ratio × remainder, rounded half up to the fen."""
    kind, remainder = claim.kind, claim.remainder
    product = exact_multiply(ratio.decimal, remainder)
    amount = round_fen(product)
    since = ratio.effective_from.isoformat()
    check = Check(
        "category_has_ratio",
        True,
        f"{claim.label_zh}报销比例 {ratio.decimal}（{since} 起执行）",
        f"{kind} ratio for {claim.category}: {ratio.decimal} from {since}",
    )
    steps = [
        Step("ratio_times_remainder", f"{ratio.decimal} × {remainder}", product),
        Step("rounded_half_up_to_fen", f"round_half_up({decimal_text(product)})", amount),
    ]
    explanation = (
        f"{claim.label_zh}：个人负担 {remainder} 元 × 比例 {ratio.decimal}，"
        f"四舍五入到分，报销 {amount} 元",
        f"{kind} costs left to the family {remainder} × ratio {ratio.decimal}, "
        f"rounded half up to the fen: {amount}",
    )
    return claim.result(check, [ratio], steps, amount, explanation)
