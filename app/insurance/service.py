"""医疗保险参保: the schemes the bureau pays for and each child's enrolment (domain §3.2).

Every child in difficulty is enrolled free in the basic urban-rural medical insurance; a
de-facto-unsupported child also in 普惠保 and a supplementary medical insurance; the bureau pays
the premiums (seed). Which categories a scheme covers free, its premium and its enrolment
window are effective-dated parameters per insurance year (`insurance_schemes`).

An enrolment per child, scheme and year moves

    due ──▶ submitted ──▶ enrolled
     │  ╲        │  ╲
     │   ╲       │   ▶ refused_by_insurer ──▶ due | submitted | enrolled
     ▼    ▶ enrolled                                   (the insurer's answer)
    not_required (with its reason) ──▶ due

(rule we set) A second enrolment for the same child, scheme and year is a 409; an enrolled
row changes only its policy number, premium and date (corrections), never its status.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.children.errors import ChildNotFound
from app.children.rules import birthday_at
from app.errors import ValidationFailed
from app.insurance import repository as repo
from app.insurance.errors import (
    EnrolmentExists,
    EnrolmentNotFound,
    EnrolmentTransitionRefused,
    SchemeExists,
    SchemeMissing,
)
from app.insurance.schemas import (
    EnrolmentCreate,
    EnrolmentOut,
    EnrolmentPatch,
    SchemeCreate,
    SchemeOut,
)
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.etag import check_if_match
from app.kit.money import from_fen, to_fen
from app.kit.pagination import Page, page_of
from app.kit.records import known, new_values
from app.kit.vocab import CATEGORY_ZH
from app.models import Child, InsuranceEnrolment, InsuranceScheme

SCHEME_ZH = {
    "basic_medical": "城乡居民基本医疗保险",
    "puhuibao": "普惠保",
    "supplementary": "补充医疗保险",
}
STATUS_ZH = {
    "due": "待参保",
    "submitted": "已报送",
    "enrolled": "已参保",
    "refused_by_insurer": "承保方拒保",
    "not_required": "无需参保",
}
MOVES: dict[str, set[str]] = {
    "due": {"submitted", "enrolled", "refused_by_insurer", "not_required"},
    "submitted": {"due", "enrolled", "refused_by_insurer", "not_required"},
    "refused_by_insurer": {"due", "submitted", "enrolled", "not_required"},
    "enrolled": set(),
    "not_required": {"due"},
}


def scheme_out(row: InsuranceScheme, in_force: bool) -> SchemeOut:
    return SchemeOut.model_validate(
        {
            "id": row.id,
            "scheme": row.scheme,
            "scheme_zh": SCHEME_ZH[row.scheme],
            "year": row.year,
            "effective_from": row.effective_from,
            "premium": from_fen(row.premium_fen),
            "categories": row.categories,
            "window_from": row.window_from,
            "window_to": row.window_to,
            "reference": row.reference,
            "created_at": row.created_at,
            "created_by": row.created_by,
            "in_force": in_force,
        }
    )


async def create_scheme(
    session: AsyncSession, ctx: RequestContext, body: SchemeCreate
) -> SchemeOut:
    """Append a scheme's parameters for an insurance year, from `effective_from` on."""
    if body.window_to < body.window_from:
        raise ValidationFailed(
            errors=[("window_to", "参保期结束日期早于开始日期", "The window ends before it starts")]
        )
    values = body.model_dump(exclude={"premium"}) | {"premium_fen": to_fen(body.premium)}
    row = await repo.insert_scheme(session, new_values(ctx, **values))
    if row is None:
        raise SchemeExists(
            f"{SCHEME_ZH[body.scheme]} {body.year} 年度自 {body.effective_from} 起的参数已存在",
            f"{body.scheme} {body.year} from {body.effective_from} exists already",
        )
    audit.record(
        session,
        ctx,
        "insurance_scheme.create",
        "insurance_scheme",
        row.id,
        {"scheme": row.scheme, "year": row.year, "premium_fen": row.premium_fen},
    )
    in_force = await repo.scheme_in_force(session, row.scheme, row.year, ctx.today)
    return scheme_out(row, in_force is not None and in_force.id == row.id)


async def list_schemes(
    session: AsyncSession, ctx: RequestContext, year: int | None, scheme: str | None
) -> list[SchemeOut]:
    return [scheme_out(r, f) for r, f in await repo.schemes(session, year, scheme, ctx.today)]


