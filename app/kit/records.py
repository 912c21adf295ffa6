"""Creating, reading and answering a record: the shapes the second-wave domains share.

- `create_by_client_id`: a creation whose body carries its own client-chosen `id` (a retry with
  the same id and body answers the stored record, 200; another body, 409);
- `keyed_once`: a creation that takes an `Idempotency-Key` (app.kit.idempotency), the caller
  owning the key;
- `again(created, out)`: 201 for a new record, 200 for one that was already there;
- `replay_response(...)`: the OpenAPI entry of that 200;
- `insert_new(session, row, conflict)`: add a row under its client id; the id taken already is
  `conflict` (a 409 of the domain);
- `add_audited(session, ctx, row, action, resource_type, detail)`: add, flush, audit;
- `known(value, DomainNotFound)`: the row, or the domain's own 404;
- `out_of(Model, row, **fields)`: an answer filled from the row's same-named columns.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import AppError
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.idempotency import create_once

Responses = dict[int | str, dict[str, Any]]


T = TypeVar("T")
OutT = TypeVar("OutT", bound=BaseModel)
IdentifiedT = TypeVar("IdentifiedT", bound=BaseModel)


def replay_response(description: str, model: type[BaseModel] | None = None) -> Responses:
    """The `200` of a route that answers 201 for a new record and 200 for one it already had."""
    entry: dict[str, Any] = {"description": description}
    if model is not None:
        entry["model"] = model
    return {200: entry}


def again(created: bool, out: OutT) -> OutT | JSONResponse:
    """The answer of a creation that may find its record already there: 201 (the route's
    status) when `created`, else the same body with 200."""
    if created:
        return out
    return JSONResponse(out.model_dump(mode="json"), status_code=200)


async def create_by_client_id(
    session: AsyncSession,
    ctx: RequestContext,
    scope: str,
    body: BaseModel,
    make: Callable[[], Awaitable[IdentifiedT]],
    *,
    compared: BaseModel | dict[str, Any] | None = None,
) -> IdentifiedT | JSONResponse:
    """Create under the body's client id, once: a retry with the same id and body is the stored
    answer (200), another body a 409. `compared` is what a retry is compared with when the body
    alone does not say everything (a path parameter)."""

    return await create_once(
        session,
        str(getattr(body, "id")),  # noqa: B009 - such a body has its client id
        owner=str(ctx.actor.id),
        scope=scope,
        body=body if compared is None else compared,
        create=with_id(make),
    )


def with_id(
    make: Callable[[], Awaitable[IdentifiedT]],
) -> Callable[[], Awaitable[tuple[IdentifiedT, object]]]:
    """A creation's `create` step for `create_once` from one that answers a model with an `id`:
    the answer and the created id."""

    async def create() -> tuple[IdentifiedT, object]:
        out = await make()
        return out, getattr(out, "id")  # noqa: B009 - every answer of such a creation has one

    return create


async def keyed_once(
    session: AsyncSession,
    ctx: RequestContext,
    key: str | None,
    scope: str,
    body: BaseModel,
    create: Callable[[], Awaitable[tuple[OutT, object]]],
) -> OutT | JSONResponse:
    """`create_once` with the caller as the key's owner (an `Idempotency-Key` is the caller's)."""
    return await create_once(
        session, key, owner=str(ctx.actor.id), scope=scope, body=body, create=create
    )


async def insert_new(session: AsyncSession, row: object, conflict: AppError) -> None:
    """Add `row` (whose id the client chose) and flush it; an id already taken is `conflict`."""
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise conflict from None


def out_of(model: type[OutT], row: object, **fields: Any) -> OutT:
    """The answer `model` filled from the same-named attributes of `row` (a stored record),
    `fields` giving those it does not hold as they are answered (money, names, counts, what
    the caller may not see).

        out_of(ClassOut, c, ledger_families=counts.get(c.id, 0), attendees=seen[c.id])
    """
    names = model.model_fields.keys() - fields.keys()
    return model.model_validate(
        {name: getattr(row, name) for name in names if hasattr(row, name)} | fields
    )


def new_values(ctx: RequestContext, **values: Any) -> dict[str, Any]:
    """The values of a new row: a fresh `id`, `values`, and `created_at`/`created_by` (now, the
    caller's name), for a repository's insert: `repo.insert_round(session, new_values(ctx, ...))`."""
    return {"id": uuid.uuid4(), **values, "created_at": ctx.now, "created_by": ctx.actor.name}


def known(value: T | None, missing: Callable[[], AppError]) -> T:
    """`value`, or the domain's 404 `missing()` when there is none:
    `mother = known(await repo.mother(session, mother_id), MotherNotFound)`."""
    if value is None:
        raise missing()
    return value


async def add_audited(
    session: AsyncSession,
    ctx: RequestContext,
    row: Any,
    action: str,
    resource_type: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add a new `row`, flush it (its id and defaults set) and audit its creation as `action`."""
    session.add(row)
    await session.flush()
    audit.record(session, ctx, action, resource_type, row.id, detail)
