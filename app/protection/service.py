"""受理: taking a child in, reading and editing the intake (Minors Protection Law art. 92).

A child is taken in at any hour, often without a name or an ID number: every fact of the child
may be absent; an ID number given is checked (GB 11643) and one identified child has one open
intake at a time. The police announce a child they bring (scope `protection:write`) and read
its status only. Every read is audited (a confidential intake's too, with who read it).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed
from app.kit import audit, idnumber
from app.kit.context import RequestContext
from app.kit.etag import check_if_match
from app.kit.pagination import Page, paginate
from app.kit.records import known
from app.models import ProtectionIntake, ProtectionPlacement
from app.protection import enrolment, views
from app.protection import repository as repo
from app.protection.enrolment import ID_CONTEXT, child_id_number
from app.protection.errors import IntakeClosed, IntakeNotFound, OpenIntakeExists
from app.protection.rules import CHILD_FACTS, confidential, day_of
from app.protection.schemas import (
    IntakeCreate,
    IntakeOut,
    IntakePatch,
    IntakeQuery,
    IntakeStatusOut,
)

FUTURE_TOLERANCE = timedelta(minutes=5)
ANNOUNCE_AHEAD = timedelta(hours=24)
"""The police may announce a child up to a day before it arrives (`admitted_at` ahead)."""

Errors = list[tuple[str, str, str]]


def _violated(exc: IntegrityError) -> str | None:
    return getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)


def check_child(
    facts: dict[str, Any], ctx: RequestContext, errors: Errors
) -> idnumber.IdNumber | None:
    """The child's facts as sent (a dict of `ChildKnown`'s fields): a valid ID number agreeing with
    the gender, a birth year of a minor. Returns the parsed ID number, if one was given."""
    parsed: idnumber.IdNumber | None = None
    raw = facts.get("id_number")
    if raw is not None:
        try:
            parsed = idnumber.parse(raw, today=ctx.today)
        except idnumber.InvalidIdNumber as exc:
            errors.append(("child.id_number", str(exc), f"Invalid ID number ({exc.reason})"))
        else:
            gender = facts.get("gender")
            if gender is not None and gender != parsed.gender:
                errors.append(
                    ("child.gender", "性别与身份证号码不符", "Gender disagrees with the ID number")
                )
            if ctx.today.year - parsed.birth_date.year > 18:
                errors.append(("child.id_number", "应为未成年人", "Must be a minor"))
    year = facts.get("estimated_birth_year")
    if year is not None and not ctx.today.year - 18 <= year <= ctx.today.year:
        errors.append(
            (
                "child.estimated_birth_year",
                "估计出生年份应为未成年人的出生年份",
                "The estimated birth year must be a minor's",
            )
        )
    return parsed


def _set_child(intake: ProtectionIntake, facts: dict[str, Any], ctx: RequestContext) -> None:
    for field in CHILD_FACTS:
        if field in facts:
            setattr(intake, f"child_{field}", facts[field])
    if "photo_refs" in facts:
        intake.child_photo_refs = list(facts["photo_refs"] or [])
    if "id_number" in facts:
        raw = facts["id_number"]
        if raw is None:
            intake.child_id_number_enc = intake.child_id_number_hash = None
            intake.child_id_number_masked = None
        else:
            value = idnumber.normalize(raw)
            intake.child_id_number_enc = ctx.keyring.encrypt(value, context=ID_CONTEXT)
            intake.child_id_number_hash = ctx.keyring.lookup_hash(value)
            intake.child_id_number_masked = idnumber.mask(value)
            if facts.get("gender") is None and intake.child_gender is None:
                intake.child_gender = idnumber.parse(value).gender


async def _open_conflict(
    session: AsyncSession, ctx: RequestContext, id_hash: str, exclude: uuid.UUID | None
) -> None:
    existing = await repo.open_for_hash(session, id_hash, exclude=exclude)
    if existing is not None:
        # the open intake's id only to staff who may read it (not another district's centre)
        staff = (
            ctx.actor.kind == "user" and await repo.get(session, ctx.actor, existing) is not None
        )
        raise OpenIntakeExists(
            "该儿童已有未结案的受理记录，请在原记录上继续",
            "This child already has an open intake; continue on it",
            errors=[("child.id_number", "该儿童已有未结案的受理", "An open intake exists")],
            extra={"existing_id": str(existing)} if staff else None,
        )


async def _judge_intake(
    session: AsyncSession, ctx: RequestContext, body: IntakeCreate
) -> dict[str, Any]:
    """The intake checked whole (422 with every error); returns the child's facts, those a
    reopening carries from the closed intake included. 409 if the child has an open intake."""
    errors: Errors = []
    facts = body.child.model_dump(exclude_unset=True)
    if body.previous_intake_id is not None:
        previous = await repo.get(session, ctx.actor, body.previous_intake_id)
        if previous is None or previous.status != "closed":
            errors.append(
                (
                    "previous_intake_id",
                    "须为已结案的受理记录",
                    "Must be a closed intake of the centre",
                )
            )
        else:
            facts = _carried_facts(previous, facts, ctx)
    idn = check_child(facts, ctx, errors)
    ahead = ANNOUNCE_AHEAD if ctx.actor.kind == "agency" else FUTURE_TOLERANCE
    if body.admitted_at > ctx.now + ahead:
        errors.append(("admitted_at", "受理时间不能晚于当前时间", "admitted_at is in the future"))
    if body.incident_id is not None and not await repo.incident_exists(session, body.incident_id):
        errors.append(("incident_id", "强制报告不存在", "No such incident"))
    if errors:
        raise ValidationFailed(errors=errors)
    if idn is not None:
        await _open_conflict(session, ctx, ctx.keyring.lookup_hash(idn.value), None)
    return facts


def _new_intake(body: IntakeCreate, ctx: RequestContext) -> ProtectionIntake:
    principal = ctx.actor
    health = None if body.health_check is None else body.health_check.model_dump(mode="json")
    return ProtectionIntake(
        id=body.id,
        status="open",
        kind=body.kind,
        basis=body.basis,
        admitted_at=body.admitted_at,
        brought_by=body.brought_by.model_dump(),
        found_at=body.found_at,
        child_photo_refs=[],
        health_check=health,
        incident_id=body.incident_id,
        previous_intake_id=body.previous_intake_id,
        announced_by_client_id=principal.id if principal.kind == "agency" else None,
        notes=body.notes,
        do_not_disclose_to=list(dict.fromkeys(body.do_not_disclose_to)),
        enrolment_flags=[],
        created_by=principal.name,
        district_code=intake_district(ctx),
    )


def intake_district(ctx: RequestContext) -> str:
    """The district whose centre takes the child: the caller's (a city's police client above
    the districts announces to the deployment's default district, DISTRICT_CODE)."""
    return ctx.actor.district_code or ctx.settings.district_code


