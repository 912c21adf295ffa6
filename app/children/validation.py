"""Every rule on a child's facts, checked before a write: the ID number, the village, the dates,
the parents' facts, the schooling and the category rules (§5, app/children/rules.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas import repository as areas
from app.auth.principal import Principal
from app.auth.roles import Role
from app.children import repository as repo
from app.children import rules
from app.children.auth import PROPOSERS
from app.documents import repository as documents
from app.errors import Forbidden, ValidationFailed
from app.kit import idnumber

FieldError = tuple[str, str, str]
"""(field, message_zh, message_en) of a 422."""
Facts = dict[str, Any]
Illnesses = tuple[str, ...]
"""The district's serious-illness list 重病目录 in force."""

_ID_REASON_EN = {
    "length": "The ID number must have 18 characters",
    "characters": "The first 17 characters must be digits, the last a digit or X",
    "division_code": "The division code of the ID number is not valid",
    "birth_date": "The birth date in the ID number is not valid",
    "check_char": "The check character of the ID number is wrong",
}


@dataclass
class Checked:
    """What validation found besides errors: the review flags that remain, the illnesses a
    district admin accepted outside the list in this write (to audit)."""

    flags: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)


def parse_id(raw: str, today: date, field: str = "id_number") -> idnumber.IdNumber:
    try:
        return idnumber.parse(raw, today=today)
    except idnumber.InvalidIdNumber as e:
        raise ValidationFailed(
            errors=[(field, str(e), _ID_REASON_EN.get(e.reason, "Invalid ID number"))],
            extra={"reason": e.reason},
        ) from None


def agree(id_gender: str, id_birth: date, gender: str | None, birth: date | None) -> None:
    """The gender and birth date stated agree with those the ID number carries."""
    errors = []
    if gender is not None and gender != id_gender:
        errors.append(("gender", "性别与身份证号码不符", "Gender does not match the ID number"))
    if birth is not None and birth != id_birth:
        errors.append(
            ("birth_date", "出生日期与身份证号码不符", "Birth date does not match the ID number")
        )
    if errors:
        raise ValidationFailed(errors=errors)


async def validate(
    session: AsyncSession,
    principal: Principal,
    values: dict[str, Any],
    today: date,
    before: dict[str, Any] | None = None,
) -> Checked:
    """Every rule on a child's facts: village, dates, parents, and the category rules (§5).

    `before` is the record's current facts for a change (None for an enrolment). A parent's fact
    stated anew must be complete (term, grade and kind, illness) and, when the category rests on
    it, name its evidence. A change may not add a category violation; one the record already
    has (a record of before the precise rules, flagged for review) does not block other changes.
    """
    illnesses = await repo.serious_illness_list(session, today, principal.district_code)
    errors = await _village_errors(session, principal, values)
    errors += await _evidence_document_errors(session, values)
    errors += _parent_date_errors(values, today)
    errors += _schooling_errors(values, today)
    errors += _approval_errors(values, today)
    broken = _parent_fact_violations(values, before, today)
    checked = Checked(accepted=_accept_illnesses(principal, values, before, today, illnesses))
    broken += _new_category_violations(values, before, today, illnesses)
    errors += [(v.field, v.message_zh, v.message_en) for v in broken]
    if errors:
        codes = list(dict.fromkeys(v.rule for v in broken))
        raise ValidationFailed(
            errors=list(dict.fromkeys(errors)), extra={"rules": codes} if codes else None
        )
    previous = (before or {}).get("review_flags")
    checked.flags = rules.review_flags(values, today, illnesses, previous)
    return checked


