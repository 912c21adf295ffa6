"""SQL of the medical claims (医疗报销)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children.access import readable
from app.kit.listing import where_given
from app.models import Child, MedicalClaim


def claims_stmt(
    principal: Principal, child_id: uuid.UUID | None, status: str | None
) -> Select[Any]:
    stmt = (
        select(MedicalClaim)
        .join(Child, Child.id == MedicalClaim.child_id)
        .where(readable(principal))
    )
    return where_given(stmt, (MedicalClaim.child_id, child_id), (MedicalClaim.status, status))


async def readable_claim(
    session: AsyncSession, principal: Principal, claim_id: uuid.UUID, *, lock: bool = False
) -> MedicalClaim | None:
    stmt = claims_stmt(principal, None, None).where(MedicalClaim.id == claim_id)
    if lock:
        stmt = stmt.with_for_update(of=MedicalClaim)
    return (await session.execute(stmt)).scalar_one_or_none()
