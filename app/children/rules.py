"""分类保障 rules: which category a child's facts support (domain.md §5). Pure functions.

- 孤儿 orphan: both parents deceased, declared dead or declared missing.
- 事实无人抚养儿童 de_facto_unsupported (民发〔2019〕62号, extended by 民发〔2020〕125号):
  "父母双方均符合重残、重病、服刑在押、强制隔离戒毒、被执行其他限制人身自由的措施、失联情形之一的
  儿童；或者父母一方死亡或失踪，另一方符合重残、重病、服刑在押、强制隔离戒毒、被执行其他限制人身
  自由的措施、失联情形之一的儿童" (and, from 〔2020〕125号, 被撤销监护资格, 被遣送（驱逐）出境).
  Each parent's situation is a dated fact with its evidence; how each one counts is said by
  `parent_problems` below, in the policy's own words.
- 贫困家庭重病/残疾儿童: the household receives 低保, 低收入 or 特困 assistance and the child has a
  serious illness / a disability on record.

The rules take the district's serious-illness list (the `serious_illness_list` parameter in force
on the day) as an argument; `None` means "not known here" and leaves the list unchecked.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args

DeadOrMissing = Literal["deceased", "declared_dead", "declared_missing"]
Unsupporting = Literal[
    "severe_disability",
    "serious_illness",
    "imprisoned",
    "compulsory_drug_rehab",
    "liberty_restricted",
    "lost_contact",
    "guardianship_revoked",
    "deported",
]
"""A parent's situations that leave the child unsupported (with the other parent's)."""
DEAD_OR_MISSING = frozenset(get_args(DeadOrMissing))
UNSUPPORTING = frozenset(get_args(Unsupporting))
SITUATIONS = tuple(sorted(DEAD_OR_MISSING | UNSUPPORTING))
POOR_ASSISTANCE = frozenset({"subsistence", "low_income", "extreme_poverty"})
# 服刑在押、强制隔离戒毒、被执行其他限制人身自由的措施: "是指期限在6个月以上".
TERM_SITUATIONS = frozenset({"imprisoned", "compulsory_drug_rehab", "liberty_restricted"})
MIN_TERM_MONTHS = 6
# 失联: "是指失去联系且未履行监护抚养责任6个月以上", counted from the police's acceptance of the report.
LOST_CONTACT_MONTHS = 6
# 重残: "一级二级残疾或三级四级精神、智力残疾".
DISABILITY_KINDS = (
    "physical",
    "visual",
    "hearing",
    "speech",
    "intellectual",
    "mental",
    "multiple",
)
SEVERE_ANY_KIND_GRADES = frozenset({1, 2})
SEVERE_MENTAL_KINDS = frozenset({"intellectual", "mental"})
# (rule we set) illness, disability and lost contact are looked at again every year.
YEARLY_REVIEW = frozenset({"serious_illness", "severe_disability", "lost_contact"})
REVIEW_MONTHS = 12
# The categories that rest on the parents' facts: each of those facts names its evidence.
PARENT_CATEGORIES = frozenset({"orphan", "de_facto_unsupported"})
# What a parent's fact is, for deciding whether a change states it anew (server-set keys aside).
FACT_KEYS = (
    "situation",
    "since",
    "term_months",
    "disability_grade",
    "disability_kind",
    "illness",
    "evidence",
    "verified_on",
)


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

    def flag(self, flagged_on: date) -> dict[str, Any]:
        """The violation as a review flag on the child (kept in `review_flags`)."""
        return {
            "field": self.field,
            "rule": self.rule,
            "reason_zh": self.message_zh,
            "reason_en": self.message_en,
            "flagged_on": flagged_on.isoformat(),
        }


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def illness_on_list(illness: str, illnesses: Iterable[str]) -> bool:
    """Whether the illness names one of the listed ones ("急性淋巴细胞白血病" names "白血病")."""
    text = "".join(illness.split())
    return any("".join(name.split()) in text for name in illnesses if name.strip())


def parent_problems(
    parent: dict[str, Any],
    index: int,
    today: date,
    illnesses: Collection[str] | None = None,
    *,
    lenient: bool = False,
) -> list[RuleViolation]:
    """Why this parent's situation does not count on `today` (empty: it counts).

    - 服刑在押、强制隔离戒毒或被执行其他限制人身自由的措施"是指期限在6个月以上": the term imposed
      (`term_months`, from the judgment or decision) is 6 months or more; it counts from its
      first day (`since`) until it ends (`since` + `term_months`). A 4-month term never counts.
    - 重残"是指一级二级残疾或三级四级精神、智力残疾": grade 1–2 of any kind, grade 3–4 only for an
      intellectual or mental disability (`disability_grade`, `disability_kind`).
    - 重病"由各地根据当地大病、地方病等实际情况确定": the `illness` names one on the district's list,
      or a district admin accepted it with a reason (`illness_acceptance`).
    - 失联"是指失去联系且未履行监护抚养责任6个月以上": counted from the day the police accepted the
      report (`since`); it counts from that day plus 6 calendar months on.
    - 死亡"是指自然死亡或人民法院宣告死亡", 失踪"是指人民法院宣告失踪"; 被撤销监护资格"是指人民法院
      依法判决撤销监护人资格"; 被遣送（驱逐）出境: no further condition.

    `lenient` (active discovery, where the household list knows no terms or grades): a missing
    detail is taken as unknown and does not count against the fact; a known one still does.
    """
    at = f"parents.{index}"
    situation = parent.get("situation")
    since = _date(parent.get("since"))
    if since is not None and since > today:
        return [
            RuleViolation(
                f"{at}.since", "fact_in_future", "情形起始日期晚于今天", "The fact starts later"
            )
        ]
    if situation in TERM_SITUATIONS:
        return _term_problems(parent, at, since, today, lenient)
    if situation == "severe_disability":
        return _disability_problems(parent, at, lenient)
    if situation == "serious_illness":
        return _illness_problems(parent, at, illnesses, lenient)
    if situation == "lost_contact" and since is not None:
        return _lost_contact_problems(at, since, today)
    return []


def _term_problems(
    parent: dict[str, Any], at: str, since: date | None, today: date, lenient: bool
) -> list[RuleViolation]:
    """A sentence, compulsory rehabilitation or other restriction of liberty: a term of 6
    months or more, not ended."""
    term = parent.get("term_months")
    if not isinstance(term, int) or isinstance(term, bool):
        if lenient:
            return []
        return [
            RuleViolation(
                f"{at}.term_months",
                "term_required",
                "服刑在押、强制隔离戒毒、其他限制人身自由的措施须填写判决或决定的期限（月）",
                "A sentence, compulsory rehabilitation or other restriction of liberty "
                "needs the term imposed (term_months)",
            )
        ]
    if term < MIN_TERM_MONTHS:
        return [
            RuleViolation(
                f"{at}.term_months",
                "term_under_6_months",
                f"期限{term}个月，不足6个月：服刑在押、强制隔离戒毒或被执行其他限制人身自由的"
                "措施是指期限在6个月以上",
                f"A term of {term} months: the policy counts only a term of 6 months or more",
            )
        ]
    if since is not None and add_months(since, term) <= today:
        ends = add_months(since, term)
        return [
            RuleViolation(
                f"{at}.term_months",
                "term_ended",
                f"期限已于{ends.isoformat()}届满，须重新核实父母情形",
                f"The term ended on {ends.isoformat()}: the parent's situation needs a new look",
            )
        ]
    return []


def _disability_problems(parent: dict[str, Any], at: str, lenient: bool) -> list[RuleViolation]:
    """A severe disability: the certificate's grade and kind, grade 1–2 of any kind or 3–4
    intellectual or mental."""
    out: list[RuleViolation] = []
    grade, kind = parent.get("disability_grade"), parent.get("disability_kind")
    for name, value in (("disability_grade", grade), ("disability_kind", kind)):
        if value is None and not lenient:
            out.append(
                RuleViolation(
                    f"{at}.{name}",
                    "disability_required",
                    "重残须填写残疾证的残疾等级和残疾类别",
                    "A severe disability needs the certificate's grade and kind",
                )
            )
    if (
        isinstance(grade, int)
        and grade not in SEVERE_ANY_KIND_GRADES
        and kind is not None
        and kind not in SEVERE_MENTAL_KINDS
    ):
        out.append(
            RuleViolation(
                f"{at}.disability_grade",
                "disability_not_severe",
                f"{grade}级残疾不属重残：重残是指一级二级残疾或三级四级精神、智力残疾",
                f"A grade-{grade} {kind} disability is not severe: grade 1–2 of any "
                "kind, or grade 3–4 intellectual or mental",
            )
        )
    return out


def _illness_problems(
    parent: dict[str, Any], at: str, illnesses: Collection[str] | None, lenient: bool
) -> list[RuleViolation]:
    """A serious illness: named, and on the district's list or accepted off it."""
    illness = parent.get("illness")
    if not (isinstance(illness, str) and illness.strip()):
        if lenient:
            return []
        return [
            RuleViolation(
                f"{at}.illness",
                "illness_required",
                "重病须填写所患疾病",
                "A serious illness needs the illness",
            )
        ]
    if (
        illnesses is not None
        and not illness_on_list(illness, illnesses)
        and not parent.get("illness_acceptance")
    ):
        return [
            RuleViolation(
                f"{at}.illness",
                "illness_not_on_list",
                f"“{illness}”不在本区重病目录内；须由区民政局管理员说明理由后认定",
                f"'{illness}' is not on the district's serious-illness list; a district "
                "admin may accept it with a reason",
            )
        ]
    return []


