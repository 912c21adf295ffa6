"""审计日志: every write and every read of a child's personal record appends here.

`record` queues an entry on the session during the request; `app.kit.audit_chain` writes the
queued entries just before the commit, chained by hash (its names are re-exported here). The
database refuses UPDATE, DELETE and TRUNCATE on the table (a trigger, see the migration).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.kit.audit_chain import (
    GENESIS,
    ChainReport,
    PendingEntry,
    canonical,
    chain_hash,
    flush,
    verify_chain,
)

if TYPE_CHECKING:
    from app.kit.context import RequestContext

__all__ = [
    "GENESIS",
    "Actor",
    "ChainReport",
    "canonical",
    "chain_hash",
    "entry",
    "flush",
    "record",
    "verify_chain",
]


Actor = Union[Principal, "RequestContext", None]
"""Who did it: a principal, a request context (its principal, request id and address) or None
for the system itself (a periodic job, a script)."""


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Queue an audit entry for this transaction (written at commit time, in order).

    The actor is explicit: nothing is read from the session but the entries queued on it.
    """
    session.info.setdefault("audit", []).append(
        entry(actor, action, resource_type, resource_id, detail)
    )


def entry(
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object | None = None,
    detail: dict[str, Any] | None = None,
) -> PendingEntry:
    """An audit entry, not yet chained: queued by `record`, or written by a read without a
    session (`app.kit.audit_batch.write_read`)."""
    request_id = client_addr = None
    principal: Principal | None
    if actor is None or isinstance(actor, Principal):
        principal = actor
    else:
        principal, request_id, client_addr = actor.principal, actor.request_id, actor.client_addr
    kind: str = "system"
    pid = name = None
    if principal is not None:
        kind, pid, name = principal.kind, str(principal.id), principal.name
    return PendingEntry(
        action=action,
        resource_type=resource_type,
        resource_id=None if resource_id is None else str(resource_id),
        detail=detail or {},
        principal_kind=kind,
        principal_id=pid,
        principal_name=name,
        request_id=request_id,
        client_addr=client_addr,
        district_code=principal.district_code if principal is not None else None,
    )
