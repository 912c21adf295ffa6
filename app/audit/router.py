from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit import service
from app.audit.schemas import AuditFilter, AuditOut
from app.auth.principal import require_roles
from app.auth.roles import AUDIT_READERS, CITY
from app.kit.context import RequestCtx
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.routes import lists
from app.kit.types import Timestamp
from app.replica import LagTolerantSessionDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get(
    "",
    **lists(
        Page[AuditOut],
        "The audit log, newest first",
        dependencies=[Depends(require_roles(*AUDIT_READERS, *CITY))],
    ),
)
async def list_audit(
    session: LagTolerantSessionDep,
    ctx: RequestCtx,
    resource_type: Annotated[str | None, Query(max_length=64)] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    principal_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[Timestamp | None, Query()] = None,
    until: Annotated[Timestamp | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AuditOut]:
    where = AuditFilter(resource_type, resource_id, principal_id, action, since, until)
    return await service.list_entries(session, ctx, where, limit, cursor)
