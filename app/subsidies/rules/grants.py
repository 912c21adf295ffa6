"""助学金 and 节日慰问: the education grant and holiday condolences (domain.md §3.3, §3.5)."""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

from app.kit.vocab import CATEGORY_ZH, school_year_of
from app.subsidies.parameters import KNOWN_PARAMETERS, JSONValue, ParameterSet
from app.subsidies.rules.common import (
    Check,
    ChildFacts,
    RuleInputError,
    RuleResult,
    YearMonth,
    active_on,
    build_result,
    check_date,
    not_payable,
    still_a_child,
    still_supported,
)

Occasion = Literal["spring_festival", "childrens_day"]
OCCASIONS: Final[tuple[Occasion, ...]] = ("spring_festival", "childrens_day")
OCCASION_ZH: Final[dict[Occasion, str]] = {"spring_festival": "两节", "childrens_day": "六一"}
OCCASION_DAY: Final[dict[Occasion, tuple[int, int]]] = {
    "spring_festival": (1, 1),
    "childrens_day": (6, 1),
}
"""(rule we set) The day a holiday run counts children on, unless the run names its own:
1 January (元旦, the first of the 两节) and 1 June (六一)."""


def education_grant(child: ChildFacts, school_year: str, params: ParameterSet) -> RuleResult:
    """助学金: the education grant due to `child` for `school_year` ("2025-2026").

    (rule we set) Due when the child is in the ledger on 1 September of the start year and is
    enrolled in a stage of `education_grant.eligible_stages` in force that day, at the amount
    `education_grant.<category>` in force that day. Only orphans and de-facto-unsupported
    children have a grant; the others get 0.00 with the reason. A child who is 18 or older by
    then is paid only under the rule of support after 18 in full-time schooling (policy,
    domain.md §5; `support_after_18_in_school`): still within the normal length of the
    schooling in September (the check `continued_schooling_after_18`). `child` carries the facts
    as of that 1 September (notably `category` and `school_stage`).
    """
    day = _school_year_start(school_year)
    key = f"education_grant.{child.category}"
    stages = params.at("education_grant.eligible_stages", day)
    has_grant = key in KNOWN_PARAMETERS
    name_zh = CATEGORY_ZH[child.category]
    in_stage = child.school_stage is not None and child.school_stage in stages.strings
    age_check, switch = still_supported(child, YearMonth.of(day), params)
    checks = [
        active_on(child, day),
        age_check,
        Check(
            "category_has_grant",
            has_grant,
            f"{name_zh}{'有' if has_grant else '没有'}助学金",
            f"category {child.category} {'has' if has_grant else 'has no'} education grant",
        ),
        Check(
            "in_eligible_stage",
            in_stage,
            f"学段 {child.school_stage or '未在学'}{'属于' if in_stage else '不属于'}资助学段",
            f"stage {child.school_stage or 'not in school'} is "
            f"{'' if in_stage else 'not '}an eligible stage",
        ),
    ]
    inputs: dict[str, JSONValue] = {
        "school_year": school_year,
        "reference_date": day.isoformat(),
        "child": child.to_trace(),
    }
    if not all(check.passed for check in checks):
        return not_payable(
            "education_grant",
            "助学金",
            inputs,
            checks,
            [stages, *switch],
            f"{school_year} 学年助学金",
            f"Education grant {school_year}",
        )
    grant = params.at(key, day)
    return build_result(
        rule="education_grant",
        rule_zh="助学金",
        inputs=inputs,
        checks=checks,
        parameters=[stages, *switch, grant],
        steps=[],
        amount=grant.decimal,
        explanation_zh=f"{name_zh} {school_year} 学年助学金 {grant.decimal} 元",
        explanation_en=f"Education grant {school_year} for {child.category}: {grant.decimal}",
    )


def holiday_condolence(
    child: ChildFacts,
    occasion: Occasion,
    year: int,
    params: ParameterSet,
    *,
    on: date | None = None,
) -> RuleResult:
    """节日慰问: the condolence money due to `child` for `occasion` in `year`.

    Due (rule we set) when the child is in the ledger on the run's day — `on`, by default
    1 January for the 两节 (spring_festival) and 1 June for 六一 (childrens_day) — and that day's
    month is not after the month of the 18th birthday, as for the living allowance. The amount is
    `holiday.<occasion>` in force that day.
    """
    if occasion not in OCCASIONS:
        raise RuleInputError("occasion", "节日须为 spring_festival（两节）或 childrens_day（六一）")
    if type(year) is not int or not 1900 <= year <= 9998:
        raise RuleInputError("year", "年份无效")
    if on is None:
        day = date(year, *OCCASION_DAY[occasion])
    else:
        check_date("on", on)
        if on.year != year:
            raise RuleInputError("on", "发放日期须在所选年份内")
        day = on
    checks = [active_on(child, day), still_a_child(child, YearMonth.of(day))]
    inputs: dict[str, JSONValue] = {
        "occasion": occasion,
        "year": year,
        "reference_date": day.isoformat(),
        "child": child.to_trace(),
    }
    label_zh = f"{year} 年{OCCASION_ZH[occasion]}慰问金"
    if not all(check.passed for check in checks):
        return not_payable(
            "holiday_condolence",
            "节日慰问",
            inputs,
            checks,
            [],
            label_zh,
            f"Holiday condolence {occasion} {year}",
        )
    amount = params.at(f"holiday.{occasion}", day)
    return build_result(
        rule="holiday_condolence",
        rule_zh="节日慰问",
        inputs=inputs,
        checks=checks,
        parameters=[amount],
        steps=[],
        amount=amount.decimal,
        explanation_zh=f"{label_zh} {amount.decimal} 元",
        explanation_en=f"Holiday condolence {occasion} {year}: {amount.decimal}",
    )


def _school_year_start(school_year: str) -> date:
    start = school_year_of(school_year, first_year=1900) if isinstance(school_year, str) else None
    if start is None:
        raise RuleInputError("school_year", "学年格式应为“2025-2026”")
    return date(start, 9, 1)