def _lost_contact_problems(at: str, since: date, today: date) -> list[RuleViolation]:
    """Lost contact counts from 6 months after the police accepted the report."""
    counts_from = add_months(since, LOST_CONTACT_MONTHS)
    if counts_from <= today:
        return []
    return [
        RuleViolation(
            f"{at}.since",
            "lost_contact_under_6_months",
            f"失联是指失去联系且未履行监护抚养责任6个月以上：自公安机关受案之日起算，"
            f"{counts_from.isoformat()}起方满6个月",
            f"Lost contact counts 6 months after the police accepted the report: from "
            f"{counts_from.isoformat()}",
        )
    ]


def _by_relation(
    parents: list[dict[str, Any]],
    today: date,
    illnesses: Collection[str] | None,
    lenient: bool,
) -> dict[str, str | None]:
    """Each parent's situation if it counts on `today`, else None."""
    out: dict[str, str | None] = {}
    for i, p in enumerate(parents):
        situation = p.get("situation")
        counts = bool(situation) and not parent_problems(p, i, today, illnesses, lenient=lenient)
        out[str(p.get("relation"))] = str(situation) if counts else None
    return out


def is_orphan(parents: list[dict[str, Any]], today: date) -> bool:
    """孤儿: both parents dead (naturally or declared by a court) or declared missing by a court."""
    s = _by_relation(parents, today, None, False)
    return s.get("father") in DEAD_OR_MISSING and s.get("mother") in DEAD_OR_MISSING


