"""审计日志's hash chain: the queued entries written just before the commit, and the check.

Entries are queued on the session by `app.kit.audit.record` and written here, in one insert,
under a transaction-scoped advisory lock so that the hash chain has one order: each entry's
hash is HMAC-SHA256, under the audit chain key (AUDIT_CHAIN_KEY, held by the application and
never by the database), over a canonical JSON form that includes the previous entry's hash and
the key's id (`key_id`, so that the key can rotate). Whoever can write to the database but does
not hold the key cannot recompute the chain after changing an entry.

Entries written before the key existed (`key_id` NULL) keep their plain SHA-256 hashes: they
verify with the plain scheme up to the marked row `audit_chain_state.plain_through_id` (set by
the migration that introduced the key); every later entry must be keyed. A plain entry past that
row is reported as a break. The periodic checkpoint (app/kit/audit_checkpoint.py) anchors the
head outside the database. This module depends on the models only (the session dependency in
`app.db` calls `flush`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

if TYPE_CHECKING:
    from app.config import Settings

from app.kit.sql import table_of
from app.models import AuditEntry

GENESIS = "0" * 64
_LOCK_KEY = 0x6175646974  # "audit"
_AUDIT = table_of(AuditEntry)


# The chain's lock (transaction-scoped) and, once it is granted, the last entry's hash and the
# new entries' ids: one round trip (the function is in migration 0012; its statements each see
# the commits made before the lock was granted).
_RESERVE = text("SELECT prev_hash, ids FROM audit_reserve(:k, :n)")


@dataclass(frozen=True)
class ChainKeys:
    """The audit chain's keys by id; new entries are hashed under `active_id`.

    AUDIT_CHAIN_KEY is `kid:secret[,kid:secret...]` (each secret at least 32 characters, the
    first key active; older keys stay listed so that their entries still verify). Unset, the key
    is derived from HMAC_KEY (id `h1`): a secret the database does not hold either.
    """

    active_id: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, value: str) -> ChainKeys:
        keys: dict[str, bytes] = {}
        for part in value.split(","):
            kid, sep, secret = part.strip().partition(":")
            if not sep or not kid or len(kid) > 16 or len(secret) < 32:
                raise ValueError("AUDIT_CHAIN_KEY: kid:secret (secret >= 32 characters), ...")
            keys[kid] = secret.encode()
        return cls(next(iter(keys)), keys)

    @classmethod
    def derived(cls, hmac_key: str) -> ChainKeys:
        key = hmac.new(hmac_key.encode(), b"audit-chain-v1", hashlib.sha256).digest()
        return cls("h1", {"h1": base64.b64encode(key)})

    @classmethod
    def from_settings(cls, settings: Settings) -> ChainKeys:
        value = settings.audit_chain_key.get_secret_value()
        if value:
            return cls.parse(value)
        return cls.derived(settings.hmac_key.get_secret_value())

    @property
    def active(self) -> bytes:
        return self.keys[self.active_id]


_configured: ChainKeys | None = None


def configure(keys: ChainKeys) -> None:
    """The process's chain keys (create_app and the worker call this with their settings)."""
    global _configured
    _configured = keys


def chain_keys() -> ChainKeys:
    """The configured keys, else those of the process's settings (scripts)."""
    global _configured
    if _configured is None:
        from app.config import get_settings

        _configured = ChainKeys.from_settings(get_settings())
    return _configured


@dataclass
class PendingEntry:
    action: str
    resource_type: str
    resource_id: str | None
    detail: dict[str, Any]
    principal_kind: str
    principal_id: str | None
    principal_name: str | None
    request_id: str | None = None
    client_addr: str | None = None
    # The district of the caller (not hashed: the chain's input is unchanged).
    district_code: str | None = None


