"""困境儿童台账 records: enrolment 新增, change 变更, revocation 撤销 — each kept as history.

Who may write: district admins every child; institution staff the institute's children. Village
directors and town supervisors propose changes (see proposals.py). Every write and every read of
a single child's record is audited.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas import repository as areas
from app.auth.mandate import whole_id_number
from app.auth.principal import Principal
from app.children import merge, rules
from app.children import repository as repo
from app.children.projection import ID_CONTEXT as ID_CONTEXT  # the children's AES-GCM context
from app.children.projection import has_mandate, project_for_agency
from app.children.projection import id_number as whole_id
from app.children.schemas import ChildCreate, ChildPatch, RevokeRequest
from app.children.schooling import FULL_TIME_STAGES, normal_end
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.kit import audit, idnumber
from app.kit.clock import DISTRICT_TZ, month_of
from app.kit.crypto import KeyRing
from app.kit.etag import check_if_match, if_match_version
from app.ledger import repository as ledger_repo
from app.models import Child, ChildChange
from app.models.children import ON_LEDGER

REVEAL_ROLES = frozenset({"district_admin", "institution_staff"})
# Fields a change may touch (the ID number is handled on its own: encrypted, hashed, masked).
FIELDS = (
    "name",
    "gender",
    "birth_date",
    "category",
    "placement",
    "village_code",
    "approved_on",
    "parents",
    "guardians",
    "household_assistance",
    "serious_illness",
    "disability",
    "school_stage",
    "school_name",
    "school_enrolment_year",
    "school_expected_end_on",
    "insurance",
)
NOT_NULL = frozenset(
    {
        "name",
        "id_number",
        "gender",
        "birth_date",
        "category",
        "placement",
        "approved_on",
        "parents",
        "guardians",
        "household_assistance",
        "insurance",
    }
)
STATE_FIELDS = (
    "name",
    "id_number_masked",
    "gender",
    "birth_date",
    "category",
    "placement",
    "village_code",
    "approved_on",
    "status",
    "revoked_on",
    "revoke_reason",
)
_ID_REASON_EN = {
    "length": "The ID number must have 18 characters",
    "characters": "The first 17 characters must be digits, the last a digit or X",
    "division_code": "The division code of the ID number is not valid",
    "birth_date": "The birth date in the ID number is not valid",
    "check_char": "The check character of the ID number is wrong",
}


def today_of(now: datetime) -> date:
    return now.astimezone(DISTRICT_TZ).date()


def _json(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    return v


def facts_of(child: Child) -> dict[str, Any]:
    """The child's facts as the category rules read them."""
    return {f: _json(getattr(child, f)) for f in FIELDS}


def state_of(child: Child) -> dict[str, Any]:
    """The ledger-relevant state kept with every history entry (the month-end ledger reads it)."""
    return {f: _json(getattr(child, f)) for f in STATE_FIELDS}


def parse_id(raw: str, today: date, field: str = "id_number") -> idnumber.IdNumber:
    try:
        return idnumber.parse(raw, today=today)
    except idnumber.InvalidIdNumber as e:
        raise ValidationFailed(
            errors=[(field, str(e), _ID_REASON_EN.get(e.reason, "Invalid ID number"))],
            extra={"reason": e.reason},
        ) from None


def may_write(principal: Principal, placement: str) -> bool:
    if principal.has_role("district_admin"):
        return True
    return principal.has_role("institution_staff") and placement == "institution"


def _require_write(principal: Principal, *placements: str) -> None:
    if not all(may_write(principal, p) for p in placements):
        raise Forbidden(
            "当前角色无权修改该儿童记录（机构工作人员仅管理机构儿童）",
            "Your role may not write this child's record (institution staff: institution only)",
        )


@dataclass
class Checked:
    """What validation found besides errors: the review flags that remain, the illnesses a
    district admin accepted outside the list in this write (to audit)."""

    flags: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)