def is_de_facto_unsupported(
    parents: list[dict[str, Any]],
    today: date,
    illnesses: Collection[str] | None = None,
    *,
    lenient: bool = False,
) -> bool:
    """事实无人抚养儿童: "父母双方均符合……情形之一的儿童；或者父母一方死亡或失踪，另一方符合……
    情形之一的儿童" — each situation as `parent_problems` says it counts."""
    s = _by_relation(parents, today, illnesses, lenient)
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


def category_violations(
    facts: dict[str, Any], today: date, illnesses: Collection[str] | None = None
) -> list[RuleViolation]:
    """Every rule the stated category breaks, given the facts (empty when consistent).

    When a de-facto-unsupported child's parents do not qualify, each parent fact that does not
    count is named too (`parents.1.term_months`, `parents.0.disability_grade`, ...).
    """
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
    elif category == "de_facto_unsupported" and not is_de_facto_unsupported(
        parents, today, illnesses
    ):
        out.append(
            RuleViolation(
                "category",
                "de_facto_needs_parents_situations",
                "事实无人抚养儿童须父母双方均符合规定情形（或一方死亡/失踪、另一方符合规定情形）；"
                "服刑在押、强制隔离戒毒、其他限制人身自由的措施须期限在6个月以上，失联须满6个月",
                "A de-facto-unsupported child needs both parents in a listed situation (or one "
                "deceased/missing and the other in one); a sentence or other restriction of "
                "liberty needs a term of 6 months or more, lost contact 6 months since the "
                "police report",
            )
        )
        for i, p in enumerate(parents):
            out.extend(parent_problems(p, i, today, illnesses))
    elif category in ("poor_family_seriously_ill", "poor_family_disabled"):
        out.extend(_poor_family_violations(category, facts))
    return out