async def _store_intake(
    session: AsyncSession, ctx: RequestContext, intake: ProtectionIntake
) -> None:
    """Insert the intake; a concurrent one of the same id or child is a 409."""
    session.add(intake)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        name = _violated(exc)
        if name == "pk_protection_intakes":
            raise Conflict("该编号的受理记录已存在", "An intake with this id exists") from None
        if name == "uq_protection_intakes_open_child" and intake.child_id_number_hash:
            await _open_conflict(session, ctx, intake.child_id_number_hash, intake.id)
        raise


async def create_intake(
    session: AsyncSession, ctx: RequestContext, body: IntakeCreate
) -> ProtectionIntake:
    """受理 a child (or the police's announcement of one): checked whole, stored at once; the
    child stays at the centre from the day of admission."""
    facts = await _judge_intake(session, ctx, body)
    intake = _new_intake(body, ctx)
    _set_child(intake, facts, ctx)
    await _store_intake(session, ctx, intake)
    session.add(
        ProtectionPlacement(
            id=uuid.uuid4(),
            intake_id=intake.id,
            setting="centre",
            start_on=day_of(body.admitted_at),
            recorded_at=ctx.now,
            recorded_by=ctx.actor.name,
        )
    )
    await session.flush()
    detail = {
        "kind": intake.kind,
        "basis": intake.basis,
        "confidential": confidential(intake.kind, intake.basis),
        "announced": ctx.actor.kind == "agency",
        "identified": intake.child_id_number_hash is not None,
    }
    audit.record(session, ctx, "protection_intake.create", "protection_intake", intake.id, detail)
    return intake


