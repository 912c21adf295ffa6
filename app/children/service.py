"""困境儿童台账 records: enrolment 新增, change 变更, revocation 撤销 — each kept as history.

Who may write: district admins every child; institution staff the institute's children
(app/children/auth.py). Village directors and town supervisors propose changes (see
proposals.py). Every write and every read of a single child's record is audited. The lists are
in lists.py, the rules a write is checked against in validation.py.
"""

from __future__ import annotations

import copy
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.mandate import whole_id_number
from app.auth.principal import Principal
from app.children import merge, rules
from app.children import repository as repo
from app.children.auth import PROPOSERS, REVEALERS, require_staff, require_write
from app.children.errors import ChildNotFound
from app.children.fields import (
    FIELDS,
    NOT_NULL,
    facts_of,
    json_value,
    revocation_changes,
    state_of,
)
from app.children.projection import ID_CONTEXT, answer_json, has_mandate, view
from app.children.schemas import ChildCreate, ChildPatch, RevokeRequest
from app.children.schooling import FULL_TIME_STAGES
from app.children.validation import Checked, agree, parse_id, validate
from app.errors import Conflict, Forbidden, ValidationFailed
from app.kit import audit, idnumber
from app.kit.audit_batch import write_read
from app.kit.clock import DISTRICT_TZ, month_of
from app.kit.context import RequestContext
from app.kit.crypto import KeyRing
from app.kit.etag import check_if_match, if_match_version
from app.kit.lean import driver_connection
from app.kit.records import known
from app.ledger import repository as ledger_repo
from app.models import Child, ChildChange
from app.models.children import ON_LEDGER


def today_of(now: datetime) -> date:
    return now.astimezone(DISTRICT_TZ).date()


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
        ledger_month=await ledger_repo.open_month(session, child.district_code, month_of(now)),
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


def _audit_acceptances(
    session: AsyncSession, ctx: RequestContext, child: Child, checked: Checked
) -> None:
    for a in checked.accepted:
        audit.record(session, ctx, "child.illness_accept", "child", child.id, a)


async def _duplicate(session: AsyncSession, principal: Principal, existing: Child) -> Conflict:
    extra: dict[str, Any] = {"field": "id_number"}
    if await repo.is_visible(session, principal, existing.id):
        extra["existing_id"] = str(existing.id)
    return Conflict(
        "该身份证号码已有在册记录", "This ID number is already enrolled and active", extra=extra
    )


# ------------------------------------------------------------------------------- enrolment


async def create_child(session: AsyncSession, ctx: RequestContext, body: ChildCreate) -> Child:
    """新增: enrol a child; the ID number is checked, encrypted, hashed and masked."""
    principal = ctx.actor
    require_write(principal, body.placement)
    idn, values = _enrolment_values(body, ctx.today)
    checked = await validate(session, principal, values, ctx.today)
    child = await _store_new_child(session, ctx, idn, values, checked.flags)
    await _record_created(session, ctx, child, idn, values, reason=None)
    _audit_create(session, ctx, child)
    _audit_acceptances(session, ctx, child, checked)
    return child


def _enrolment_values(body: ChildCreate, today: date) -> tuple[idnumber.IdNumber, dict[str, Any]]:
    """The ID number parsed (agreeing with the gender and birth date stated, of a minor) and the
    record's values, gender and birth date taken from the ID number."""
    idn = parse_id(body.id_number, today)
    agree(idn.gender, idn.birth_date, body.gender, body.birth_date)
    if rules.age_on(idn.birth_date, today) >= 18:
        raise ValidationFailed(
            errors=[("id_number", "该儿童已满18周岁", "The child is 18 or older")]
        )
    data = body.model_dump(mode="json")
    values: dict[str, Any] = {f: data.get(f) for f in FIELDS}
    values.update(gender=idn.gender, birth_date=idn.birth_date, approved_on=body.approved_on)
    return idn, values


