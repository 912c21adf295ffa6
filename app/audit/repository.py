"""SQL of the audit log's reader: the entries matching a filter, newest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.schemas import AuditFilter
from app.auth.jurisdiction import district_clause
from app.auth.principal import Principal
from app.models import AuditEntry


async def entries(
    session: AsyncSession,
    principal: Principal,
    where: AuditFilter,
    before_id: int | None,
    limit: int,
) -> list[AuditEntry]:
    """Up to `limit` entries matching `where` with an id below `before_id`, newest first: a
    district's readers see the entries written by their district's callers; the city's roles
    every entry only when CITY_RECORD_ROLES names them (the log names whose records were read)."""
    stmt = select(AuditEntry).where(district_clause(principal, AuditEntry.district_code))
    if where.resource_type:
        stmt = stmt.where(AuditEntry.resource_type == where.resource_type)
    if where.resource_id:
        stmt = stmt.where(AuditEntry.resource_id == where.resource_id)
    if where.principal_id:
        stmt = stmt.where(AuditEntry.principal_id == where.principal_id)
    if where.action:
        stmt = stmt.where(AuditEntry.action == where.action)
    if where.since:
        stmt = stmt.where(AuditEntry.at >= where.since)
    if where.until:
        stmt = stmt.where(AuditEntry.at < where.until)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list((await session.execute(stmt.order_by(AuditEntry.id.desc()).limit(limit))).scalars())