def _carried_facts(
    previous: ProtectionIntake, facts: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    """A reopening keeps what the earlier intake knew of the child, unless sent anew."""
    known: dict[str, Any] = {
        "name": previous.child_name,
        "gender": previous.child_gender,
        "estimated_birth_year": previous.child_estimated_birth_year,
        "description": previous.child_description,
        "photo_refs": list(previous.child_photo_refs or []),
        "id_number": child_id_number(previous, ctx),
    }
    return {k: v for k, v in known.items() if v not in (None, [])} | facts


async def list_intakes(
    session: AsyncSession, ctx: RequestContext, query: IntakeQuery
) -> Page[IntakeOut | IntakeStatusOut]:
    """The intakes the caller may see, in order of admission (the police: their own, status only)."""
    start, end = query.admitted_from, query.admitted_to
    if start and end and start > end:
        raise ValidationFailed(
            errors=[("admitted_to", "截止时间早于起始时间", "admitted_to is before admitted_from")]
        )
    stmt = repo.list_stmt(
        ctx.actor, status=query.status, kind=query.kind, admitted_from=start, admitted_to=end
    )
    keys = [ProtectionIntake.admitted_at, ProtectionIntake.id]
    rows, nxt = await paginate(session, stmt, keys, limit=query.limit, cursor=query.cursor)
    items = await views.views(session, ctx.actor, rows)
    audit.record(
        session,
        ctx,
        "protection_intake.list",
        "protection_intake",
        None,
        {
            "ids": [str(r.id) for r in rows],
            "confidential": [str(r.id) for r in rows if confidential(r.kind, r.basis)],
            "filters": {"status": query.status, "kind": query.kind},
        },
    )
    return Page(items=items, next_cursor=nxt)


async def read_intake(
    session: AsyncSession, ctx: RequestContext, intake_id: uuid.UUID
) -> tuple[IntakeOut | IntakeStatusOut, int]:
    """One intake, as the caller may see it; the read is audited (who read what, and whether a
    confidential intake's protected fields were shown)."""
    intake = known(await repo.get(session, ctx.actor, intake_id), IntakeNotFound)
    out = await views.view(session, ctx.actor, intake)
    audit.record(
        session,
        ctx,
        "protection_intake.read",
        "protection_intake",
        intake.id,
        {
            "confidential": confidential(intake.kind, intake.basis),
            "withheld": list(getattr(out, "withheld", [])),
            "view": "status" if isinstance(out, IntakeStatusOut) else "full",
        },
    )
    return out, intake.version


def _id_gender(intake: ProtectionIntake) -> str | None:
    """The gender the recorded ID number says (its 17th character stays visible when masked)."""
    masked = intake.child_id_number_masked
    if masked is None or len(masked) != 18 or not masked[16].isdigit():
        return None
    return "male" if int(masked[16]) % 2 else "female"


REQUIRED = frozenset({"kind", "basis", "brought_by"})
CHILD_IDENTITY = frozenset({"child"})


async def update_intake(
    session: AsyncSession,
    ctx: RequestContext,
    intake_id: uuid.UUID,
    body: IntakePatch,
    if_match: str | None,
) -> ProtectionIntake:
    """A change of an open intake (If-Match). A closed one changes no more, except the child's
    identity while its long-term guardianship waits for it to enrol the child on the ledger."""
    intake = known(await repo.get(session, ctx.actor, intake_id, lock=True), IntakeNotFound)
    check_if_match(if_match, intake.version)
    sent = body.model_dump(mode="json", exclude_unset=True)
    errors: Errors = []
    if not sent:
        errors.append(("body", "没有要修改的字段", "Nothing to change"))
    for field in REQUIRED & sent.keys():
        if sent[field] is None:
            errors.append((field, "该字段不能为空", "This field cannot be null"))
    if intake.status == "closed" and not (
        intake.enrolment == "pending" and set(sent) <= CHILD_IDENTITY
    ):
        raise IntakeClosed(
            "已结案的受理不能修改（重新受理请新建并关联原记录）",
            "A closed intake does not change (a reopening is a new intake linked to it)",
        )
    facts = sent.get("child") or {}
    idn = check_child(facts, ctx, errors) if facts else None
    recorded = None if "id_number" in facts else _id_gender(intake)
    if facts.get("gender") and recorded is not None and facts["gender"] != recorded:
        errors.append(
            ("child.gender", "性别与身份证号码不符", "Gender disagrees with the ID number")
        )
    reviewed = body.reviewed_on
    if reviewed is not None and not day_of(intake.admitted_at) <= reviewed <= ctx.today:
        errors.append(
            ("reviewed_on", "评估日期须在受理之后且不晚于今天", "Between admission and today")
        )
    if errors:
        raise ValidationFailed(errors=errors)
    if idn is not None:
        await _open_conflict(session, ctx, ctx.keyring.lookup_hash(idn.value), intake.id)
    if facts:
        _set_child(intake, facts, ctx)
    for field in ("kind", "basis", "found_at", "notes"):
        if field in sent:
            setattr(intake, field, sent[field])
    if "brought_by" in sent:
        intake.brought_by = sent["brought_by"]
    if "health_check" in sent:
        intake.health_check = sent["health_check"]
    if "do_not_disclose_to" in sent:
        intake.do_not_disclose_to = list(dict.fromkeys(sent["do_not_disclose_to"] or []))
    if "care_plan" in sent:
        intake.care_plan = sent["care_plan"]
        if sent["care_plan"] is not None and intake.care_plan_at is None:
            intake.care_plan_at = ctx.now
    if reviewed is not None:
        last = intake.last_reviewed_on
        intake.last_reviewed_on = reviewed if last is None else max(last, reviewed)
    await session.flush()
    if intake.status == "closed" and intake.enrolment == "pending":
        await enrolment.enrol(session, ctx, intake)
    audit.record(
        session,
        ctx,
        "protection_intake.update",
        "protection_intake",
        intake.id,
        {"fields": sorted(sent)},
    )
    return intake
