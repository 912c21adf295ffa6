"""爱心妈妈: caring mothers, their pairings with children, contacts, and the children's wishes.

Rules (source in brackets):
- a caring mother is never paired without a clear art. 62 record query that is still valid
  today (Minors Protection Law art. 62; `app.kit.record_check`, validity RECORD_CHECK_VALID_MONTHS);
- a pairing needs the child's and the guardian's consent (issue 24: "children who wish it");
  the child must be on the ledger (not revoked) and the caller's; one active pairing of the same
  mother and child (rule we set);
- contacts are recorded under a client UUID, as visits are: the same id and body again is the
  stored contact (200), another body 409; only on an active pairing, on a day between its start
  and today;
- an active pairing without a contact for PAIRING_CONTACT_GAP_MONTHS (default 2) is listed;
- a child's wish for a caring mother is recorded once (`caring_mother_wishes`); a wish of a child
  still on the ledger without an active pairing is listed as unmatched.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.children.errors import ChildNotFound
from app.errors import ValidationFailed
from app.kit import audit, idempotency
from app.kit.context import RequestContext
from app.kit.pagination import Page
from app.kit.record_check import (
    RecordCheck,
    check_fields,
    reject_future,
    require_clear,
    valid_until,
)
from app.kit.records import add_audited, known, out_of
from app.models import (
    CaringMother,
    CaringMotherContact,
    CaringMotherPairing,
    CaringMotherWish,
    Child,
)
from app.programmes.federation import is_federation
from app.programmes.mothers import repository as repo
from app.programmes.mothers.errors import (
    ContactIdConflict,
    MotherNotFound,
    PairingEnded,
    PairingExists,
    PairingNotFound,
    WishExists,
)
from app.programmes.mothers.schemas import (
    Consent,
    ContactCreate,
    ContactOut,
    MotherBrief,
    MotherCreate,
    MotherOut,
    PairingCreate,
    PairingEnd,
    PairingFederationOut,
    PairingOut,
    WishCreate,
    WishOut,
)

Outcome = Literal["created", "duplicate"]


def _not_after_today(ctx: RequestContext, field: str, day: date) -> list[tuple[str, str, str]]:
    if day > ctx.today:
        return [(field, "日期不能晚于今天", "The date cannot be in the future")]
    return []


# -- mothers -----------------------------------------------------------------------------------


def mother_out(ctx: RequestContext, mother: CaringMother, active: int) -> MotherOut:
    checked = check_fields(mother, ctx.today, ctx.settings.record_check_valid_months)
    # The programme answers the standing in its own schema (the same fields).
    standing = checked.pop("record_check_standing").model_dump()
    return out_of(
        MotherOut, mother, active_pairings=active, record_check_standing=standing, **checked
    )


async def create_mother(
    session: AsyncSession, ctx: RequestContext, body: MotherCreate
) -> tuple[MotherOut, uuid.UUID]:
    """Register a caring mother (her record check may come later; she is not paired without it)."""
    if body.record_check is not None:
        reject_future(body.record_check, ctx.today)
    mother = CaringMother(
        id=uuid.uuid4(),
        **body.model_dump(exclude={"record_check"}),
        created_at=ctx.now,
        created_by=ctx.actor.name,
        district_code=ctx.actor.district_code or ctx.settings.district_code,
        **(body.record_check.columns() if body.record_check else {}),
    )
    detail = {"record_check": body.record_check.result if body.record_check else None}
    await add_audited(session, ctx, mother, "caring_mother.create", "caring_mother", detail)
    return mother_out(ctx, mother, 0), mother.id


async def renew_record_check(
    session: AsyncSession, ctx: RequestContext, mother_id: uuid.UUID, check: RecordCheck
) -> MotherOut:
    """Record a new art. 62 query of the mother (it replaces the previous one; a query that found
    a record stops new pairings — the active ones are for the bureau to end)."""
    reject_future(check, ctx.today, field="queried_on")  # the body is the check itself
    mother = known(await repo.mother(session, ctx.actor, mother_id, lock=True), MotherNotFound)
    for column, value in check.columns().items():
        setattr(mother, column, value)
    await session.flush()
    audit.record(
        session,
        ctx,
        "caring_mother.record_check",
        "caring_mother",
        mother.id,
        {"result": check.result, "queried_on": str(check.queried_on)},
    )
    active = await repo.active_pairings(session, [mother.id])
    return mother_out(ctx, mother, active.get(mother.id, 0))


async def list_mothers(
    session: AsyncSession, ctx: RequestContext, *, limit: int, cursor: str | None
) -> Page[MotherOut]:
    mothers, next_cursor = await repo.mothers_page(session, ctx.actor, limit=limit, cursor=cursor)
    active = await repo.active_pairings(session, [m.id for m in mothers])
    return Page(
        items=[mother_out(ctx, m, active.get(m.id, 0)) for m in mothers], next_cursor=next_cursor
    )


# -- pairings ----------------------------------------------------------------------------------


def _pairing_out(row: Any) -> PairingOut:
    p: CaringMotherPairing = row[0]
    return out_of(
        PairingOut,
        p,
        mother=MotherBrief(id=p.mother_id, name=row.mother_name, organisation=row.organisation),
        child_name=row.child_name,
        village_code=row.village_code,
        consent=Consent(child=p.consent_child, guardian=p.consent_guardian),
        last_contact_on=row.last_contact_on,
        contacts=int(row.contacts),
    )


def _federation_out(row: Any) -> PairingFederationOut:
    p: CaringMotherPairing = row[0]
    return out_of(
        PairingFederationOut,
        p,
        mother_name=row.mother_name,
        organisation=row.organisation,
        child_name=row.child_name,
        child_gender=row.child_gender,
        town_code=row.town_code,
        last_contact_on=row.last_contact_on,
        contacts=int(row.contacts),
    )


async def pairing_answer(session: AsyncSession, pairing_id: uuid.UUID) -> PairingOut:
    (row,) = await repo.pairing_rows(session, [pairing_id])
    return _pairing_out(row)


def _judge_pairing(ctx: RequestContext, child: Child, body: PairingCreate) -> None:
    errors: list[tuple[str, str, str]] = []
    if child.status == "revoked":
        errors.append(("child_id", "该儿童已退出台账", "The child has left the ledger"))
    errors += _not_after_today(ctx, "since", body.since)
    if body.since < child.approved_on:
        errors.append(
            (
                "since",
                f"结对日期早于该儿童纳入台账的日期 {child.approved_on.isoformat()}",
                f"The pairing starts before the child's enrolment on {child.approved_on}",
            )
        )
    if not body.consent.child:
        errors.append(("consent.child", "须经儿童本人同意", "The child must agree"))
    if not body.consent.guardian:
        errors.append(("consent.guardian", "须经监护人同意", "The guardian must agree"))
    if errors:
        raise ValidationFailed(errors=errors)


async def create_pairing(
    session: AsyncSession, ctx: RequestContext, mother_id: uuid.UUID, body: PairingCreate
) -> PairingOut:
    """Pair a caring mother with a child of the caller's (art. 62 check, consent, one active
    pairing of the pair)."""
    mother = known(
        await repo.mother(session, ctx.actor, mother_id, lock=True), MotherNotFound
    )  # serialises her pairings
    child = known(await repo.readable_child(session, ctx.actor, body.child_id), ChildNotFound)
    _judge_pairing(ctx, child, body)
    require_clear(
        RecordCheck.from_columns(mother),
        ctx.today,
        ctx.settings.record_check_valid_months,
        field="record_check",
        person_id=str(mother.id),
    )
    if await repo.active_pairing_of(session, mother.id, child.id) is not None:
        raise PairingExists()
    pairing = CaringMotherPairing(
        id=uuid.uuid4(),
        mother_id=mother.id,
        child_id=child.id,
        since=body.since,
        consent_child=body.consent.child,
        consent_guardian=body.consent.guardian,
        status="active",
        created_at=ctx.now,
        created_by=ctx.actor.name,
    )
    detail = {"mother_id": str(mother.id), "child_id": str(child.id), "since": str(body.since)}
    await add_audited(session, ctx, pairing, "pairing.create", "pairing", detail)
    return await pairing_answer(session, pairing.id)


async def _writable_pairing(
    session: AsyncSession, ctx: RequestContext, pairing_id: uuid.UUID
) -> CaringMotherPairing:
    return known(await repo.pairing(session, ctx.actor, pairing_id, lock=True), PairingNotFound)


async def end_pairing(
    session: AsyncSession, ctx: RequestContext, pairing_id: uuid.UUID, body: PairingEnd
) -> PairingOut:
    """End an active pairing (once; again → 409)."""
    pairing = await _writable_pairing(session, ctx, pairing_id)
    if pairing.status != "active":
        raise PairingEnded()
    errors = _not_after_today(ctx, "ended_on", body.ended_on)
    if body.ended_on < pairing.since:
        errors.append(("ended_on", "结束日期早于结对日期", "The end is before the pairing began"))
    if errors:
        raise ValidationFailed(errors=errors)
    pairing.status, pairing.ended_on, pairing.end_reason = "ended", body.ended_on, body.reason
    await session.flush()
    audit.record(
        session, ctx, "pairing.end", "pairing", pairing.id, {"ended_on": str(body.ended_on)}
    )
    return await pairing_answer(session, pairing.id)


async def _audit_list(session: AsyncSession, ctx: RequestContext, rows: list[Any]) -> None:
    """A page of pairings names children: a read of their records, audited."""
    ids = [str(r[0].child_id) for r in rows]
    audit.record(
        session, ctx, "pairing.list", "pairing", None, {"count": len(ids), "child_ids": ids}
    )


async def list_pairings(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    status: str | None,
    child_id: uuid.UUID | None,
    mother_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[PairingOut] | Page[PairingFederationOut]:
    """The caller's pairings; the women's federation reads its whole programme, projected."""
    federation = is_federation(ctx.actor)
    pairings, next_cursor = await repo.pairings_page(
        session,
        ctx.actor,
        everyone=federation,
        status=status,
        child_id=child_id,
        mother_id=mother_id,
        limit=limit,
        cursor=cursor,
    )
    rows = await repo.pairing_rows(session, [p.id for p in pairings])
    await _audit_list(session, ctx, rows)
    if federation:
        return Page[PairingFederationOut](
            items=[_federation_out(r) for r in rows], next_cursor=next_cursor
        )
    return Page[PairingOut](items=[_pairing_out(r) for r in rows], next_cursor=next_cursor)


def contact_cutoff(today: date, months: int) -> date:
    """The day `months` months before today (a contact after it is recent enough)."""
    return valid_until(today, -months)


async def without_contact(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    months: int | None,
    limit: int,
    cursor: str | None,
) -> Page[PairingOut]:
    """Active pairings with no contact for `months` (PAIRING_CONTACT_GAP_MONTHS by default):
    begun on or before the cutoff day and without a contact after it."""
    cutoff = contact_cutoff(ctx.today, months or ctx.settings.pairing_contact_gap_months)
    pairings, next_cursor = await repo.without_contact_page(
        session, ctx.actor, cutoff, limit=limit, cursor=cursor
    )
    rows = await repo.pairing_rows(session, [p.id for p in pairings])
    await _audit_list(session, ctx, rows)
    return Page[PairingOut](items=[_pairing_out(r) for r in rows], next_cursor=next_cursor)


# -- contacts ----------------------------------------------------------------------------------


def contact_out(c: CaringMotherContact) -> ContactOut:
    return out_of(ContactOut, c)


def _replay(existing: CaringMotherContact, pairing_id: uuid.UUID, body_hash: str) -> ContactOut:
    if existing.pairing_id != pairing_id or existing.body_hash != body_hash:
        raise ContactIdConflict()
    return contact_out(existing)


async def record_contact(
    session: AsyncSession, ctx: RequestContext, pairing_id: uuid.UUID, body: ContactCreate
) -> tuple[Outcome, ContactOut]:
    """Record a contact under its client id: created, or the stored one again (a retry)."""
    body_hash = idempotency.body_hash(body.fingerprint())
    pairing = known(await repo.pairing(session, ctx.actor, pairing_id), PairingNotFound)
    existing = await repo.contact(session, body.id)
    if existing is not None:
        return "duplicate", _replay(existing, pairing_id, body_hash)
    if pairing.status != "active":
        raise PairingEnded()
    errors = _not_after_today(ctx, "contacted_on", body.contacted_on)
    if body.contacted_on < pairing.since:
        errors.append(
            ("contacted_on", "联系日期早于结对日期", "The contact is before the pairing began")
        )
    if errors:
        raise ValidationFailed(errors=errors)
    row: dict[str, Any] = {
        "id": body.id,
        "pairing_id": pairing.id,
        "contacted_on": body.contacted_on,
        "mode": body.mode,
        "notes": body.notes,
        "body_hash": body_hash,
        "recorded_by_id": ctx.actor.id,
        "recorded_by": ctx.actor.name,
        "created_at": ctx.now,
    }
    stored = await repo.insert_contact(session, row)
    if stored is None:  # a concurrent duplicate committed first
        existing = await repo.contact(session, body.id)
        assert existing is not None
        return "duplicate", _replay(existing, pairing_id, body_hash)
    audit.record(
        session,
        ctx,
        "pairing.contact",
        "pairing",
        pairing.id,
        {"contact_id": str(body.id), "mode": body.mode, "contacted_on": str(body.contacted_on)},
    )
    return "created", contact_out(stored)


# -- wishes ------------------------------------------------------------------------------------


def _wish_out(row: Any) -> WishOut:
    w: CaringMotherWish = row[0]
    return out_of(
        WishOut,
        w,
        child_name=row.child_name,
        village_code=row.village_code,
        paired=bool(row.paired),
    )


async def record_wish(
    session: AsyncSession, ctx: RequestContext, body: WishCreate
) -> tuple[Outcome, WishOut]:
    """Record that a child of the caller's wishes for a caring mother (once per child: the same
    body again is the stored wish, another body 409)."""
    child = known(await repo.readable_child(session, ctx.actor, body.child_id), ChildNotFound)
    existing = await repo.wish(session, child.id)
    outcome: Outcome = "duplicate"
    if existing is not None:
        if (existing.wished_on, existing.note) != (body.wished_on, body.note):
            raise WishExists()
    else:
        errors = _not_after_today(ctx, "wished_on", body.wished_on)
        if child.status == "revoked":
            errors.append(("child_id", "该儿童已退出台账", "The child has left the ledger"))
        if errors:
            raise ValidationFailed(errors=errors)
        session.add(
            CaringMotherWish(
                child_id=child.id,
                wished_on=body.wished_on,
                note=body.note,
                recorded_by=ctx.actor.name,
                created_at=ctx.now,
            )
        )
        await session.flush()
        audit.record(session, ctx, "caring_mother_wish.create", "child", child.id)
        outcome = "created"
    (row,) = await repo.wish_details(session, [child.id])
    return outcome, _wish_out(row)


async def list_wishes(
    session: AsyncSession, ctx: RequestContext, *, unmatched: bool, limit: int, cursor: str | None
) -> Page[WishOut]:
    """The wishes of the caller's children; `unmatched`: those still without a caring mother."""
    rows, next_cursor = await repo.wish_rows(
        session, ctx.actor, unmatched=unmatched, limit=limit, cursor=cursor
    )
    audit.record(
        session,
        ctx,
        "caring_mother_wish.list",
        "child",
        None,
        {"count": len(rows), "child_ids": [str(r[0].child_id) for r in rows]},
    )
    return Page[WishOut](items=[_wish_out(r) for r in rows], next_cursor=next_cursor)
