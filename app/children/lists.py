"""The children's lists: the ledger (paged, audited for agencies), the children due for
revocation, those due a new look 待复核, the change proposals and the adult-placement queue.
Each is one call for its route: the query, the page and the answer's items."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic_core import from_json
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.mandate import whole_id_number
from app.auth.principal import Principal
from app.children import continued, rules
from app.children import repository as repo
from app.children.auth import require_staff
from app.children.fields import facts_of
from app.children.projection import AnswerMemo, answer_json, page_json, view
from app.children.schemas import (
    AdultPlacementOut,
    DueForRevocation,
    ProposalOut,
    ReverificationDue,
    ReverificationReason,
)
from app.children.service import require_reader
from app.kit import audit
from app.kit.audit_batch import write_read
from app.kit.context import RequestContext
from app.kit.lean import LeanSelect, driver_connection
from app.kit.pagination import Page, checked_cursor, encode_cursor, paginate
from app.kit.vocab import month_end
from app.models import Child, ChildProposal


async def list_children(
    state: Any,
    ctx: RequestContext,
    *,
    category: str | None,
    placement: str | None,
    area_code: str | None,
    status: str | None,
    updated_since: datetime | None,
    limit: int,
    cursor: str | None,
) -> bytes:
    """The children the caller may read, a page's JSON; an agency's page is audited as a read
    of each (committed by the group commit before this returns).

    A lean read (app.kit.lean): one statement per caller and filter shape, the values bound per
    request, the rows plain; each child's view made into the page's JSON at once, as the
    schemas would dump it (`projection.page_json`)."""
    principal = ctx.actor
    require_reader(principal)
    given = {"category": category, "placement": placement, "area_code": area_code}
    filters: dict[str, Any] = {k: v for k, v in given.items() if v}
    if status:
        filters["status"] = status
    if updated_since is not None:
        filters["updated_since"] = updated_since
    after = None
    if cursor:
        at, child_id = checked_cursor(cursor, repo.LIST_KEYS)
        after = (at, child_id)
    async with driver_connection(state) as conn:
        lean, records = await repo.lean_list(conn, principal, filters, after, limit + 1)
    nxt = None
    if len(records) > limit:
        records = records[:limit]
        last = lean.row(records[-1])
        nxt = encode_cursor([last.updated_at, last.id])
    body = page_json([_item(lean, r, ctx) for r in records], nxt)
    if principal.kind == "agency":
        ids = [str(lean.row(r).id) for r in records]
        detail = {"count": len(ids), "ids": ids}
        await write_read(state, audit.entry(ctx, "child.list", "child", None, detail))
    return body


_MEMO = AnswerMemo()


def _item(lean: LeanSelect, record: Any, ctx: RequestContext) -> bytes:
    """A listed child's JSON (its view, never the whole ID number but for the police): made
    once per state of the row and view (`AnswerMemo`), the JSONB columns (read as text) parsed
    only then, as the engine's codec would (app.db: pydantic-core's parser)."""
    principal = ctx.actor
    kind = principal.agency if principal.kind == "agency" else None
    kept = not whole_id_number(kind)
    key = (kind, *record)
    if kept:
        hit = _MEMO.get(key)
        if hit is not None:
            return hit
    parsed = lean.row(record)
    values = parsed.__dict__
    for name in repo.JSON_FIELDS:
        text = values[name]
        if text is not None:
            values[name] = from_json(text)
    item = answer_json(view(parsed, ctx))
    if kept:
        _MEMO.put(key, item)
    return item


async def due_for_revocation(
    session: AsyncSession, ctx: RequestContext, month: date | None
) -> list[DueForRevocation]:
    """Children turning 18 by the end of `month` (default: this month), and whether the support
    after 18 in school keeps them on the ledger. (Staff only: the route's guard.)"""
    first = month or ctx.today.replace(day=1)
    rows = await repo.due_for_revocation(session, ctx.actor, month_end(first))
    switch_on = await continued.support_after_18_on(session, ctx.today, ctx.actor.district_code)
    out = []
    for c in rows:
        turns = rules.birthday_at(c.birth_date, 18)
        stays = continued.supported_until(c, max(turns, ctx.today), switch_on)
        out.append(
            DueForRevocation(
                **_listed(c),
                birth_date=c.birth_date,
                turns_18_on=turns,
                overdue=turns < first and stays is None,
                continues_schooling_until=stays,
            )
        )
    return out


def _listed(c: Child) -> dict[str, Any]:
    """What a list of children says of each: who, of which category, placed where."""
    return {
        "id": c.id,
        "name": c.name,
        "category": c.category,
        "placement": c.placement,
        "village_code": c.village_code,
    }


async def reverifications(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    due_before: date | None,
    area_code: str | None,
    category: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ReverificationDue]:
    """Children whose category needs a new look by `due_before` (default today), with why."""
    today = ctx.today
    stmt = repo.reverifications_stmt(
        ctx.actor, due_before=due_before or today, area_code=area_code, category=category
    )
    rows, nxt = await paginate(
        session, stmt, [Child.reverify_on, Child.id], limit=limit, cursor=cursor
    )
    towns = await repo.towns_of(session, {c.village_code for c in rows if c.village_code})
    items = []
    for c in rows:
        town = towns.get(c.village_code or "")
        items.append(
            ReverificationDue(
                **_listed(c),
                town_code=town[0] if town else None,
                town_name=town[1] if town else None,
                reverify_on=c.reverify_on,
                overdue=c.reverify_on < today,
                reasons=_reverification_reasons(c),
            )
        )
    return Page(items=items, next_cursor=nxt)


def _reverification_reasons(c: Child) -> list[ReverificationReason]:
    """The facts due for re-verification and the review flags, by the date each is due."""
    reasons = [ReverificationReason(**r) for r in rules.reverifications(facts_of(c))]
    reasons += [_flag_reason(f) for f in c.review_flags or []]
    reasons.sort(key=lambda r: r.due_on)
    return reasons


def _flag_reason(flag: dict[str, Any]) -> ReverificationReason:
    return ReverificationReason(
        kind="review_flag",
        due_on=flag["flagged_on"],
        field=flag["field"],
        rule=flag["rule"],
        reason=flag["reason_zh"],
    )


async def list_proposals(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    status: str | None,
    child_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[ProposalOut]:
    """The change proposals of the children within the caller's jurisdiction (staff only)."""
    require_staff(ctx.actor)
    rows, nxt = await paginate(
        session,
        repo.proposals_stmt(ctx.actor, status=status, child_id=child_id),
        [ChildProposal.created_at, ChildProposal.id],
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[ProposalOut.model_validate(p) for p in rows], next_cursor=nxt)


async def placement_queue(
    session: AsyncSession, principal: Principal, status: str | None
) -> list[AdultPlacementOut]:
    """The adult-placement queue 成年孤儿安置 with each child's name (the caller's district's)."""
    rows = await repo.placement_queue(session, principal, status=status)
    columns = [f for f in AdultPlacementOut.model_fields if f != "name"]
    return [
        AdultPlacementOut.model_validate({f: getattr(p, f) for f in columns} | {"name": name})
        for p, name in rows
    ]