async def _store_new_child(
    session: AsyncSession,
    ctx: RequestContext,
    idn: idnumber.IdNumber,
    values: dict[str, Any],
    flags: list[dict[str, Any]],
) -> Child:
    """Insert the record, unless the ID number is already on the ledger (409, also when a
    concurrent enrolment of the same number wins the race)."""
    ring, principal = ctx.keyring, ctx.actor
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
    if principal.district_code is not None:
        # the writer's district (an institute child's); a village's district wins (trigger)
        child.district_code = principal.district_code
    session.add(child)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        existing = await repo.find_active_by_hash(session, id_hash)
        if existing is None:
            raise
        raise await _duplicate(session, principal, existing) from None
    return child


async def enrol_from_guardianship(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    name: str,
    id_number: str,
    category: str,
    approved_on: date,
    origin_id: uuid.UUID,
) -> Child:
    """新增 by the protection centre's discharge to long-term guardianship (art. 94): the child
    enters the ledger as an institution child, approved on the discharge date.

    The centre decided the enrolment (the protection domain judged the caller), so the ledger's
    writer check is not asked again. The facts the category rests on (the parents' situations)
    are rarely known at discharge: what the category rules miss is flagged in `review_flags`
    for completion, never demanded here. The ID number must be valid and not enrolled already
    (409, as for any enrolment).
    """
    idn = parse_id(id_number, ctx.today)
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
    illnesses = await repo.serious_illness_list(session, ctx.today, ctx.actor.district_code)
    flags = rules.review_flags(values, ctx.today, illnesses)
    child = await _store_new_child(session, ctx, idn, values, flags)
    await _record_created(
        session, ctx, child, idn, values, reason="protection_long_term_guardianship"
    )
    _audit_create(session, ctx, child, protection_intake_id=str(origin_id))
    return child


async def _record_created(
    session: AsyncSession,
    ctx: RequestContext,
    child: Child,
    idn: idnumber.IdNumber,
    values: dict[str, Any],
    *,
    reason: str | None,
) -> None:
    """The new record's `created` history entry: every field it was enrolled with."""
    changes = [{"field": "id_number", "from": None, "to": idn.masked}] + [
        {"field": f, "from": None, "to": json_value(values[f])}
        for f in FIELDS
        if values[f] not in (None, [], {})
    ]
    await record_change(
        session, child, "created", ctx.actor, changes, reason=reason,
        effective_on=values["approved_on"], now=ctx.now,
    )  # fmt: skip


# ------------------------------------------------------------------------------- reads


async def get_child(
    session: AsyncSession, principal: Principal, child_id: uuid.UUID, *, for_update: bool = False
) -> Child:
    return known(
        await repo.get_visible(session, principal, child_id, for_update=for_update), ChildNotFound
    )


def require_reader(principal: Principal) -> None:
    """Staff, or an agency whose token carries children:read and whose mandate covers children."""
    if principal.kind == "agency" and (
        "children:read" not in principal.scopes or not has_mandate(principal.agency)
    ):
        raise Forbidden(
            "需要 children:read 权限范围且属于相关部门",
            "Needs the children:read scope and a mandate that covers children",
        )


async def read_child(state: Any, ctx: RequestContext, child_id: uuid.UUID) -> tuple[int, bytes]:
    """A single child's record, audited: its version (the ETag) and its JSON. District admins
    and institution staff see the whole ID, and so do the police among the agencies (for a
    child its open referrals concern).

    A lean read (app.kit.lean): one SELECT on a pooled connection, no session; the entry is
    committed in the chain by the group commit (app.kit.audit_batch) before this returns, so
    the answer never leaves without it (and a batch that fails is this read's 500)."""
    principal = ctx.actor
    require_reader(principal)
    async with driver_connection(state) as conn:
        child = await repo.lean_visible(conn, principal, child_id)
    if child is None:
        raise ChildNotFound()
    reveal = principal.kind == "user" and principal.role in REVEALERS
    revealed = reveal or (principal.kind == "agency" and whole_id_number(principal.agency))
    body = answer_json(view(child, ctx, reveal=reveal))
    await write_read(
        state, audit.entry(ctx, "child.read", "child", child.id, {"id_number_revealed": revealed})
    )
    return child.version, body