def canonical(entry: dict[str, Any]) -> bytes:
    """The bytes an entry's hash covers (its `key_id` only when keyed: older entries as they
    were hashed)."""
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
    if entry.get("key_id") is not None:
        body["key_id"] = entry["key_id"]
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(entry: dict[str, Any], keys: ChainKeys | None = None) -> str:
    """THE hash of an entry (the only place it is computed): HMAC-SHA256 under the key named by
    its `key_id`; plain SHA-256 for an entry from before the key (`key_id` None).
    KeyError when the key id is not among the keys."""
    kid = entry.get("key_id")
    if kid is None:
        return hashlib.sha256(canonical(entry)).hexdigest()
    key = (keys or chain_keys()).keys[kid]
    return hmac.new(key, canonical(entry), hashlib.sha256).hexdigest()


LOCK_KEY = _LOCK_KEY
"""The chain's advisory lock: `audit_reserve(LOCK_KEY, n)` (a statement of one's own may call
it, as a visit's does: app.visits.repository.create_visit_row) takes it until the commit."""


def chain_rows(
    pending: list[PendingEntry],
    prev_hash: str | None,
    ids: list[int],
    *,
    now: datetime,
    request_id: str | None,
    client_addr: str | None,
) -> list[dict[str, Any]]:
    """The audit_log rows of `pending`, chained after `prev_hash` (None: the first entry) under
    the ids `audit_reserve` gave (both read under the chain's lock, held until the commit)."""
    prev = prev_hash or GENESIS
    keys = chain_keys()
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
            "key_id": keys.active_id,
        }
        row["hash"] = chain_hash(row, keys)
        row["district_code"] = p.district_code
        prev = row["hash"]
        rows.append(row)
    return rows


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
    pending: list[PendingEntry] = session.info.pop("audit", [])
    if not pending:
        return
    now = now or datetime.now(UTC)
    prev_hash, ids = (await session.execute(_RESERVE, {"k": _LOCK_KEY, "n": len(pending)})).one()
    rows = chain_rows(
        pending, prev_hash, ids, now=now, request_id=request_id, client_addr=client_addr
    )
    # Core on the table (not the ORM bulk path), as an executemany: one multi-row VALUES
    # statement measured slower for a visit batch's ten entries (bench.visits batch p50 93 ms
    # against 69 ms).
    await session.execute(insert(_AUDIT), rows)


@dataclass
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str | None
    head_id: int | None = None
    head_hash: str | None = None


async def _iter_entries(conn: AsyncConnection, after_id: int = 0) -> AsyncIterator[dict[str, Any]]:
    stmt = select(AuditEntry.__table__).where(AuditEntry.id > after_id).order_by(AuditEntry.id)
    result = await conn.stream(stmt)
    async for row in result.mappings():
        yield dict(row)


async def plain_through_id(conn: AsyncConnection) -> int:
    """The last entry that may carry a plain (unkeyed) hash: those before the key existed."""
    value = (
        await conn.execute(text("SELECT plain_through_id FROM audit_chain_state WHERE id = 1"))
    ).scalar_one_or_none()
    return int(value or 0)


async def verify_chain(
    conn: AsyncConnection,
    keys: ChainKeys | None = None,
    *,
    after: tuple[int, str] | None = None,
) -> ChainReport:
    """Walk the log; name the first entry whose hash or link does not hold.

    `after` (an entry's id and hash, e.g. a checkpoint's, already checked): walk only the
    entries after it, the first of them linking to that hash."""
    keys = keys or chain_keys()
    plain_through = await plain_through_id(conn)
    prev = GENESIS if after is None else after[1]
    checked = 0
    head_id: int | None = None if after is None else after[0]
    async for row in _iter_entries(conn, 0 if after is None else after[0]):
        checked += 1
        if row["prev_hash"] != prev:
            return ChainReport(checked, row["id"], "prev_hash does not link to the entry before")
        if row["key_id"] is None and row["id"] > plain_through:
            return ChainReport(
                checked, row["id"], "hash not keyed (a chain recomputed without the key)"
            )
        if row["key_id"] is not None and row["key_id"] not in keys.keys:
            return ChainReport(checked, row["id"], f"hash under unknown key {row['key_id']!r}")
        if not hmac.compare_digest(chain_hash(row, keys), row["hash"]):
            return ChainReport(checked, row["id"], "hash does not match the entry's content")
        prev = row["hash"]
        head_id = row["id"]
    return ChainReport(checked, None, None, head_id, None if head_id is None else prev)
