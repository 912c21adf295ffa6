"""Idempotent creation: the same key and body give the stored answer again; another body, 409.

The record is claimed with `INSERT … ON CONFLICT DO NOTHING` in the creating transaction, so
concurrent duplicates queue on the first one's row lock and, once it commits, read its answer:
one record, however many times or however concurrently the request is sent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.kit.sql import insert_ignoring_conflicts, table_of
from app.models import IdempotencyRecord

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retry-safe creation: the same key and body give the same answer once more.",
    ),
]
"""The `Idempotency-Key` header of creations that have no client-chosen id."""

REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {"description": "A replay of an earlier creation with the same Idempotency-Key and body"}
}

# Built once, run as Core (no ORM bulk machinery) and kept compiled: every idempotent create
# (each visit, each report) runs both.
_RECORDS = table_of(IdempotencyRecord)
_CLAIM = insert_ignoring_conflicts(_RECORDS).returning(_RECORDS.c.key)
_STORE = (
    update(_RECORDS)
    .where(
        _RECORDS.c.principal_id == bindparam("owner"),
        _RECORDS.c.scope == bindparam("scope_"),
        _RECORDS.c.key == bindparam("key_"),
    )
    .values(
        status_code=bindparam("status_code"),
        response=bindparam("response"),
        resource_id=bindparam("resource_id"),
    )
)


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
    params = {"principal_id": owner, "scope": scope, "key": key, "request_hash": h}
    if (await session.execute(_CLAIM, params)).first() is not None:
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
        _STORE,
        {
            "owner": owner,
            "scope_": scope,
            "key_": key,
            "status_code": status_code,
            "response": body,
            "resource_id": resource_id,
        },
    )


async def replay_for_key(
    session: AsyncSession,
    key: str | None,
    *,
    owner: str,
    scope: str,
    body: BaseModel | dict[str, Any],
) -> JSONResponse | None:
    """With an Idempotency-Key: claim it, or the stored answer (200) of its first use.

    `body` is what a later use of the key is compared with: the request body (as JSON), or a
    fingerprint of it (e.g. with a secret field replaced by its hash)."""
    if not key:
        return None
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    replay = await claim(session, owner=owner, scope=scope, key=key, body=body)
    return None if replay is None else JSONResponse(replay.body, status_code=200)


async def remember_for_key(
    session: AsyncSession,
    key: str | None,
    *,
    owner: str,
    scope: str,
    out: BaseModel,
    resource_id: str | None = None,
) -> None:
    """With an Idempotency-Key: keep this creation's answer (201) for its replays."""
    if key:
        await store(
            session,
            owner=owner,
            scope=scope,
            key=key,
            status_code=201,
            body=out.model_dump(mode="json"),
            resource_id=resource_id,
        )


OutT = TypeVar("OutT", bound=BaseModel)


async def create_once(
    session: AsyncSession,
    key: str | None,
    *,
    owner: str,
    scope: str,
    body: BaseModel | dict[str, Any],
    create: Callable[[], Awaitable[tuple[OutT, object]]],
) -> OutT | JSONResponse:
    """An idempotent creation in one call: the stored answer of an earlier use of `key` (200),
    or `create()` — which returns the answer and the created resource's id — kept for replays.

        return await create_once(
            session, idempotency_key, owner=str(ctx.actor.id), scope="children", body=body,
            create=lambda: service.create_child(session, ctx, body),
        )
    """
    if replay := await replay_for_key(session, key, owner=owner, scope=scope, body=body):
        return replay
    out, resource_id = await create()
    rid = None if resource_id is None else str(resource_id)
    await remember_for_key(session, key, owner=owner, scope=scope, out=out, resource_id=rid)
    return out
