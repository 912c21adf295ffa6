"""审计日志: every write and every read of a child's personal record appends here.

Entries are collected during the request and written just before its commit, in one insert,
under a transaction-scoped advisory lock so that the hash chain has one order: each entry's
hash is SHA-256 over a canonical JSON form that includes the previous entry's hash. The
database refuses UPDATE, DELETE and TRUNCATE on the table (a trigger, see the migration).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Union

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.auth.principal import Principal
from app.kit.sql import table_of
from app.models import AuditEntry

if TYPE_CHECKING:
    from app.kit.context import RequestContext

GENESIS = "0" * 64
_LOCK_KEY = 0x6175646974  # "audit"
_AUDIT = table_of(AuditEntry)


# The chain's lock (transaction-scoped) and, once it is granted, the last entry's hash and the
# new entries' ids: one round trip (the function is in migration 0012; its statements each see
# the commits made before the lock was granted).
_RESERVE = text("SELECT prev_hash, ids FROM audit_reserve(:k, :n)")


@dataclass
class _Pending:
    action: str
    resource_type: str
    resource_id: str | None
    detail: dict[str, Any]
    principal_kind: str
    principal_id: str | None
    principal_name: str | None
    request_id: str | None = None
    client_addr: str | None = None


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
    session.info.setdefault("audit", []).append(
        _Pending(
            action=action,
            resource_type=resource_type,
            resource_id=None if resource_id is None else str(resource_id),
            detail=detail or {},
            principal_kind=kind,
            principal_id=pid,
            principal_name=name,
            request_id=request_id,
            client_addr=client_addr,
        )
    )


def canonical(entry: dict[str, Any]) -> bytes:
    at = entry["at"]
    if isinstance(at, datetime):
        at = at.astimezone(UTC).isoformat()
    body = {
        "id": entry["id"],
        "at": at,
        "principal_kind": entry["principal_kind"],
        "principal_id": entry["principal_id"],
        "principal_name": entry["principal_name"],
        "action": entry["action"],
        "resource_type": entry["resource_type"],
        "resource_id": entry["resource_id"],
        "request_id": entry["request_id"],
        "client_addr": entry["client_addr"],
        "detail": entry["detail"],
        "prev_hash": entry["prev_hash"],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


async def flush(
    session: AsyncSession,
    *,
    now: datetime | None = None,
    request_id: str | None = None,
    client_addr: str | None = None,
) -> None:
    """Write the queued entries, chained to the last one, just before the commit.

    Called by whoever owns the transaction: the session dependency (with the request's id,
    the client's address and the clock's time), the worker, scripts. An entry recorded with a
    request context keeps that context's request id and address.
    """
    pending: list[_Pending] = session.info.pop("audit", [])
    if not pending:
        return
    now = now or datetime.now(UTC)
    prev_hash, ids = (await session.execute(_RESERVE, {"k": _LOCK_KEY, "n": len(pending)})).one()
    prev = prev_hash or GENESIS
    rows = []
    for entry_id, p in zip(sorted(ids), pending, strict=True):
        row: dict[str, Any] = {
            "id": entry_id,
            "at": now,
            "principal_kind": p.principal_kind,
            "principal_id": p.principal_id,
            "principal_name": p.principal_name,
            "action": p.action,
            "resource_type": p.resource_type,
            "resource_id": p.resource_id,
            "request_id": p.request_id or request_id,
            "client_addr": p.client_addr or client_addr,
            "detail": p.detail,
            "prev_hash": prev,
        }
        row["hash"] = chain_hash(row)
        prev = row["hash"]
        rows.append(row)
    # Core on the table (not the ORM bulk path), as an executemany: one multi-row VALUES
    # statement measured slower for a visit batch's ten entries (bench.visits batch p50 93 ms
    # against 69 ms).
    await session.execute(insert(_AUDIT), rows)


@dataclass
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str | None


async def _iter_entries(conn: AsyncConnection) -> AsyncIterator[dict[str, Any]]:
    result = await conn.stream(select(AuditEntry.__table__).order_by(AuditEntry.id))
    async for row in result.mappings():
        yield dict(row)


async def verify_chain(conn: AsyncConnection) -> ChainReport:
    """Walk the whole log; name the first entry whose hash or link does not hold."""
    prev = GENESIS
    checked = 0
    async for row in _iter_entries(conn):
        checked += 1
        if row["prev_hash"] != prev:
            return ChainReport(checked, row["id"], "prev_hash does not link to the entry before")
        if chain_hash(row) != row["hash"]:
            return ChainReport(checked, row["id"], "hash does not match the entry's content")
        prev = row["hash"]
    return ChainReport(checked, None, None)
