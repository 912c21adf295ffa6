"""What every institute-care record shares: residents judged once, dates not in the future,
creation once under a client id (the same id and body → the stored record; another body → 409).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.children.errors import ChildNotFound
from app.institution import repository as repo
from app.institution.errors import RecordIdConflict
from app.kit import audit, idempotency
from app.kit.context import RequestContext
from app.kit.pagination import Page, paginate
from app.kit.vocab import month_end, parse_optional_month
from app.models import Child

Outcome = Literal["created", "duplicate"]
Errors = list[tuple[str, str, str]]
M = TypeVar("M")
OutT = TypeVar("OutT")


def fingerprint(body: BaseModel) -> str:
    """The body's hash: a retry is recognised by it (its confidential text included)."""
    return idempotency.body_hash(body.model_dump(mode="json"))


async def stored(
    session: AsyncSession, ctx: RequestContext, model: type[M], row_id: uuid.UUID, body_hash: str
) -> M | None:
    """The record already stored under this client id (its replay), or None; another body → 409.
    Another district's record is not the caller's: the insert then finds the id taken (409)."""
    row = await repo.by_id(session, model, row_id, ctx.actor)
    if row is not None and row.body_hash != body_hash:  # type: ignore[attr-defined]
        raise RecordIdConflict()
    return row


async def insert(
    session: AsyncSession, model: type[M], values: dict[str, Any]
) -> tuple[Outcome, M]:
    """Store a judged new record; a concurrent duplicate that committed first is replayed."""
    inserted = await repo.insert_once(session, model, values)
    row = await repo.by_id(session, model, values["id"])
    assert row is not None
    if not inserted and (
        row.body_hash != values["body_hash"]  # type: ignore[attr-defined]
        or row.district_code != values["district_code"]  # type: ignore[attr-defined]
    ):
        raise RecordIdConflict()  # another body, or another district's record: never replayed
    return ("created" if inserted else "duplicate"), row


def not_future(day: date, ctx: RequestContext, field: str, errors: Errors) -> None:
    if day > ctx.today:
        errors.append((field, "日期不能晚于今天", "The date cannot be in the future"))


async def residents(
    session: AsyncSession,
    ctx: RequestContext,
    ids: Sequence[uuid.UUID],
    field: str,
    errors: Errors,
) -> list[Child]:
    """The residents `ids` name, in order; each that is not one (or is another district's) is
    an error on `field.i` (`field` itself for a single id)."""
    found = await repo.residents(session, ctx.actor, ids)
    out = []
    for i, cid in enumerate(ids):
        child = found.get(cid)
        if child is None:
            errors.append(_not_resident(field if field.endswith("_id") else f"{field}.{i}"))
        else:
            out.append(child)
    return out


def _not_resident(field: str) -> tuple[str, str, str]:
    zh, en = ChildNotFound.field_error(field)[1:]
    return (field, f"{zh}（须为福利院在院儿童）", f"{en} (must be a resident of the institute)")


def month_span(first: date | None) -> tuple[date, date] | None:
    """A month filter's first and last day."""
    return None if first is None else (first, month_end(first))


async def create_once(
    session: AsyncSession,
    ctx: RequestContext,
    model: type[M],
    body: BaseModel,
    *,
    prepare: Callable[[], Awaitable[dict[str, Any]]],
    action: str,
    detail: Callable[[M], dict[str, Any]],
    after: Callable[[M], Awaitable[None]] | None = None,
) -> tuple[Outcome, M]:
    """Create a record once under its client id: a retry (same id, same body) gets the stored
    record back without being judged again; another body is a 409. Otherwise `prepare` judges
    the body (raising a 422/409) and gives the row's values, the row is stored, `after` runs on
    it (in the same transaction) and the creation is audited (`action`, `detail` of the row)."""
    body_hash = fingerprint(body)
    record_id: uuid.UUID = body.id  # type: ignore[attr-defined]
    if (existing := await stored(session, ctx, model, record_id, body_hash)) is not None:
        return "duplicate", existing
    values = await prepare()
    district = ctx.actor.district_code or ctx.settings.district_code
    own = {"id": record_id, "body_hash": body_hash, "district_code": district}
    outcome, row = await insert(session, model, values | own)
    if outcome == "created":
        if after is not None:
            await after(row)
        audit.record(session, ctx, action, action.split(".")[0], record_id, detail(row))
    return outcome, row


class Paged(Protocol):
    """A list's query: its page."""

    @property
    def limit(self) -> int: ...

    @property
    def cursor(self) -> str | None: ...


def month_of(month: str | None) -> tuple[date, date] | None:
    """A `month` filter (YYYY-MM, 422 on `month` otherwise) as its first and last day."""
    return month_span(parse_optional_month(month))


async def listed(
    session: AsyncSession,
    ctx: RequestContext,
    stmt: Select[Any],
    keys: Sequence[Any],
    query: Paged,
    *,
    action: str,
    out: Callable[[Any], OutT],
) -> Page[OutT]:
    """One page of a list in the order of `keys`, its read audited (`action`, the count)."""
    limit, cursor = query.limit, query.cursor
    rows, nxt = await paginate(session, stmt, keys, limit=limit, cursor=cursor)
    audit.record(session, ctx, action, action.split(".")[0], None, {"count": len(rows)})
    return Page(items=[out(r) for r in rows], next_cursor=nxt)