def _accept_illness(
    principal: Principal,
    parent: dict[str, Any],
    old: dict[str, Any] | None,
    index: int,
    illnesses: tuple[str, ...],
    today: date,
    checked: Checked,
) -> None:
    """An illness outside the district's list counts when a district admin accepts it with a
    reason: the acceptance is recorded on the fact (who, when, why) and audited. A director or
    supervisor may propose it; it is accepted when a district admin approves the proposal."""
    acceptance = parent.get("illness_acceptance")
    if acceptance is None:
        return
    illness = parent.get("illness")
    if (
        parent.get("situation") != "serious_illness"
        or not illness
        or rules.illness_on_list(illness, illnesses)
    ):
        parent["illness_acceptance"] = None  # nothing to accept
        return
    reason = str(acceptance.get("reason") or "").strip()
    at = f"parents.{index}.illness_acceptance"
    if not reason:
        raise ValidationFailed(errors=[(f"{at}.reason", "须说明认定理由", "Give a reason")])
    kept = (old or {}).get("illness_acceptance") if (old or {}).get("illness") == illness else None
    if isinstance(kept, dict) and kept.get("reason") == reason:
        parent["illness_acceptance"] = kept
        return
    if principal.has_role("village_director", "town_supervisor"):
        return  # a proposal: the acceptance is recorded when a district admin approves it
    if not principal.has_role("district_admin"):
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
    checked.accepted.append(
        {"relation": parent.get("relation"), "illness": illness, "reason": reason}
    )


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
    errors: list[tuple[str, str, str]] = []
    rule_codes: list[str] = []
    checked = Checked()
    illnesses = await repo.serious_illness_list(session, today)
    if values["placement"] == "dispersed":
        code = values.get("village_code")
        if not code:
            errors.append(
                ("village_code", "分散供养儿童须填写所在村居", "A dispersed child needs a village")
            )
        else:
            area = await areas.get(session, code)
            if area is None or area.level != "village":
                errors.append(
                    ("village_code", "村居代码不存在或不是村居级", "Not a known village code")
                )
    elif values.get("village_code") is not None:
        errors.append(
            ("village_code", "机构供养儿童不填写村居", "An institution child has no village_code")
        )
    relations = [p["relation"] for p in values["parents"]]
    if len(set(relations)) != len(relations):
        errors.append(("parents", "父亲、母亲各至多一条", "At most one father and one mother"))
    for i, p in enumerate(values["parents"]):
        if date.fromisoformat(p["since"]) > today:
            errors.append(
                (f"parents.{i}.since", "日期不能晚于今天", "The date cannot be in the future")
            )
    errors += _schooling_errors(values, today)
    if values["approved_on"] > today:
        errors.append(("approved_on", "批准日期不能晚于今天", "Cannot be in the future"))
    elif values["approved_on"] < values["birth_date"]:
        errors.append(("approved_on", "批准日期早于出生日期", "Before the birth date"))
    rests = values["category"] in rules.PARENT_CATEGORIES
    recategorised = before is None or before.get("category") != values["category"]
    old_parents = {p.get("relation"): p for p in (before or {}).get("parents") or []}
    for i, p in enumerate(values["parents"]):
        old = old_parents.get(p["relation"])
        if old is None or rules.fact_of(old) != rules.fact_of(p) or (rests and recategorised):
            for v in rules.fact_requirements(p, i, today, needs_evidence=rests):
                errors.append((v.field, v.message_zh, v.message_en))
                rule_codes.append(v.rule)
        _accept_illness(principal, p, old, i, illnesses, today, checked)
    known: set[tuple[str, str]] = set()
    if before is not None:
        known = {(v.field, v.rule) for v in rules.category_violations(before, today, illnesses)}
    for v in rules.category_violations(values, today, illnesses):
        if (v.field, v.rule) not in known and v.rule != "fact_in_future":
            errors.append((v.field, v.message_zh, v.message_en))
            rule_codes.append(v.rule)
    if errors:
        unique = list(dict.fromkeys(errors))
        raise ValidationFailed(
            errors=unique, extra={"rules": list(dict.fromkeys(rule_codes))} if rule_codes else None
        )
    previous = (before or {}).get("review_flags")
    checked.flags = rules.review_flags(values, today, illnesses, previous)
    return checked


def _audit_acceptances(
    session: AsyncSession, principal: Principal, child: Child, checked: Checked
) -> None:
    for a in checked.accepted:
        audit.record(session, principal, "child.illness_accept", "child", child.id, a)


def _schooling_errors(values: dict[str, Any], today: date) -> list[tuple[str, str, str]]:
    """The schooling's enrolment year and expected end: within the child's life, and only for a
    stage in school."""
    errors: list[tuple[str, str, str]] = []
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


def _agree_with_id(idn: idnumber.IdNumber, gender: str | None, birth: date | None) -> None:
    _agree(idn.gender, idn.birth_date, gender, birth)


