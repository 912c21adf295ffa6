"""Idempotent creation: the same key and body give the stored answer again; another body, 409.

The record is claimed with `INSERT … ON CONFLICT DO NOTHING` in the creating transaction, so
concurrent duplicates queue on the first one's row lock and, once it commits, read its answer:
one record, however many times or however concurrently the request is sent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.kit.sql import insert_ignoring_conflicts
from app.models import IdempotencyRecord


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: Any
    resource_id: str | None


def body_hash(body: Any) -> str:
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


async def claim(
    session: AsyncSession, *, owner: str, scope: str, key: str, body: Any
) -> Replay | None:
    """Claim `key` for this request. None: go ahead and create. A Replay: answer with it."""
    h = body_hash(body)
    stmt = (
        insert_ignoring_conflicts(IdempotencyRecord)
        .values(principal_id=owner, scope=scope, key=key, request_hash=h)
        .returning(IdempotencyRecord.key)
    )
    if (await session.execute(stmt)).first() is not None:
        return None
    rec = (
        await session.execute(
            select(IdempotencyRecord).where(
                IdempotencyRecord.principal_id == owner,
                IdempotencyRecord.scope == scope,
                IdempotencyRecord.key == key,
            )
        )
    ).scalar_one()
    if rec.request_hash != h:
        raise Conflict(
            "同一幂等键已用于内容不同的请求",
            "This idempotency key was used with a different request body",
            extra={"idempotency_key": key},
        )
    return Replay(
        status_code=rec.status_code or 200, body=rec.response, resource_id=rec.resource_id
    )


async def store(
    session: AsyncSession,
    *,
    owner: str,
    scope: str,
    key: str,
    status_code: int,
    body: Any,
    resource_id: str | None = None,
) -> None:
    """Keep the answer of the creation under its key (in the same transaction)."""
    await session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.principal_id == owner,
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
        )
        .values(status_code=status_code, response=body, resource_id=resource_id)
    )