async def child_history(
    session: AsyncSession, ctx: RequestContext, child_id: uuid.UUID
) -> list[ChildChange]:
    require_staff(ctx.actor)
    child = await get_child(session, ctx.actor, child_id)
    audit.record(session, ctx, "child.history", "child", child.id)
    return await repo.history(session, child.id)


# ------------------------------------------------------------------------------- changes


def _diff(child: Child, values: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for f, new in values.items():
        old = json_value(getattr(child, f))
        if old != json_value(new):
            out.append({"field": f, "from": old, "to": json_value(new)})
    return out


async def plan_patch(
    session: AsyncSession, ctx: RequestContext, child: Child, patch: ChildPatch
) -> tuple[dict[str, Any], idnumber.IdNumber | None, Checked]:
    """Validate a change against the child's current facts; return the new values (not applied),
    the new ID number if it changes, and what validation found (review flags, acceptances)."""
    principal, today = ctx.actor, ctx.today
    sent = patch.model_dump(mode="json", exclude_unset=True)
    sent.pop("reason", None)
    nulls = [f for f, v in sent.items() if v is None and f in NOT_NULL]
    if nulls:
        raise ValidationFailed(errors=[(f, "不能为空", "Cannot be null") for f in nulls])
    values, idn = _patched_values(child, sent, today)
    _schooling_patch(child, sent, values)
    _require_write_or_propose(principal, child.placement, values["placement"])
    before = dict(facts_of(child), review_flags=child.review_flags or [])
    checked = await validate(session, principal, values, today, before)
    if idn is not None:
        existing = await repo.find_active_by_hash(
            session, ctx.keyring.lookup_hash(idn.value), exclude=child.id
        )
        if existing is not None:
            raise await _duplicate(session, principal, existing)
    return values, idn, checked


def _patched_values(
    child: Child, sent: dict[str, Any], today: date
) -> tuple[dict[str, Any], idnumber.IdNumber | None]:
    """The child's facts with the change laid over them; gender and birth date from the (new)
    ID number, agreeing with those sent."""
    values = copy.deepcopy(facts_of(child))  # validation may complete the facts it is given
    for f in ("approved_on", "birth_date"):
        if f in sent:
            sent[f] = date.fromisoformat(sent[f])
    values.update({f: v for f, v in sent.items() if f != "id_number"})
    values["approved_on"] = sent.get("approved_on", child.approved_on)
    idn = parse_id(sent["id_number"], today) if "id_number" in sent else None
    values["gender"] = idn.gender if idn else child.gender
    values["birth_date"] = idn.birth_date if idn else child.birth_date
    agree(values["gender"], values["birth_date"], sent.get("gender"), sent.get("birth_date"))
    if sent.get("placement") == "institution" and "village_code" not in sent:
        values["village_code"] = None
    return values, idn


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
    if principal.has_role(*PROPOSERS):
        if new != old and new != "dispersed":
            raise Forbidden("不能申请将儿童转入机构", "A proposal cannot move a child elsewhere")
        return
    require_write(principal, old, new)


async def apply_patch(
    session: AsyncSession,
    ctx: RequestContext,
    child: Child,
    patch: ChildPatch,
    *,
    reason: str | None = None,
) -> Child:
    """变更: apply a validated change and keep it in the history with per-field from/to.

    A child past 18 is then settled against the rule of support after 18 in school (see
    continued.py): leaving school ends `continued_schooling` as an age-out."""
    from app.children import continued

    if child.status not in ON_LEDGER:
        raise Conflict("已撤销的记录不能修改", "A revoked record cannot be changed")
    values, idn, checked = await plan_patch(session, ctx, child, patch)
    child.review_flags = checked.flags
    child.reverify_on = rules.reverify_on(values, checked.flags)
    changes = _diff(child, values)
    if idn is not None and ctx.keyring.lookup_hash(idn.value) != child.id_number_hash:
        changes.insert(0, {"field": "id_number", "from": child.id_number_masked, "to": idn.masked})
        _set_id_number(child, ctx.keyring, idn)
    if not changes:
        return child
    await _store_changes(session, child, values, changes)
    await record_change(
        session, child, "changed", ctx.actor, changes,
        reason=reason or patch.reason, effective_on=ctx.today, now=ctx.now,
    )  # fmt: skip
    fields = [c["field"] for c in changes]
    audit.record(session, ctx, "child.update", "child", child.id, {"fields": fields})
    _audit_acceptances(session, ctx, child, checked)
    await continued.settle(session, child, ctx.now, ctx=ctx)
    return child


def _set_id_number(child: Child, ring: KeyRing, idn: idnumber.IdNumber) -> None:
    child.id_number_enc = ring.encrypt(idn.value, context=ID_CONTEXT)
    child.id_number_hash = ring.lookup_hash(idn.value)
    child.id_number_masked = idn.masked


async def _store_changes(
    session: AsyncSession, child: Child, values: dict[str, Any], changes: list[dict[str, Any]]
) -> None:
    """Set the changed fields; 409 when the new ID number is enrolled meanwhile."""
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


async def update_child(
    session: AsyncSession,
    ctx: RequestContext,
    child_id: uuid.UUID,
    patch: ChildPatch,
    if_match: str | None,
) -> Child:
    """变更 with If-Match: on the current version, or merged field by field on an older one
    (409 `edit_conflict` when it touches a field changed since, see merge.py); 412 when the
    version it names never existed."""
    child = await get_child(session, ctx.actor, child_id, for_update=True)
    require_write(ctx.actor, child.placement)
    base = if_match_version(if_match, child.version)
    if base != child.version:
        await merge.check_stale_edit(session, child, base, _edits(child, ctx.keyring, patch))
    return await apply_patch(session, ctx, child, patch)


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


# ------------------------------------------------------------------------------- revocation


async def revoke_child(
    session: AsyncSession,
    ctx: RequestContext,
    child_id: uuid.UUID,
    body: RevokeRequest,
    if_match: str | None,
) -> Child:
    """撤销: the record stays, marked revoked with its reason and effective date."""
    child = await get_child(session, ctx.actor, child_id, for_update=True)
    require_write(ctx.actor, child.placement)
    if if_match is not None:
        check_if_match(if_match, child.version)
    if child.status == "revoked":
        raise Conflict("该记录已撤销", "The record is already revoked")
    turns_18 = rules.birthday_at(child.birth_date, 18)
    _check_revocation(child, body, ctx.today, turns_18)
    before = state_of(child)
    child.status = "revoked"
    child.revoked_on = body.effective_on
    child.revoke_reason = body.reason
    child.revoke_note = body.note
    await session.flush()
    await record_change(
        session, child, "revoked", ctx.actor, revocation_changes(before, state_of(child)),
        reason=body.note or body.reason, effective_on=body.effective_on, now=ctx.now,
    )  # fmt: skip
    if (
        body.reason == "aged_out"
        and child.category == "orphan"
        and child.placement == "institution"
    ):
        await repo.enqueue_placement(session, child.id, turns_18)
    audit.record(session, ctx, "child.revoke", "child", child.id, {"reason": body.reason})
    return child


def _check_revocation(child: Child, body: RevokeRequest, today: date, turns_18: date) -> None:
    """Effective between the approval (the 18th birthday for an age-out) and today; the reason
    'other' explained."""
    errors = []
    if body.effective_on > today:
        errors.append(("effective_on", "生效日期不能晚于今天", "Cannot be in the future"))
    elif body.effective_on < child.approved_on:
        errors.append(("effective_on", "生效日期早于批准日期", "Before the approval date"))
    if body.reason == "other" and not (body.note and body.note.strip()):
        errors.append(("note", "撤销原因为“其他”时须说明", "Explain the reason 'other'"))
    if body.reason == "aged_out" and body.effective_on < turns_18:
        errors.append(
            ("effective_on", "生效日期早于儿童年满18周岁之日", "Before the 18th birthday")
        )
    if errors:
        raise ValidationFailed(errors=errors)


def _audit_create(session: AsyncSession, ctx: RequestContext, child: Child, **origin: str) -> None:
    """The audit of a child put on the ledger (and of the record it came from)."""
    detail = {"category": child.category, "placement": child.placement} | origin
    audit.record(session, ctx, "child.create", "child", child.id, detail)