def _poor_family_violations(category: str, facts: dict[str, Any]) -> list[RuleViolation]:
    """A poor family's child: the household's assistance, and the illness or the disability."""
    out: list[RuleViolation] = []
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


def fact_requirements(
    parent: dict[str, Any], index: int, today: date, *, needs_evidence: bool
) -> list[RuleViolation]:
    """What a parent's fact stated anew must carry: the term, the certificate's grade and kind,
    the illness — and, when the category rests on it, its evidence (kind, number, issuer,
    issued_on)."""
    at = f"parents.{index}"
    out = [
        v
        for v in parent_problems(parent, index, today, None)
        if v.rule in ("term_required", "disability_required", "illness_required")
    ]
    if not needs_evidence:
        return out
    evidence = parent.get("evidence")
    if not isinstance(evidence, dict):
        out.append(
            RuleViolation(
                f"{at}.evidence",
                "evidence_required",
                "分类所依据的父母情形须注明证明材料（种类、编号、出具机关、出具日期）",
                "Each fact the category rests on names its evidence (kind, number, issuer, "
                "issued_on)",
            )
        )
        return out
    for name, zh in (("number", "编号"), ("issuer", "出具机关"), ("issued_on", "出具日期")):
        value = evidence.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            out.append(
                RuleViolation(
                    f"{at}.evidence.{name}",
                    "evidence_incomplete",
                    f"证明材料须注明{zh}",
                    f"The evidence needs its {name}",
                )
            )
    issued = _date(evidence.get("issued_on"))
    if issued is not None and issued > today:
        out.append(
            RuleViolation(
                f"{at}.evidence.issued_on",
                "evidence_in_future",
                "出具日期不能晚于今天",
                "The evidence cannot be issued in the future",
            )
        )
    return out


def fact_of(parent: dict[str, Any]) -> dict[str, Any]:
    """The stated part of a parent's fact (for telling whether a change states it anew)."""
    out = {k: parent.get(k) for k in FACT_KEYS if parent.get(k) is not None}
    acceptance = parent.get("illness_acceptance")
    if isinstance(acceptance, dict):
        out["illness_acceptance"] = acceptance.get("reason")
    return out


