"""Which children exist for a caller (row-level jurisdiction), for every domain that joins them.

- district roles: every child of their district (dispersed by village path, and the institute's);
- town supervisor: dispersed children of the villages of their town;
- village director: dispersed children of their village;
- institution staff: children placed in the institute;
- agency clients: never this clause — only the children their own open referrals concern
  (`app.auth.mandate.children`), projected to their field.
"""

from __future__ import annotations

import uuid

from sqlalchemy import false, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth.jurisdiction import area_clause
from app.auth.principal import Principal
from app.auth.roles import Role
from app.kit.rows import one_where
from app.models import Child


def readable(principal: Principal) -> ColumnElement[bool]:
    if principal.kind != "user":
        return false()
    if principal.role == Role.INSTITUTION_STAFF:
        return Child.placement == "institution"
    if principal.is_district:
        return or_(area_clause(principal, Child.village_code), Child.placement == "institution")
    return area_clause(principal, Child.village_code)


async def readable_child(
    session: AsyncSession, principal: Principal, child_id: uuid.UUID
) -> Child | None:
    """The ledger child, if the caller may read it (the ledger's one access clause)."""
    return await one_where(session, Child, Child.id == child_id, readable(principal))