def _agree(id_gender: str, id_birth: date, gender: str | None, birth: date | None) -> None:
    errors = []
    if gender is not None and gender != id_gender:
        errors.append(("gender", "性别与身份证号码不符", "Gender does not match the ID number"))
    if birth is not None and birth != id_birth:
        errors.append(
            ("birth_date", "出生日期与身份证号码不符", "Birth date does not match the ID number")
        )
    if errors:
        raise ValidationFailed(errors=errors)


async def _duplicate(session: AsyncSession, principal: Principal, existing: Child) -> Conflict:
    extra: dict[str, Any] = {"field": "id_number"}
    if await repo.is_visible(session, principal, existing.id):
        extra["existing_id"] = str(existing.id)
    return Conflict(
        "该身份证号码已有在册记录", "This ID number is already enrolled and active", extra=extra
    )


async def record_change(
    session: AsyncSession,
    child: Child,
    kind: str,
    principal: Principal | None,
    changes: list[dict[str, Any]],
    *,
    reason: str | None,
    effective_on: date | None,
    now: datetime,
) -> ChildChange:
    """Append a history entry; it counts in this month's ledger, or the next open one.

    The child is flushed first, so that the entry keeps the state and the version the change
    produced (the per-field merge of stale edits reads the versions, see merge.py).
    """
    await session.flush()
    entry = ChildChange(
        id=uuid.uuid4(),
        child_id=child.id,
        at=now,
        kind=kind,
        ledger_month=await ledger_repo.open_month(session, month_of(now)),
        actor_id=str(principal.id) if principal else None,
        actor_name=principal.name if principal else None,
        changes=changes,
        reason=reason,
        effective_on=effective_on,
        state=state_of(child),
        version=child.version,
    )
    session.add(entry)
    return entry


async def _insert_new(
    session: AsyncSession,
    principal: Principal,
    ring: KeyRing,
    idn: idnumber.IdNumber,
    values: dict[str, Any],
    flags: list[dict[str, Any]],
    *,
    reason: str | None,
    now: datetime,
) -> Child:
    """A new ledger child of checked `values`, its ID number encrypted, hashed and masked, and
    its `created` history entry; 409 when the ID number is enrolled and active already."""
    id_hash = ring.lookup_hash(idn.value)
    existing = await repo.find_active_by_hash(session, id_hash)
    if existing is not None:
        raise await _duplicate(session, principal, existing)
    child = Child(
        id=uuid.uuid4(),
        id_number_enc=ring.encrypt(idn.value, context=ID_CONTEXT),
        id_number_hash=id_hash,
        id_number_masked=idn.masked,
        status="active",
        created_by=principal.id,
        review_flags=flags,
        reverify_on=rules.reverify_on(values, flags),
        **values,
    )
    session.add(child)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        existing = await repo.find_active_by_hash(session, id_hash)
        if existing is None:
            raise
        raise await _duplicate(session, principal, existing) from None
    changes = [{"field": "id_number", "from": None, "to": idn.masked}] + [
        {"field": f, "from": None, "to": _json(values[f])}
        for f in FIELDS
        if values[f] not in (None, [], {})
    ]
    await record_change(
        session, child, "created", principal, changes, reason=reason,
        effective_on=values["approved_on"], now=now,
    )  # fmt: skip
    return child


async def create_child(
    session: AsyncSession, principal: Principal, ring: KeyRing, body: ChildCreate, now: datetime
) -> Child:
    """新增: enrol a child; the ID number is checked, encrypted, hashed and masked."""
    _require_write(principal, body.placement)
    today = today_of(now)
    idn = parse_id(body.id_number, today)
    _agree_with_id(idn, body.gender, body.birth_date)
    if rules.age_on(idn.birth_date, today) >= 18:
        raise ValidationFailed(
            errors=[("id_number", "该儿童已满18周岁", "The child is 18 or older")]
        )
    data = body.model_dump(mode="json")
    values: dict[str, Any] = {f: data.get(f) for f in FIELDS}
    values.update(
        gender=idn.gender,
        birth_date=idn.birth_date,
        approved_on=body.approved_on,
    )
    checked = await validate(session, principal, values, today)
    child = await _insert_new(
        session, principal, ring, idn, values, checked.flags, reason=None, now=now
    )
    audit.record(
        session,
        principal,
        "child.create",
        "child",
        child.id,
        {"category": child.category, "placement": child.placement},
    )
    _audit_acceptances(session, principal, child, checked)
    return child


