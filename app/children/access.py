"""Which children exist for a caller (row-level jurisdiction), for every domain that joins them.

- district roles: every child of their district (dispersed by village path, and their district's
  institute's: `children.district_code`);
- town supervisor: dispersed children of the villages of their town;
- village director: dispersed children of their village;
- institution staff: children placed in their district's institute;
- agency clients: never this clause — only the children their own open referrals concern
  (`app.auth.mandate.children`), projected to their field.
"""

from __future__ import annotations

import uuid

from sqlalchemy import and_, false, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth.jurisdiction import area_clause, district_clause
from app.auth.principal import Principal
from app.auth.roles import Role
from app.kit.rows import one_where
from app.models import Child


def readable(principal: Principal) -> ColumnElement[bool]:
    if principal.kind != "user":
        return false()
    institute = and_(
        Child.placement == "institution", district_clause(principal, Child.district_code)
    )
    if principal.role == Role.INSTITUTION_STAFF:
        return institute
    if principal.is_district:
        return or_(area_clause(principal, Child.village_code), institute)
    return area_clause(principal, Child.village_code)


async def readable_child(
    session: AsyncSession, principal: Principal, child_id: uuid.UUID
) -> Child | None:
    """The ledger child, if the caller may read it (the ledger's one access clause)."""
    return await one_where(session, Child, Child.id == child_id, readable(principal))
