"""医疗报销: file a claim (the reimbursable share as of the service date), list and read the
claims one may see, approve or reject it, record its payment; four eyes between the steps."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.children import history_repository as history
from app.children.errors import ChildNotFound
from app.errors import ValidationFailed, found
from app.insurance.claims_link import claim_flags
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.four_eyes import require_another
from app.kit.money import from_fen, to_fen
from app.kit.pagination import Page, page_of
from app.kit.records import add_audited, known, out_of
from app.models import MedicalClaim
from app.subsidies import repository as repo
from app.subsidies.claims import repository as claims_repo
from app.subsidies.errors import AlreadyPaid, WrongState
from app.subsidies.rules import RuleInputError, medical_reimbursement
from app.subsidies.schemas import ClaimCreate, ClaimOut, ClaimReject
from app.subsidies.standards.service import in_force, load_parameters, rule_error


async def create_claim(
    session: AsyncSession, ctx: RequestContext, body: ClaimCreate
) -> MedicalClaim:
    """医疗报销: compute the reimbursable share as of the service date and file the claim."""
    if body.service_date > ctx.today:
        raise ValidationFailed(
            errors=[("service_date", "就医日期不能晚于今天", "The service date is in the future")]
        )
    row = known(await repo.readable_child(session, ctx.actor, body.child_id), ChildNotFound)
    if row.approved_on > body.service_date or (
        row.revoked_on is not None and row.revoked_on <= body.service_date
    ):
        raise ValidationFailed(
            errors=[
                (
                    "service_date",
                    "就医日期不在该儿童的保障期内",
                    "The child was not enrolled on the service date",
                )
            ]
        )
    # The category on the service date, from the history: a change after it does not reach back.
    category = await history.value_on(session, row.id, "category", body.service_date, row.category)
    params = await load_parameters(session, ctx.actor.district_code)
    try:
        with in_force("service_date"):
            result = medical_reimbursement(
                category,
                body.kind,
                body.service_date,
                body.bill_total,
                body.basic_insurance_paid,
                body.other_insurance_paid,
                params,
            )
    except RuleInputError as error:
        raise rule_error(error) from None
    remainder = body.bill_total - body.basic_insurance_paid - body.other_insurance_paid
    claim = MedicalClaim(
        id=uuid.uuid4(),
        child_id=body.child_id,
        kind=body.kind,
        service_date=body.service_date,
        category=category,
        bill_total_fen=to_fen(body.bill_total),
        basic_insurance_paid_fen=to_fen(body.basic_insurance_paid),
        other_insurance_paid_fen=to_fen(body.other_insurance_paid),
        remainder_fen=to_fen(remainder),
        reimbursable_fen=to_fen(result.amount),
        trace=result.trace,
        status="submitted",
        created_at=ctx.now,
        created_by=ctx.actor.name,
    )
    detail = {"child_id": str(body.child_id), "reimbursable_fen": claim.reimbursable_fen}
    await add_audited(session, ctx, claim, "medical_claim.create", "medical_claim", detail)
    return claim


async def get_claim(
    session: AsyncSession, ctx: RequestContext, claim_id: uuid.UUID, *, lock: bool = False
) -> MedicalClaim:
    return found(
        await claims_repo.readable_claim(session, ctx.actor, claim_id, lock=lock),
        "报销申请不存在",
        "No such claim",
    )


async def decide_claim(
    session: AsyncSession,
    ctx: RequestContext,
    claim_id: uuid.UUID,
    to: str,
    reason: str | None = None,
    *,
    four_eyes: bool = True,
) -> MedicalClaim:
    """submitted → approved | rejected (with the reason); approved → paid, once.

    Four eyes: the filer does not approve the claim, its approver does not pay it (a filer may
    reject, i.e. withdraw, their own claim)."""
    principal = ctx.actor
    claim = await get_claim(session, ctx, claim_id, lock=True)
    what = ("该报销申请", "this claim")
    if to == "paid":
        if claim.status == "paid":
            raise AlreadyPaid(
                f"该报销已于 {claim.paid_at} 支付", f"The claim was paid at {claim.paid_at}"
            )
        if claim.status != "approved":
            raise WrongState(
                f"状态为 {claim.status} 的申请不能支付，须先审批",
                f"A {claim.status} claim cannot be paid",
            )
        require_another(four_eyes, principal, claim.decided_by, "pay", *what)
        claim.status, claim.paid_at, claim.paid_by = "paid", ctx.now, principal.name
    else:
        if claim.status != "submitted":
            raise WrongState(
                f"状态为 {claim.status} 的申请不能再审批",
                f"A {claim.status} claim cannot be decided",
            )
        if to == "approved":
            require_another(four_eyes, principal, claim.created_by, "approve", *what)
        claim.status, claim.decided_at, claim.decided_by = to, ctx.now, principal.name
        claim.rejection_reason = reason
    await session.flush()
    detail: dict[str, Any] = {"created_by": claim.created_by}
    if to == "paid":
        detail["approved_by"] = claim.decided_by
    if reason:
        detail["reason"] = reason
    audit.record(session, ctx, f"medical_claim.{to}", "medical_claim", claim.id, detail)
    return claim


async def flagged_out(session: AsyncSession, claim: MedicalClaim) -> ClaimOut:
    """The claim as answered, with its review flags (the insurance link)."""
    flags = await claim_flags(session, [claim])
    return claim_out(claim, flags.get(claim.id, []))


async def flagged_reply(
    session: AsyncSession, ctx: RequestContext, claim: MedicalClaim
) -> ClaimOut:
    """The answer to a step on a claim: the claim with its review flags."""
    return await flagged_out(session, claim)


async def reject_claim(
    session: AsyncSession, ctx: RequestContext, claim_id: uuid.UUID, body: ClaimReject
) -> MedicalClaim:
    """submitted → rejected, with the reason."""
    return await decide_claim(session, ctx, claim_id, "rejected", reason=body.reason)


def claim_out(claim: MedicalClaim, review_flags: list[str] | None = None) -> ClaimOut:
    return out_of(
        ClaimOut,
        claim,
        bill_total=from_fen(claim.bill_total_fen),
        basic_insurance_paid=from_fen(claim.basic_insurance_paid_fen),
        other_insurance_paid=from_fen(claim.other_insurance_paid_fen),
        remainder=from_fen(claim.remainder_fen),
        reimbursable=from_fen(claim.reimbursable_fen),
        review_flags=review_flags or [],
    )


async def list_claims(
    session: AsyncSession,
    ctx: RequestContext,
    child_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ClaimOut]:
    """The claims of the children the caller may read, newest last (keyset pages)."""
    stmt = claims_repo.claims_stmt(ctx.actor, child_id, status)
    keys = [MedicalClaim.created_at, MedicalClaim.id]
    page = await page_of(session, stmt, keys, limit, cursor, lambda c: c)
    flags = await claim_flags(session, page.items)
    return Page(
        items=[claim_out(c, flags.get(c.id, [])) for c in page.items], next_cursor=page.next_cursor
    )