async def scheme_for(session: AsyncSession, scheme: str, year: int, on: date) -> InsuranceScheme:
    """The scheme's parameters for `year` in force on `on`, or 409."""
    found = await repo.scheme_in_force(session, scheme, year, on)
    if found is None:
        raise SchemeMissing(
            f"{SCHEME_ZH[scheme]} {year} 年度的参数尚未设定（保费、免费参保类别、参保期）",
            f"Set the {scheme} parameters for {year} first (premium, categories, window)",
            extra={"scheme": scheme, "year": year},
        )
    return found


def turns_18_in(child: Child, year: int) -> date | None:
    day = birthday_at(child.birth_date, 18)
    return day if day.year == year else None


def enrolment_out(e: InsuranceEnrolment, child: Child) -> EnrolmentOut:
    return EnrolmentOut.model_validate(
        {
            "id": e.id,
            "child_id": e.child_id,
            "child_name": child.name,
            "id_number_masked": child.id_number_masked,
            "area_code": child.village_code,
            "scheme": e.scheme,
            "scheme_zh": SCHEME_ZH[e.scheme],
            "year": e.year,
            "status": e.status,
            "status_zh": STATUS_ZH[e.status],
            "due_reason": e.due_reason,
            "not_required_reason": e.not_required_reason,
            "refusal_reason": e.refusal_reason,
            "policy_number": e.policy_number,
            "enrolled_on": e.enrolled_on,
            "premium": None if e.premium_fen is None else from_fen(e.premium_fen),
            "submitted_at": e.submitted_at,
            "answered_at": e.answered_at,
            "created_at": e.created_at,
            "created_by": e.created_by,
            "updated_at": e.updated_at,
            "updated_by": e.updated_by,
            "version": e.version,
        }
    )


def _check_child(child: Child, params: InsuranceScheme) -> None:
    """The child is on the ledger, in a category the scheme covers free, under 18 on the
    insurance year's first day; else a 422 naming the field at fault."""
    if child.status != "active":
        raise ValidationFailed(
            errors=[("child_id", "该儿童不在台账保障中", "The child is not on the ledger")]
        )
    if child.category not in params.categories:
        raise ValidationFailed(
            errors=[
                (
                    "scheme",
                    f"{CATEGORY_ZH[child.category]}不在{SCHEME_ZH[params.scheme]}"
                    f" {params.year} 年度的免费参保范围内",
                    f"{child.category} is not covered free by {params.scheme} in {params.year}",
                )
            ]
        )
    if birthday_at(child.birth_date, 18) <= date(params.year, 1, 1):
        raise ValidationFailed(
            errors=[
                (
                    "year",
                    f"该儿童在 {params.year} 年1月1日已满18周岁",
                    f"The child is 18 on 1 January {params.year}",
                )
            ]
        )


def _apply(
    e: InsuranceEnrolment,
    ctx: RequestContext,
    params: InsuranceScheme,
    status: str,
    body: EnrolmentCreate | EnrolmentPatch,
) -> None:
    """Set the enrolment to `status` with the body's fields; a 422 names a field a status needs."""
    policy_number, premium, reason = body.policy_number, body.premium, body.reason
    if policy_number is not None:
        e.policy_number = policy_number.strip()
    if premium is not None:
        e.premium_fen = to_fen(premium)
    if body.enrolled_on is not None:
        e.enrolled_on = body.enrolled_on
    if status == "not_required":
        if reason is None and e.not_required_reason is None:
            raise ValidationFailed(
                errors=[
                    (
                        "reason",
                        "无需参保须写明原因（如已随父母单位参保）",
                        "Say why no enrolment is needed (e.g. insured through a parent's employer)",
                    )
                ]
            )
        e.not_required_reason = reason or e.not_required_reason
    elif status == "refused_by_insurer":
        e.refusal_reason = reason or e.refusal_reason
    elif reason is not None:
        raise ValidationFailed(
            errors=[
                (
                    "reason",
                    "原因仅用于无需参保或拒保",
                    "A reason is for not_required or refused_by_insurer only",
                )
            ]
        )
    if status == "enrolled" and not e.policy_number:
        raise ValidationFailed(
            errors=[("policy_number", "已参保须填写保单号", "An enrolment needs its policy number")]
        )
    if status in ("submitted", "enrolled") and e.premium_fen is None:
        e.premium_fen = params.premium_fen
    if status == "submitted" and e.submitted_at is None:
        e.submitted_at = ctx.now
    if status == "enrolled" and e.enrolled_on is None:
        e.enrolled_on = ctx.today
    if status != "not_required":
        e.not_required_reason = None
    e.status = status
    e.updated_at, e.updated_by = ctx.now, ctx.actor.name