def reverification_due(parent: dict[str, Any]) -> tuple[date, str] | None:
    """When the district must look at this fact again, and why (`term_ends`, `yearly_review`).

    The term's end for 服刑在押/强制隔离戒毒/其他限制人身自由; (rule we set) a year after the
    latest of `since`, the evidence's `issued_on` and `verified_on` for 重病, 重残 and 失联.
    Death, a court's declaration, revoked guardianship and deportation have none.
    """
    situation = parent.get("situation")
    since = _date(parent.get("since"))
    if situation in TERM_SITUATIONS:
        term = parent.get("term_months")
        if since is None or not isinstance(term, int):
            return None
        return add_months(since, term), "term_ends"
    if situation in YEARLY_REVIEW:
        evidence = parent.get("evidence")
        issued = _date(evidence.get("issued_on")) if isinstance(evidence, dict) else None
        dates = [d for d in (since, issued, _date(parent.get("verified_on"))) if d is not None]
        if not dates:
            return None
        return add_months(max(dates), REVIEW_MONTHS), "yearly_review"
    return None


def reverifications(facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The facts the category rests on that have a re-verification date, earliest first."""
    if facts.get("category") not in PARENT_CATEGORIES:
        return []
    out = []
    for i, p in enumerate(facts.get("parents") or []):
        due = reverification_due(p)
        if due is not None:
            out.append(
                {
                    "field": f"parents.{i}",
                    "relation": p.get("relation"),
                    "situation": p.get("situation"),
                    "due_on": due[0],
                    "kind": due[1],
                }
            )
    return sorted(out, key=lambda r: r["due_on"])


def review_flags(
    facts: dict[str, Any],
    today: date,
    illnesses: Collection[str] | None,
    previous: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The child's review flags: every rule its category now breaks, each with the date it was
    first flagged. A record is flagged for review, never re-classified silently."""
    since = {(f.get("field"), f.get("rule")): f.get("flagged_on") for f in previous or []}
    out = []
    for v in category_violations(facts, today, illnesses):
        flagged = _date(since.get((v.field, v.rule))) or today
        out.append(v.flag(flagged))
    return out


def reverify_on(facts: dict[str, Any], flags: list[dict[str, Any]]) -> date | None:
    """The earliest day the category needs a new look: a fact's date, or the day it was flagged."""
    dates = [r["due_on"] for r in reverifications(facts)]
    dates += [d for f in flags if (d := _date(f.get("flagged_on"))) is not None]
    return min(dates) if dates else None


def legacy_parent(parent: dict[str, Any]) -> dict[str, Any]:
    """A parent's fact of the old shape in the new one: the free-text evidence becomes an
    evidence object of kind `other` keeping the text as its note (nothing else is invented)."""
    out = dict(parent)
    evidence = out.get("evidence")
    if isinstance(evidence, str):
        text = evidence.strip()
        out["evidence"] = (
            {"kind": "other", "number": None, "issuer": None, "issued_on": None, "note": text}
            if text
            else None
        )
    return out


def carry_over(
    child: dict[str, Any], today: date, illnesses: Collection[str] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], date | None]:
    """What the migration makes of a child's record: the parents in the new shape, the review
    flags (the category no longer holds under the precise rule), and the re-verification date."""
    parents = [legacy_parent(p) for p in child.get("parents") or []]
    facts = dict(child, parents=parents)
    flags = review_flags(facts, today, illnesses) if child.get("status") == "active" else []
    return parents, flags, reverify_on(facts, flags) if child.get("status") == "active" else None


def suggested_categories(facts: dict[str, Any], today: date) -> list[str]:
    """The categories the facts support (for active discovery); most protective first.

    The household list knows no terms, grades or illnesses: a missing detail does not rule a
    parent's situation out (the worker checks it on enrolment), a known one does.
    """
    parents: list[dict[str, Any]] = facts.get("parents") or []
    out: list[str] = []
    if is_orphan(parents, today):
        out.append("orphan")
    elif is_de_facto_unsupported(parents, today, None, lenient=True):
        out.append("de_facto_unsupported")
    if facts.get("household_assistance") in POOR_ASSISTANCE:
        if facts.get("serious_illness"):
            out.append("poor_family_seriously_ill")
        if facts.get("disability"):
            out.append("poor_family_disabled")
    return out
