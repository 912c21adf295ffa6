from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from app.auth.principal import Principal, require_roles
from app.db import SessionDep
from app.errors import ValidationFailed, error_responses
from app.kit import audit
from app.kit.pagination import CursorQuery, LimitQuery, Page, decode_cursor, encode_cursor
from app.kit.types import Timestamp
from app.models import AuditEntry

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    principal_kind: str
    principal_id: str | None
    principal_name: str | None
    action: str
    resource_type: str
    resource_id: str | None
    request_id: str | None
    client_addr: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@router.get(
    "",
    response_model=Page[AuditOut],
    summary="The audit log, newest first",
    responses=error_responses(401, 403, 422),
)
async def list_audit(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_roles("auditor", "district_admin"))],
    resource_type: Annotated[str | None, Query(max_length=64)] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    principal_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[Timestamp | None, Query()] = None,
    until: Annotated[Timestamp | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AuditOut]:
    stmt = select(AuditEntry)
    if resource_type:
        stmt = stmt.where(AuditEntry.resource_type == resource_type)
    if resource_id:
        stmt = stmt.where(AuditEntry.resource_id == resource_id)
    if principal_id:
        stmt = stmt.where(AuditEntry.principal_id == principal_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    for value, name in ((since, "since"), (until, "until")):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed(
                errors=[(name, "时间须带时区", "Timestamp must include an offset")]
            )
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    if until:
        stmt = stmt.where(AuditEntry.at < until)
    if cursor:
        (last_id,) = decode_cursor(cursor, 1)
        # A forged cursor must be a 422, not a bool or an int the BIGINT column cannot hold (500).
        if not isinstance(last_id, int) or isinstance(last_id, bool) or not 0 < last_id < 2**63:
            raise ValidationFailed(errors=[("cursor", "分页游标无效", "Invalid cursor")])
        stmt = stmt.where(AuditEntry.id < last_id)
    rows = list(
        (await session.execute(stmt.order_by(AuditEntry.id.desc()).limit(limit + 1))).scalars()
    )
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor([rows[-1].id])
    audit.record(session, principal, "audit.read", "audit_log", None, {"count": len(rows)})
    return Page(items=[AuditOut.model_validate(r) for r in rows], next_cursor=nxt)
