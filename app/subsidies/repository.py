"""SQL the subsidy sub-packages share: the children the rules read, the towns' names."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children.access import readable
from app.models import Area, Child

CHILD_COLUMNS = (
    Child.id,
    Child.name,
    Child.id_number_masked,
    Child.category,
    Child.birth_date,
    Child.approved_on,
    Child.revoked_on,
    Child.status,
    Child.school_stage,
    Child.school_enrolment_year,
    Child.school_expected_end_on,
    Child.placement,
    Child.village_code,
    Child.guardians,
)


# -------------------------------------------------------------------------------------- children


async def readable_child(session: AsyncSession, principal: Principal, child_id: uuid.UUID) -> Any:
    stmt = select(*CHILD_COLUMNS).where(Child.id == child_id, readable(principal))
    return (await session.execute(stmt)).first()


async def stream_children(
    session: AsyncSession, *where: Any, partition: int = 5000
) -> AsyncIterator[Sequence[Row[Any]]]:
    """Every child row matching `where`, in partitions (server-side cursor)."""
    stmt = select(*CHILD_COLUMNS).where(*where).order_by(Child.id)
    result = await session.stream(stmt.execution_options(yield_per=partition))
    async for rows in result.partitions(partition):
        yield rows


def active_on_clause(day: date) -> Any:
    """In the ledger on `day` (the rules decide; this only narrows the rows read)."""
    return and_(Child.approved_on <= day, or_(Child.revoked_on.is_(None), Child.revoked_on > day))


async def town_names(session: AsyncSession) -> dict[str, str]:
    stmt = select(Area.code, Area.name).where(Area.level == "town")
    return {code: name for code, name in (await session.execute(stmt)).all()}
