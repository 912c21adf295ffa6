"""The audit log's reader (审计日志): filtered, newest first, one page at a time; each read is
itself audited."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository as repo
from app.audit.schemas import AuditFilter, AuditOut
from app.errors import ValidationFailed
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.pagination import Page, decode_cursor, encode_cursor


def _check_offsets(where: AuditFilter) -> None:
    for value, name in ((where.since, "since"), (where.until, "until")):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed(
                errors=[(name, "时间须带时区", "Timestamp must include an offset")]
            )


def _last_id(cursor: str | None) -> int | None:
    if not cursor:
        return None
    (last_id,) = decode_cursor(cursor, 1)
    # A forged cursor must be a 422, not a bool or an int the BIGINT column cannot hold (500).
    if not isinstance(last_id, int) or isinstance(last_id, bool) or not 0 < last_id < 2**63:
        raise ValidationFailed(errors=[("cursor", "分页游标无效", "Invalid cursor")])
    return last_id


async def list_entries(
    session: AsyncSession, ctx: RequestContext, where: AuditFilter, limit: int, cursor: str | None
) -> Page[AuditOut]:
    _check_offsets(where)
    rows = await repo.entries(session, ctx.actor, where, _last_id(cursor), limit + 1)
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor([rows[-1].id])
    audit.record(session, ctx, "audit.read", "audit_log", None, {"count": len(rows)})
    return Page(items=[AuditOut.model_validate(r) for r in rows], next_cursor=nxt)
