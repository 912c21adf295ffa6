"""The claims link: a medical claim (医疗报销) that reads as if 普惠保 paid nothing while it
should have.

(rule we set, from the seed's free 普惠保 for de-facto-unsupported children) A claim of a
de-facto-unsupported child (its category on the service date) with `other_insurance_paid`
0.00, while the child was enrolled in 普惠保 for the service date's year (cover confirmed on
or before that day), is flagged `puhuibao_not_claimed` for review: the family may not have
claimed from 普惠保, and the reimbursement would pay the insurer's share. A flag, not a refusal:
the reviewer decides. Shown wherever a claim is read or decided (`ClaimOut.review_flags`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import InsuranceEnrolment, MedicalClaim

PUHUIBAO_NOT_CLAIMED = "puhuibao_not_claimed"


async def claim_flags(
    session: AsyncSession, claims: Sequence[MedicalClaim]
) -> dict[uuid.UUID, list[str]]:
    """Each claim's review flags (claim id → codes; a claim without flags is absent)."""
    suspects = [
        c
        for c in claims
        if c.category == "de_facto_unsupported" and c.other_insurance_paid_fen == 0
    ]
    if not suspects:
        return {}
    E = InsuranceEnrolment
    stmt = select(E.child_id, E.year, E.enrolled_on).where(
        E.scheme == "puhuibao",
        E.status == "enrolled",
        tuple_(E.child_id, E.year).in_([(c.child_id, c.service_date.year) for c in suspects]),
    )
    cover = {(cid, year): on for cid, year, on in (await session.execute(stmt)).tuples()}
    out: dict[uuid.UUID, list[str]] = {}
    for c in suspects:
        key = (c.child_id, c.service_date.year)
        confirmed = cover.get(key, c.service_date)
        if key in cover and (confirmed is None or confirmed <= c.service_date):
            out[c.id] = [PUHUIBAO_NOT_CLAIMED]
    return out


__all__ = ["PUHUIBAO_NOT_CLAIMED", "claim_flags"]