async def _village_errors(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> list[FieldError]:
    """A dispersed child lives in a known village of the writer's district (another district's
    village is as unknown as a missing one); an institution child in none."""
    code = values.get("village_code")
    if values["placement"] != "dispersed":
        if code is None:
            return []
        return [
            ("village_code", "机构供养儿童不填写村居", "An institution child has no village_code")
        ]
    if not code:
        return [("village_code", "分散供养儿童须填写所在村居", "A dispersed child needs a village")]
    area = await areas.get(session, code)
    district = principal.district_code
    if (
        area is None
        or area.level != "village"
        or (district is not None and f"/{district}/" not in f"/{area.path}")
    ):
        return [("village_code", "村居代码不存在或不是村居级", "Not a known village code")]
    return []


async def _evidence_document_errors(
    session: AsyncSession, values: dict[str, Any]
) -> list[FieldError]:
    """A parent's evidence that names a document names a stored `evidence` document."""
    named = {
        f"parents.{i}.evidence.document_id": str(ev["document_id"])
        for i, p in enumerate(values["parents"])
        if isinstance(ev := p.get("evidence"), dict) and ev.get("document_id")
    }
    if not named:
        return []
    found = await documents.stored_evidence(session, set(named.values()))
    return [
        (
            field,
            "证明材料的文件不存在或不是已上传完成的证明材料（kind=evidence）",
            "No stored evidence document (kind evidence) has this id",
        )
        for field, doc_id in named.items()
        if doc_id not in found
    ]


def _parent_date_errors(values: dict[str, Any], today: date) -> list[FieldError]:
    """At most one father and one mother, none of whose facts starts after today."""
    errors: list[FieldError] = []
    relations = [p["relation"] for p in values["parents"]]
    if len(set(relations)) != len(relations):
        errors.append(("parents", "父亲、母亲各至多一条", "At most one father and one mother"))
    for i, p in enumerate(values["parents"]):
        if date.fromisoformat(p["since"]) > today:
            errors.append(
                (f"parents.{i}.since", "日期不能晚于今天", "The date cannot be in the future")
            )
    return errors


def _approval_errors(values: dict[str, Any], today: date) -> list[FieldError]:
    if values["approved_on"] > today:
        return [("approved_on", "批准日期不能晚于今天", "Cannot be in the future")]
    if values["approved_on"] < values["birth_date"]:
        return [("approved_on", "批准日期早于出生日期", "Before the birth date")]
    return []


def _schooling_errors(values: dict[str, Any], today: date) -> list[FieldError]:
    """The schooling's enrolment year and expected end: within the child's life, and only for a
    stage in school."""
    errors: list[FieldError] = []
    year, end = values.get("school_enrolment_year"), values.get("school_expected_end_on")
    if isinstance(end, str):
        end = values["school_expected_end_on"] = date.fromisoformat(end)
    in_school = values.get("school_stage") not in (None, "not_in_school")
    if (year is not None or end is not None) and not in_school:
        field = "school_enrolment_year" if year is not None else "school_expected_end_on"
        errors.append(
            (field, "未在学的儿童不填写入学年份和预计毕业日期", "Only for a child in school")
        )
    birth: date = values["birth_date"]
    if year is not None and not birth.year < year <= today.year:
        errors.append(
            (
                "school_enrolment_year",
                "入学年份须晚于出生年份且不晚于今年",
                "Between birth and this year",
            )
        )
    if end is not None and end <= birth:
        errors.append(
            ("school_expected_end_on", "预计毕业日期早于出生日期", "Before the birth date")
        )
    return errors


def _parent_fact_violations(
    values: Facts, before: Facts | None, today: date
) -> list[rules.RuleViolation]:
    """What each parent's fact stated anew lacks: the details of its situation and, when the
    category rests on it, its evidence."""
    out: list[rules.RuleViolation] = []
    rests = values["category"] in rules.PARENT_CATEGORIES
    recategorised = before is None or before.get("category") != values["category"]
    old_parents = _parents_by_relation(before)
    for i, p in enumerate(values["parents"]):
        old = old_parents.get(p["relation"])
        if old is None or rules.fact_of(old) != rules.fact_of(p) or (rests and recategorised):
            out += rules.fact_requirements(p, i, today, needs_evidence=rests)
    return out


def _parents_by_relation(facts: Facts | None) -> dict[str, Facts]:
    return {p.get("relation"): p for p in (facts or {}).get("parents") or []}


def _new_category_violations(
    values: Facts, before: Facts | None, today: date, illnesses: Illnesses
) -> list[rules.RuleViolation]:
    """The category rules the new facts break that the record did not break already."""
    known: set[tuple[str, str]] = set()
    if before is not None:
        known = {(v.field, v.rule) for v in rules.category_violations(before, today, illnesses)}
    return [
        v
        for v in rules.category_violations(values, today, illnesses)
        if (v.field, v.rule) not in known and v.rule != "fact_in_future"
    ]


def _accept_illnesses(
    principal: Principal, values: Facts, before: Facts | None, today: date, illnesses: Illnesses
) -> list[Facts]:
    """The parents' illnesses off the district's list that a district admin accepts in this
    write (each recorded on its fact)."""
    old_parents = _parents_by_relation(before)
    accepted = []
    for i, p in enumerate(values["parents"]):
        old = old_parents.get(p["relation"])
        if (
            done := _accept_illness(principal, p, old, f"parents.{i}", illnesses, today)
        ) is not None:
            accepted.append(done)
    return accepted


def _accept_illness(
    principal: Principal, parent: Facts, old: Facts | None, at: str, names: Illnesses, today: date
) -> Facts | None:
    """An illness outside the district's list counts when a district admin accepts it with a
    reason: the acceptance is recorded on the fact (who, when, why) and audited. A director or
    supervisor may propose it; it is accepted when a district admin approves the proposal."""
    acceptance = parent.get("illness_acceptance")
    if acceptance is None:
        return None
    illness = parent.get("illness")
    if (
        parent.get("situation") != "serious_illness"
        or not illness
        or rules.illness_on_list(illness, names)
    ):
        parent["illness_acceptance"] = None  # nothing to accept
        return None
    reason = str(acceptance.get("reason") or "").strip()
    at = f"{at}.illness_acceptance"
    if not reason:
        raise ValidationFailed(errors=[(f"{at}.reason", "须说明认定理由", "Give a reason")])
    kept = (old or {}).get("illness_acceptance") if (old or {}).get("illness") == illness else None
    if isinstance(kept, dict) and kept.get("reason") == reason:
        parent["illness_acceptance"] = kept
        return None
    if principal.has_role(*PROPOSERS):
        return None  # a proposal: the acceptance is recorded when a district admin approves it
    if not principal.has_role(Role.DISTRICT_ADMIN):
        raise Forbidden(
            "目录外的重病须由区民政局管理员说明理由后认定",
            "Only a district admin may accept an illness outside the serious-illness list",
            extra={"field": at},
        )
    parent["illness_acceptance"] = {
        "reason": reason,
        "accepted_by": principal.name,
        "accepted_on": today.isoformat(),
    }
    return {"relation": parent.get("relation"), "illness": illness, "reason": reason}