async def enrol_from_guardianship(
    session: AsyncSession,
    principal: Principal,
    ring: KeyRing,
    *,
    name: str,
    id_number: str,
    category: str,
    approved_on: date,
    origin_id: uuid.UUID,
    now: datetime,
) -> Child:
    """新增 by the protection centre's discharge to long-term guardianship (art. 94): the child
    enters the ledger as an institution child, approved on the discharge date.

    The centre decided the enrolment (the protection domain judged the caller), so the ledger's
    writer check is not asked again. The facts the category rests on (the parents' situations)
    are rarely known at discharge: what the category rules miss is flagged in `review_flags`
    for completion, never demanded here. The ID number must be valid and not enrolled already
    (409, as for any enrolment).
    """
    today = today_of(now)
    idn = parse_id(id_number, today)
    values: dict[str, Any] = dict.fromkeys(FIELDS)
    values.update(
        name=name,
        gender=idn.gender,
        birth_date=idn.birth_date,
        category=category,
        placement="institution",
        approved_on=approved_on,
        parents=[],
        guardians=[],
        household_assistance="none",
        insurance={},
    )
    illnesses = await repo.serious_illness_list(session, today)
    flags = rules.review_flags(values, today, illnesses)
    child = await _insert_new(
        session, principal, ring, idn, values, flags,
        reason="protection_long_term_guardianship", now=now,
    )  # fmt: skip
    audit.record(
        session,
        principal,
        "child.create",
        "child",
        child.id,
        {"category": category, "placement": "institution", "protection_intake_id": str(origin_id)},
    )
    return child


async def get_child(
    session: AsyncSession, principal: Principal, child_id: uuid.UUID, *, for_update: bool = False
) -> Child:
    child = await repo.get_visible(session, principal, child_id, for_update=for_update)
    if child is None:
        raise NotFound("儿童记录不存在", "No such child")
    return child


def view(
    child: Child, principal: Principal, ring: KeyRing, *, reveal: bool = False
) -> dict[str, Any]:
    """The child as this caller sees it: projected for agencies; ID masked unless revealed."""
    if principal.kind == "agency":
        return project_for_agency(str(principal.agency), child, ring)
    out = {f: getattr(child, f) for f in (*FIELDS, *STATE_FIELDS[8:], "revoke_note")}
    out.update(
        id=child.id,
        status=child.status,
        schooling_ends_on=normal_end(
            child.school_stage, child.school_enrolment_year, child.school_expected_end_on
        ),
        version=child.version,
        created_at=child.created_at,
        updated_at=child.updated_at,
        id_number=child.id_number_masked,
        review_flags=child.review_flags or [],
        reverify_on=child.reverify_on,
    )
    if reveal:
        out["id_number"] = whole_id(child, ring)
    return out


def require_reader(principal: Principal) -> None:
    """Staff, or an agency whose token carries children:read and whose mandate covers children."""
    if principal.kind == "agency" and (
        "children:read" not in principal.scopes or not has_mandate(principal.agency)
    ):
        raise Forbidden(
            "需要 children:read 权限范围且属于相关部门",
            "Needs the children:read scope and a mandate that covers children",
        )


def audit_agency_list(session: AsyncSession, principal: Principal, children: list[Child]) -> None:
    """An agency's page of children is a read of each child's record: audited like one."""
    if principal.kind == "agency":
        ids = [str(c.id) for c in children]
        audit.record(
            session, principal, "child.list", "child", None, {"count": len(ids), "ids": ids}
        )


async def read_child(
    session: AsyncSession, principal: Principal, ring: KeyRing, child_id: uuid.UUID
) -> tuple[Child, dict[str, Any]]:
    """A single child's record; audited. District admins and institution staff see the whole ID,
    and so do the police among the agencies (for a child its open referrals concern)."""
    require_reader(principal)
    child = await get_child(session, principal, child_id)
    reveal = principal.kind == "user" and principal.role in REVEAL_ROLES
    revealed = reveal or (principal.kind == "agency" and whole_id_number(principal.agency))
    audit.record(
        session, principal, "child.read", "child", child.id, {"id_number_revealed": revealed}
    )
    return child, view(child, principal, ring, reveal=reveal)


