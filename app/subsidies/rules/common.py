"""What every subsidy rule shares: the child's facts, months, results, input errors and traces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow, Rounded
from typing import Final, Literal

from app.children.schooling import FULL_TIME_STAGES, PARAMETER, STAGE_ZH, SUPPORTED_CATEGORIES
from app.kit.money import round_fen
from app.kit.vocab import CATEGORIES, GRANT_SCHOOL_STAGES, Category, GrantSchoolStage, month_of
from app.subsidies.parameters import JSONValue, ParameterNotInForce, ParameterSet, ParameterValue

Status = Literal["pending", "active", "continued_schooling", "revoked"]
STATUSES: Final[tuple[Status, ...]] = ("pending", "active", "continued_schooling", "revoked")
ZERO: Final = Decimal("0.00")

# Intermediate products must be exact: any rounding before the one a rule asks for is a bug,
# so the context traps it instead of rounding silently (whatever the thread's context says).
_EXACT: Final = Context(
    prec=60, traps=[InvalidOperation, Inexact, Rounded, Overflow, DivisionByZero]
)


class RuleInputError(ValueError):
    """A rule's input is invalid: `field` names it, `message` says why in Simplified Chinese."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True, order=True)
class YearMonth:
    """A calendar month (月份), e.g. `YearMonth(2025, 7)`, written "2025-07"."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if type(self.year) is not int or not 1 <= self.year <= 9998:
            raise RuleInputError("month", "年份无效")
        if type(self.month) is not int or not 1 <= self.month <= 12:
            raise RuleInputError("month", "月份须在 1 到 12 之间")

    @classmethod
    def of(cls, day: date) -> YearMonth:
        """The month a date falls in."""
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        """Parse "YYYY-MM" (a month of the vocabulary: 1900–2100)."""
        month = month_of(text)
        if month is None:
            raise RuleInputError("month", f"月份格式应为 YYYY-MM：{text}")
        return cls.of(month)

    @classmethod
    def coerce(cls, value: YearMonth | date, field: str = "month") -> YearMonth:
        """Accept a YearMonth, or a date that is the first day of its month."""
        if isinstance(value, YearMonth):
            return value
        check_date(field, value)
        if value.day != 1:
            raise RuleInputError(field, "月份须以当月1日表示")
        return cls.of(value)

    @property
    def first_day(self) -> date:
        """The first day: the date on which a month's parameters are looked up."""
        return date(self.year, self.month, 1)

    def next(self) -> YearMonth:
        """The following month."""
        return YearMonth(self.year + self.month // 12, self.month % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, slots=True)
class ChildFacts:
    """儿童事实: what the rules need to know about a child, as of the period computed.

    `approved_on` is the date the enrolment was approved (None while pending); `revoked_on` the
    date the revocation takes effect (None if not revoked). `school_stage` is the stage the child
    is enrolled in (None if not in school); `schooling_ends_on` the normal end of that schooling
    when it is full-time (app/children/schooling.py), which decides support after 18. The rules
    decide by these dates, not by `status`; `status` is checked for consistency with them.
    """

    category: Category
    birth_date: date
    approved_on: date | None
    revoked_on: date | None = None
    school_stage: GrantSchoolStage | None = None
    status: Status = "active"
    schooling_ends_on: date | None = None

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise RuleInputError("category", f"未知的困境儿童类别：{self.category}")
        if self.school_stage is not None and self.school_stage not in GRANT_SCHOOL_STAGES:
            raise RuleInputError("school_stage", f"未知的学段：{self.school_stage}")
        if self.status not in STATUSES:
            raise RuleInputError("status", f"未知的状态：{self.status}")
        check_date("birth_date", self.birth_date)
        if self.schooling_ends_on is not None:
            check_date("schooling_ends_on", self.schooling_ends_on)
        if self.approved_on is None:
            if self.status != "pending" or self.revoked_on is not None:
                raise RuleInputError("approved_on", "未审批的儿童状态应为待审批，且不能有撤销日期")
            return
        check_date("approved_on", self.approved_on)
        if self.status == "pending":
            raise RuleInputError("status", "已审批的儿童状态不能为待审批")
        if self.approved_on < self.birth_date:
            raise RuleInputError("approved_on", "审批日期不能早于出生日期")
        if self.revoked_on is not None:
            check_date("revoked_on", self.revoked_on)
            if self.revoked_on < self.approved_on:
                raise RuleInputError("revoked_on", "撤销日期不能早于审批日期")
        elif self.status == "revoked":
            raise RuleInputError("revoked_on", "状态为已撤销的儿童须有撤销生效日期")

    @property
    def last_child_month(self) -> YearMonth:
        """The month of the 18th birthday, the last month the child counts as a child.

        (rule we set) The birth month of the 18th year, which also settles 29 February births.
        """
        return YearMonth(self.birth_date.year + 18, self.birth_date.month)

    def to_trace(self) -> dict[str, JSONValue]:
        """The facts as a trace records them."""
        return {
            "category": self.category,
            "birth_date": self.birth_date.isoformat(),
            "approved_on": iso(self.approved_on),
            "revoked_on": iso(self.revoked_on),
            "school_stage": self.school_stage,
            "schooling_ends_on": iso(self.schooling_ends_on),
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class Check:
    """One eligibility condition and whether the child meets it, explained in zh and en."""

    code: str
    passed: bool
    zh: str
    en: str

    def to_trace(self) -> dict[str, JSONValue]:
        return {"code": self.code, "passed": self.passed, "zh": self.zh, "en": self.en}


@dataclass(frozen=True, slots=True)
class Step:
    """One intermediate result: its name, the formula with the numbers used, and the value."""

    name: str
    formula: str
    value: Decimal

    def to_trace(self) -> dict[str, JSONValue]:
        return {"name": self.name, "formula": self.formula, "value": decimal_text(self.value)}


@dataclass(frozen=True, slots=True)
class RuleResult:
    """A computed benefit: the `amount` (Decimal, to the fen) and the `trace` explaining it.

    The trace is a JSON-serialisable dict (no floats, decimals as strings):
    `rule`, `rule_zh`, `inputs`, `checks` ([{code, passed, zh, en}]), `eligible`, `reasons`
    (codes of the failed checks), `parameters` ([{key, value, effective_from, reference}]),
    `steps` ([{name, formula, value}]), `amount`, `explanation` ({zh, en}).
    """

    benefit: str
    amount: Decimal
    eligible: bool
    trace: dict[str, JSONValue]


def build_result(
    *,
    rule: str,
    rule_zh: str,
    inputs: dict[str, JSONValue],
    checks: list[Check],
    parameters: list[ParameterValue],
    steps: list[Step],
    amount: Decimal,
    explanation_zh: str,
    explanation_en: str,
) -> RuleResult:
    """Assemble a result and its trace; the amount must already be exact to the fen."""
    if amount != round_fen(amount):
        raise AssertionError(f"{rule}: amount {amount} is not rounded to the fen")
    eligible = all(check.passed for check in checks)
    trace: dict[str, JSONValue] = {
        "rule": rule,
        "rule_zh": rule_zh,
        "inputs": inputs,
        "checks": [check.to_trace() for check in checks],
        "eligible": eligible,
        "reasons": [check.code for check in checks if not check.passed],
        "parameters": [parameter.to_trace() for parameter in parameters],
        "steps": [step.to_trace() for step in steps],
        "amount": decimal_text(amount),
        "explanation": {"zh": explanation_zh, "en": explanation_en},
    }
    return RuleResult(benefit=rule, amount=amount, eligible=eligible, trace=trace)


def not_payable(
    rule: str,
    rule_zh: str,
    inputs: dict[str, JSONValue],
    checks: list[Check],
    parameters: list[ParameterValue],
    what_zh: str,
    what_en: str,
) -> RuleResult:
    """The zero result of a benefit some check refused, explained by every failed check after
    what was asked (`what_zh`, `what_en`)."""
    zh, en = ineligible_explanation(checks)
    return build_result(
        rule=rule,
        rule_zh=rule_zh,
        inputs=inputs,
        checks=checks,
        parameters=parameters,
        steps=[],
        amount=ZERO,
        explanation_zh=f"{what_zh}{zh}",
        explanation_en=f"{what_en}: {en}",
    )


def ineligible_explanation(checks: list[Check]) -> tuple[str, str]:
    """The zh and en explanation of a zero amount: every failed check."""
    failed = [check for check in checks if not check.passed]
    return (
        "不予发放：" + "；".join(check.zh for check in failed),
        "Not payable: " + "; ".join(check.en for check in failed),
    )


def active_on(child: ChildFacts, day: date) -> Check:
    """In the ledger on `day`: approved on or before it, and no revocation in effect by then."""
    if child.approved_on is None or child.approved_on > day:
        return Check(
            "active_on_date",
            False,
            f"{day.isoformat()} 尚未审批纳入保障",
            f"not yet approved on {day.isoformat()}",
        )
    if child.revoked_on is not None and child.revoked_on <= day:
        return Check(
            "active_on_date",
            False,
            f"已于 {child.revoked_on.isoformat()} 撤销，{day.isoformat()} 不在保障范围",
            f"revoked with effect from {child.revoked_on.isoformat()}, before {day.isoformat()}",
        )
    return Check(
        "active_on_date",
        True,
        f"{day.isoformat()} 在保障范围内",
        f"enrolled and not revoked on {day.isoformat()}",
    )


def still_a_child(child: ChildFacts, month: YearMonth) -> Check:
    """(rule we set) A child until the end of the month of the 18th birthday."""
    last = child.last_child_month
    if month <= last:
        return Check(
            "within_18th_birthday_month",
            True,
            f"{month} 不晚于年满18周岁的月份 {last}",
            f"{month} is not after the month of the 18th birthday ({last})",
        )
    return Check(
        "within_18th_birthday_month",
        False,
        f"已于 {last} 年满18周岁，{month} 起不再发放",
        f"turned 18 in {last}; nothing is due after that month",
    )


def still_supported(
    child: ChildFacts, month: YearMonth, params: ParameterSet
) -> tuple[Check, list[ParameterValue]]:
    """A child until the month of the 18th birthday — or after it, in full-time schooling.

    (policy, domain.md §5; the dated parameter `support_after_18_in_school`) An orphan or
    de-facto-unsupported child who turns 18 in full-time schooling (高中, 中职, 高职, 本科) is
    supported until the month its schooling normally ends (`schooling_ends_on`). The check
    `continued_schooling_after_18` names that rule in the trace, with the parameter. Anyone else
    fails `within_18th_birthday_month` after that month, as before; no parameter is looked up for
    them.
    """
    within = still_a_child(child, month)
    if within.passed:
        return within, []
    if (
        child.category not in SUPPORTED_CATEGORIES
        or child.school_stage not in FULL_TIME_STAGES
        or child.schooling_ends_on is None
    ):
        return within, []
    try:
        switch = params.at(PARAMETER, month.first_day)
    except ParameterNotInForce:
        return within, []
    last = child.last_child_month
    if not switch.flag:
        return (
            Check(
                "within_18th_birthday_month",
                False,
                f"已于 {last} 年满18周岁；{month} 年满18周岁后在校继续保障未实行（{PARAMETER}）",
                f"turned 18 in {last}; support after 18 in school is off in {month} ({PARAMETER})",
            ),
            [switch],
        )
    end = YearMonth.of(child.schooling_ends_on)
    stage = STAGE_ZH[str(child.school_stage)]
    if month > end:
        return (
            Check(
                "continued_schooling_after_18",
                False,
                f"已于 {last} 年满18周岁，{stage}学制已于 {end} 结束，{month} 起不再发放",
                f"turned 18 in {last}; the {child.school_stage} schooling ended in {end}",
            ),
            [switch],
        )
    return (
        Check(
            "continued_schooling_after_18",
            True,
            f"已于 {last} 年满18周岁，仍在全日制{stage}就读：按年满18周岁仍在校继续保障的规则"
            f"（{PARAMETER}）保障至学制结束 {end}",
            f"turned 18 in {last}, still in full-time {child.school_stage}: supported under the "
            f"rule of support after 18 in school ({PARAMETER}) until the schooling ends in {end}",
        ),
        [switch],
    )


def exact_multiply(a: Decimal, b: Decimal) -> Decimal:
    """a × b with no rounding at all (raises if the product cannot be exact)."""
    return _EXACT.multiply(a, b)


def exact_subtract(a: Decimal, b: Decimal) -> Decimal:
    """a − b with no rounding at all."""
    return _EXACT.subtract(a, b)


def money_input(field: str, value: object) -> Decimal:
    """Validate an amount given to a rule: a Decimal, finite, at most two places, not negative."""
    if not isinstance(value, Decimal):
        raise RuleInputError(field, "金额须为 Decimal 类型，不得使用浮点数")
    if not value.is_finite():
        raise RuleInputError(field, "金额无效")
    if value < 0:
        raise RuleInputError(field, "金额不能为负数")
    if value != round_fen(value):
        raise RuleInputError(field, "金额最多两位小数")
    return value


def check_date(field: str, value: object) -> None:
    """A calendar date, not a datetime (comparing the two raises)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise RuleInputError(field, "日期须为 date 类型（不含时间）")


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain positional text ("1060.0000"), never in exponent form."""
    return f"{value:f}"


def iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