async def create_enrolment(
    session: AsyncSession, ctx: RequestContext, body: EnrolmentCreate
) -> EnrolmentOut:
    """Record one child's enrolment in a scheme for a year (one per child, scheme and year)."""
    child = known(await repo.readable_child(session, ctx.actor, body.child_id), ChildNotFound)
    params = await scheme_for(session, body.scheme, body.year, ctx.today)
    _check_child(child, params)
    e = InsuranceEnrolment(
        id=uuid.uuid4(),
        child_id=child.id,
        scheme=body.scheme,
        year=body.year,
        status="due",
        created_at=ctx.now,
        created_by=ctx.actor.name,
    )
    _apply(e, ctx, params, body.status, body)
    try:
        async with session.begin_nested():
            session.add(e)
            await session.flush()
    except IntegrityError:
        raise EnrolmentExists(
            f"该儿童 {body.year} 年度已有{SCHEME_ZH[body.scheme]}参保记录，请修改原记录",
            f"The child has a {body.scheme} enrolment for {body.year}: change that one",
            errors=[("child_id", "重复参保", "A second enrolment")],
        ) from None
    audit.record(
        session,
        ctx,
        "insurance_enrolment.create",
        "insurance_enrolment",
        e.id,
        {"child_id": str(child.id), "scheme": e.scheme, "year": e.year, "status": e.status},
    )
    return enrolment_out(e, child)


async def _get(
    session: AsyncSession, ctx: RequestContext, enrolment_id: uuid.UUID, *, lock: bool = False
) -> tuple[InsuranceEnrolment, Child]:
    return known(
        await repo.enrolment(session, ctx.actor, enrolment_id, lock=lock), EnrolmentNotFound
    )


async def get_enrolment(
    session: AsyncSession, ctx: RequestContext, enrolment_id: uuid.UUID
) -> EnrolmentOut:
    e, child = await _get(session, ctx, enrolment_id)
    audit.record(
        session,
        ctx,
        "insurance_enrolment.read",
        "insurance_enrolment",
        e.id,
        {"child_id": str(child.id)},
    )
    return enrolment_out(e, child)


async def update_enrolment(
    session: AsyncSession,
    ctx: RequestContext,
    enrolment_id: uuid.UUID,
    body: EnrolmentPatch,
    if_match: str | None,
) -> EnrolmentOut:
    """Change an enrolment's status or its policy number, premium, date (If-Match)."""
    e, child = await _get(session, ctx, enrolment_id, lock=True)
    check_if_match(if_match, e.version)
    status = body.status or e.status
    if status != e.status and status not in MOVES[e.status]:
        raise EnrolmentTransitionRefused(
            f"参保记录不能从“{STATUS_ZH[e.status]}”改为“{STATUS_ZH[status]}”",
            f"An enrolment cannot move from {e.status} to {status}",
            extra={"status": e.status},
        )
    params = await scheme_for(session, e.scheme, e.year, ctx.today)
    before = e.status
    _apply(e, ctx, params, status, body)
    await session.flush()
    audit.record(
        session,
        ctx,
        "insurance_enrolment.update",
        "insurance_enrolment",
        e.id,
        {"from": before, "to": e.status, **body.model_dump(mode="json", exclude_none=True)},
    )
    return enrolment_out(e, child)


async def list_enrolments(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    year: int | None,
    scheme: str | None,
    status: str | None,
    area_code: str | None,
    child_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[EnrolmentOut]:
    """The enrolments of the children the caller may read; the page is audited as a read."""
    stmt = repo.enrolments_stmt(
        ctx.actor,
        year=year,
        scheme=scheme,
        status=status,
        area_code=area_code,
        child_id=child_id,
    )
    keys = [InsuranceEnrolment.created_at, InsuranceEnrolment.id]
    page = await page_of(session, stmt, keys, limit, cursor, lambda e: e)
    kids = await repo.children(session, [e.child_id for e in page.items])
    items = [enrolment_out(e, kids[e.child_id]) for e in page.items]
    audit.record(
        session,
        ctx,
        "insurance_enrolment.list",
        "insurance_enrolment",
        None,
        {"count": len(items), "child_ids": [str(i.child_id) for i in items]},
    )
    return Page(items=items, next_cursor=page.next_cursor)