def _diff(child: Child, values: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for f, new in values.items():
        old = _json(getattr(child, f))
        if old != _json(new):
            out.append({"field": f, "from": old, "to": _json(new)})
    return out


async def plan_patch(
    session: AsyncSession,
    principal: Principal,
    ring: KeyRing,
    child: Child,
    patch: ChildPatch,
    today: date,
) -> tuple[dict[str, Any], idnumber.IdNumber | None, Checked]:
    """Validate a change against the child's current facts; return the new values (not applied),
    the new ID number if it changes, and what validation found (review flags, acceptances)."""
    sent = patch.model_dump(mode="json", exclude_unset=True)
    sent.pop("reason", None)
    nulls = [f for f, v in sent.items() if v is None and f in NOT_NULL]
    if nulls:
        raise ValidationFailed(errors=[(f, "不能为空", "Cannot be null") for f in nulls])
    values = copy.deepcopy(facts_of(child))  # validation may complete the facts it is given
    before = dict(facts_of(child), review_flags=child.review_flags or [])
    for f in ("approved_on", "birth_date"):
        if f in sent:
            sent[f] = date.fromisoformat(sent[f])
    values.update({f: v for f, v in sent.items() if f != "id_number"})
    values["approved_on"] = sent.get("approved_on", child.approved_on)
    idn: idnumber.IdNumber | None = None
    if "id_number" in sent:
        idn = parse_id(sent["id_number"], today)
        values["gender"], values["birth_date"] = idn.gender, idn.birth_date
    values["gender"] = idn.gender if idn else child.gender
    values["birth_date"] = idn.birth_date if idn else child.birth_date
    _agree(values["gender"], values["birth_date"], sent.get("gender"), sent.get("birth_date"))
    if sent.get("placement") == "institution" and "village_code" not in sent:
        values["village_code"] = None
    _schooling_patch(child, sent, values)
    _require_write_or_propose(principal, child.placement, values["placement"])
    checked = await validate(session, principal, values, today, before)
    if idn is not None:
        existing = await repo.find_active_by_hash(
            session, ring.lookup_hash(idn.value), exclude=child.id
        )
        if existing is not None:
            raise await _duplicate(session, principal, existing)
    return values, idn, checked


def _schooling_patch(child: Child, sent: dict[str, Any], values: dict[str, Any]) -> None:
    """A new stage is a new schooling: the enrolment year and expected end of the previous one
    are cleared unless sent. A child in `continued_schooling` moving to another full-time stage
    must say when it began or ends, or the support would end unnoticed."""
    if "school_stage" not in sent or sent["school_stage"] == child.school_stage:
        return
    dated = ("school_enrolment_year", "school_expected_end_on")
    for f in dated:
        if f not in sent:
            values[f] = None
    if (
        child.status == "continued_schooling"
        and sent["school_stage"] in FULL_TIME_STAGES
        and all(values[f] is None for f in dated)
    ):
        raise ValidationFailed(
            errors=[
                (
                    "school_enrolment_year",
                    "年满18周岁仍在校保障的儿童更换学段时，须填写新学段的入学年份或预计毕业日期",
                    "A child in continued_schooling changing stage needs the new schooling's "
                    "school_enrolment_year or school_expected_end_on",
                )
            ]
        )


def _require_write_or_propose(principal: Principal, old: str, new: str) -> None:
    if principal.has_role("village_director", "town_supervisor"):
        if new != old and new != "dispersed":
            raise Forbidden("不能申请将儿童转入机构", "A proposal cannot move a child elsewhere")
        return
    _require_write(principal, old, new)


async def apply_patch(
    session: AsyncSession,
    principal: Principal,
    ring: KeyRing,
    child: Child,
    patch: ChildPatch,
    now: datetime,
    *,
    reason: str | None = None,
) -> Child:
    """变更: apply a validated change and keep it in the history with per-field from/to.

    A child past 18 is then settled against the rule of support after 18 in school (see
    continued.py): leaving school ends `continued_schooling` as an age-out."""
    from app.children import continued

    if child.status not in ON_LEDGER:
        raise Conflict("已撤销的记录不能修改", "A revoked record cannot be changed")
    values, idn, checked = await plan_patch(session, principal, ring, child, patch, today_of(now))
    child.review_flags = checked.flags
    child.reverify_on = rules.reverify_on(values, checked.flags)
    changes = _diff(child, values)
    if idn is not None and ring.lookup_hash(idn.value) != child.id_number_hash:
        changes.insert(0, {"field": "id_number", "from": child.id_number_masked, "to": idn.masked})
        child.id_number_enc = ring.encrypt(idn.value, context=ID_CONTEXT)
        child.id_number_hash = ring.lookup_hash(idn.value)
        child.id_number_masked = idn.masked
    if not changes:
        return child
    for c in changes:
        if c["field"] != "id_number":
            setattr(child, c["field"], values[c["field"]])
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(
            "该身份证号码已有在册记录",
            "This ID number is already enrolled",
            extra={"field": "id_number"},
        ) from None
    await record_change(
        session, child, "changed", principal, changes,
        reason=reason or patch.reason, effective_on=today_of(now), now=now,
    )  # fmt: skip
    audit.record(
        session,
        principal,
        "child.update",
        "child",
        child.id,
        {"fields": [c["field"] for c in changes]},
    )
    _audit_acceptances(session, principal, child, checked)
    await continued.settle(session, child, now, principal=principal)
    return child


async def update_child(
    session: AsyncSession,
    principal: Principal,
    ring: KeyRing,
    child_id: uuid.UUID,
    patch: ChildPatch,
    if_match: str | None,
    now: datetime,
) -> Child:
    """变更 with If-Match: on the current version, or merged field by field on an older one
    (409 `edit_conflict` when it touches a field changed since, see merge.py); 412 when the
    version it names never existed."""
    child = await get_child(session, principal, child_id, for_update=True)
    _require_write(principal, child.placement)
    base = if_match_version(if_match, child.version)
    if base != child.version:
        await merge.check_stale_edit(session, child, base, _edits(child, ring, patch))
    return await apply_patch(session, principal, ring, child, patch, now)


def _edits(child: Child, ring: KeyRing, patch: ChildPatch) -> dict[str, Any]:
    """The fields a change sends, valued as the history keeps them (the ID number masked, and
    left out when it is the record's own)."""
    edits = patch.model_dump(mode="json", exclude_unset=True)
    edits.pop("reason", None)
    raw = edits.pop("id_number", None)
    if raw is not None:
        value = idnumber.normalize(raw)
        if ring.lookup_hash(value) != child.id_number_hash:
            edits["id_number"] = idnumber.mask(value)
    return edits


async def revoke_child(
    session: AsyncSession,
    principal: Principal,
    child_id: uuid.UUID,
    body: RevokeRequest,
    if_match: str | None,
    now: datetime,
) -> Child:
    """撤销: the record stays, marked revoked with its reason and effective date."""
    child = await get_child(session, principal, child_id, for_update=True)
    _require_write(principal, child.placement)
    if if_match is not None:
        check_if_match(if_match, child.version)
    if child.status == "revoked":
        raise Conflict("该记录已撤销", "The record is already revoked")
    today = today_of(now)
    errors = []
    if body.effective_on > today:
        errors.append(("effective_on", "生效日期不能晚于今天", "Cannot be in the future"))
    elif body.effective_on < child.approved_on:
        errors.append(("effective_on", "生效日期早于批准日期", "Before the approval date"))
    if body.reason == "other" and not (body.note and body.note.strip()):
        errors.append(("note", "撤销原因为“其他”时须说明", "Explain the reason 'other'"))
    turns_18 = rules.birthday_at(child.birth_date, 18)
    if body.reason == "aged_out" and body.effective_on < turns_18:
        errors.append(
            ("effective_on", "生效日期早于儿童年满18周岁之日", "Before the 18th birthday")
        )
    if errors:
        raise ValidationFailed(errors=errors)
    before = state_of(child)
    child.status = "revoked"
    child.revoked_on = body.effective_on
    child.revoke_reason = body.reason
    child.revoke_note = body.note
    await session.flush()
    after = state_of(child)
    changes = [
        {"field": f, "from": before[f], "to": after[f]}
        for f in ("status", "revoked_on", "revoke_reason")
    ]
    await record_change(
        session, child, "revoked", principal, changes,
        reason=body.note or body.reason, effective_on=body.effective_on, now=now,
    )  # fmt: skip
    if (
        body.reason == "aged_out"
        and child.category == "orphan"
        and child.placement == "institution"
    ):
        await repo.enqueue_placement(session, child.id, turns_18)
    audit.record(session, principal, "child.revoke", "child", child.id, {"reason": body.reason})
    return child


async def child_history(
    session: AsyncSession, principal: Principal, child_id: uuid.UUID
) -> list[ChildChange]:
    if principal.kind != "user":
        raise Forbidden("仅限工作人员账户", "Staff accounts only")
    child = await get_child(session, principal, child_id)
    audit.record(session, principal, "child.history", "child", child.id)
    return await repo.history(session, child.id)
