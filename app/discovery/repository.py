"""All SQL of active discovery 主动发现."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.jurisdiction import area_clause
from app.auth.principal import Principal
from app.kit.rows import one_where
from app.models import Area, Child, DiscoveryCandidate
from app.models.children import ON_LEDGER


async def village_codes(session: AsyncSession, codes: set[str]) -> set[str]:
    if not codes:
        return set()
    stmt = select(Area.code).where(Area.code.in_(codes), Area.level == "village")
    return set((await session.execute(stmt)).scalars().all())


async def by_hashes(session: AsyncSession, hashes: list[str]) -> dict[str, DiscoveryCandidate]:
    if not hashes:
        return {}
    stmt = select(DiscoveryCandidate).where(DiscoveryCandidate.id_number_hash.in_(hashes))
    return {c.id_number_hash: c for c in (await session.execute(stmt)).scalars().all()}


async def get(
    session: AsyncSession, principal: Principal, cid: uuid.UUID, *, for_update: bool = False
) -> DiscoveryCandidate | None:
    return await one_where(
        session,
        DiscoveryCandidate,
        DiscoveryCandidate.id == cid,
        _visible(principal),
        lock=for_update,
    )


def _visible(principal: Principal) -> Any:
    """Candidates of the caller's area (a district's roles: the villages of their district)."""
    return area_clause(principal, DiscoveryCandidate.village_code)


def list_stmt(principal: Principal, status: str | None) -> Select[Any]:
    stmt = select(DiscoveryCandidate).where(_visible(principal))
    if status:
        stmt = stmt.where(DiscoveryCandidate.status == status)
    if status == "open":
        enrolled = exists().where(
            and_(
                Child.id_number_hash == DiscoveryCandidate.id_number_hash,
                Child.status.in_(ON_LEDGER),
            )
        )
        stmt = stmt.where(~enrolled)
    return stmt


async def screening_by_hashes(session: AsyncSession, hashes: list[str]) -> dict[str, Any]:
    """The migrant-screening record 监测摸排 of each ID hash, where the child was screened."""
    from app.models import ScreeningRecord

    if not hashes:
        return {}
    # a screened child with an ID number has the ID's HMAC (as bytes) as its identity key
    by_key = {bytes.fromhex(h): h for h in hashes}
    stmt = (
        select(ScreeningRecord)
        .where(
            ScreeningRecord.identity_key.in_(list(by_key)),
            ScreeningRecord.id_number_enc.is_not(None),
        )
        .order_by(ScreeningRecord.screened_on)
    )
    rows = (await session.execute(stmt)).scalars().all()
    return {by_key[r.identity_key]: r for r in rows}
