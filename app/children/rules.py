"""分类保障 rules: which category a child's facts support (domain.md §5). Pure functions.

- 孤儿 orphan: both parents deceased, declared dead or declared missing.
- 事实无人抚养儿童 de_facto_unsupported: both parents in one of the listed situations, or one
  deceased/missing and the other in one of them. A time-bound situation (`liberty_restricted`,
  `lost_contact`) counts only from 6 calendar months after its `since`.
- 贫困家庭重病/残疾儿童: the household receives 低保, 低收入 or 特困 assistance and the child has a
  serious illness / a disability on record.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

DEAD_OR_MISSING = frozenset({"deceased", "declared_dead", "declared_missing"})
UNSUPPORTING = frozenset(
    {
        "severe_disability",
        "serious_illness",
        "imprisoned",
        "compulsory_drug_rehab",
        "liberty_restricted",
        "lost_contact",
        "guardianship_revoked",
        "deported",
    }
)
TIME_BOUND = frozenset({"liberty_restricted", "lost_contact"})
SITUATIONS = tuple(sorted(DEAD_OR_MISSING | UNSUPPORTING))
POOR_ASSISTANCE = frozenset({"subsistence", "low_income", "extreme_poverty"})
TIME_BOUND_MONTHS = 6


def add_months(d: date, months: int) -> date:
    """`d` plus whole calendar months, the day clamped to the month's last day."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def birthday_at(birth: date, years: int) -> date:
    """The date of the `years`-th birthday (29 February → 28 February in common years)."""
    year = birth.year + years
    return date(year, birth.month, min(birth.day, calendar.monthrange(year, birth.month)[1]))


def age_on(birth: date, on: date) -> int:
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


@dataclass(frozen=True)
class RuleViolation:
    """A category that does not follow from the facts: `rule` names which rule, stably."""

    field: str
    rule: str
    message_zh: str
    message_en: str


def _situation_counts(parent: dict[str, Any], today: date) -> str | None:
    """The parent's situation if it counts today, else None (a time-bound one not yet 6 months)."""
    situation = parent.get("situation")
    if situation in TIME_BOUND:
        since = parent.get("since")
        if isinstance(since, str):
            since = date.fromisoformat(since)
        if not isinstance(since, date) or add_months(since, TIME_BOUND_MONTHS) > today:
            return None
    return str(situation) if situation else None


def _by_relation(parents: list[dict[str, Any]], today: date) -> dict[str, str | None]:
    return {str(p.get("relation")): _situation_counts(p, today) for p in parents}


def is_orphan(parents: list[dict[str, Any]], today: date) -> bool:
    s = _by_relation(parents, today)
    return s.get("father") in DEAD_OR_MISSING and s.get("mother") in DEAD_OR_MISSING


def is_de_facto_unsupported(parents: list[dict[str, Any]], today: date) -> bool:
    s = _by_relation(parents, today)
    father, mother = s.get("father"), s.get("mother")
    if father is None or mother is None:
        return False
    if father in DEAD_OR_MISSING and mother in DEAD_OR_MISSING:
        return False  # an orphan, not de facto unsupported
    covered = DEAD_OR_MISSING | UNSUPPORTING
    return (
        father in covered
        and mother in covered
        and (father in UNSUPPORTING or mother in UNSUPPORTING)
    )


def category_violations(facts: dict[str, Any], today: date) -> list[RuleViolation]:
    """Every rule the stated category breaks, given the facts (empty when consistent)."""
    category = facts.get("category")
    parents: list[dict[str, Any]] = facts.get("parents") or []
    out: list[RuleViolation] = []
    if category == "orphan" and not is_orphan(parents, today):
        out.append(
            RuleViolation(
                "category",
                "orphan_needs_both_parents_dead_or_missing",
                "孤儿须父母双方均已死亡、被宣告死亡或被宣告失踪",
                "An orphan needs both parents deceased, declared dead or declared missing",
            )
        )
    elif category == "de_facto_unsupported" and not is_de_facto_unsupported(parents, today):
        out.append(
            RuleViolation(
                "category",
                "de_facto_needs_parents_situations",
                "事实无人抚养儿童须父母双方均符合规定情形（或一方死亡/失踪、另一方符合规定情形）；"
                "限制人身自由、失联须满6个月",
                "A de-facto-unsupported child needs both parents in a listed situation (or one "
                "deceased/missing and the other in one); liberty restriction and lost contact "
                "count from 6 months after `since`",
            )
        )
    elif category in ("poor_family_seriously_ill", "poor_family_disabled"):
        if facts.get("household_assistance") not in POOR_ASSISTANCE:
            out.append(
                RuleViolation(
                    "household_assistance",
                    "poor_family_needs_assistance",
                    "贫困家庭儿童须家庭享受低保、低收入或特困救助",
                    "A poor-family category needs subsistence, low-income or extreme-poverty "
                    "household assistance",
                )
            )
        if category == "poor_family_seriously_ill" and not facts.get("serious_illness"):
            out.append(
                RuleViolation(
                    "serious_illness",
                    "seriously_ill_needs_illness",
                    "贫困家庭重病儿童须填写重病情况",
                    "A seriously ill child needs the serious_illness facts",
                )
            )
        if category == "poor_family_disabled" and not facts.get("disability"):
            out.append(
                RuleViolation(
                    "disability",
                    "disabled_needs_disability",
                    "贫困家庭残疾儿童须填写残疾情况（类别、等级、残疾证号）",
                    "A disabled child needs the disability facts (kind, grade, certificate_no)",
                )
            )
    return out


def suggested_categories(facts: dict[str, Any], today: date) -> list[str]:
    """The categories the facts support (for active discovery); most protective first."""
    parents: list[dict[str, Any]] = facts.get("parents") or []
    out: list[str] = []
    if is_orphan(parents, today):
        out.append("orphan")
    elif is_de_facto_unsupported(parents, today):
        out.append("de_facto_unsupported")
    if facts.get("household_assistance") in POOR_ASSISTANCE:
        if facts.get("serious_illness"):
            out.append("poor_family_seriously_ill")
        if facts.get("disability"):
            out.append("poor_family_disabled")
    return out
