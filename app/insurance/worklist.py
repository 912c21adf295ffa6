"""The year's worklist 参保工作清单: the children due for a scheme and insurance year, each
with its reason, by town; and its generation as `due` enrolments.

Rules (rule we set, from the seed's "free enrolment" of every child in difficulty):
- a child is due when on the ledger today (status active), in a category the scheme covers
  free for that year, under 18 on 1 January of the year, and without an enrolment that
  settles the year (submitted, enrolled, or not_required with its reason). It is computed from
  the ledger when read, so a child enrolled on the ledger today is on the list today;
- the reason, the first that holds: `refused_by_insurer` (the insurer refused: submit again),
  `renewal` (enrolled in the scheme the year before), `category_changed` (the child's category
  on 1 January of the year before was another one: it changed since), `new_child`;
- a child whose 18th birthday falls within the year is due (covered for the year), with
  `turns_18_on`; one whose 18th birthday is 1 January or earlier is not (an adult all year):
  when it was enrolled the year before, it is on the submission file's stop sheet.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.children import history_repository as history
from app.children.repository import towns_of
from app.insurance import repository as repo
from app.insurance.schemas import WorklistGenerate, WorklistGenerated, WorklistItem
from app.insurance.service import scheme_for, turns_18_in
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.money import from_fen
from app.kit.pagination import Page, paginate
from app.models import Child, InsuranceScheme

REASON_ZH = {
    "refused_by_insurer": "承保方拒保，待重新报送",
    "renewal": "续保",
    "category_changed": "类别变更",
    "new_child": "新纳入保障",
}
_BATCH = 500


async def _items(
    session: AsyncSession, rows: list[Child], params: InsuranceScheme
) -> list[WorklistItem]:
    scheme, year = params.scheme, params.year
    ids = [c.id for c in rows]
    current = await repo.enrolments_of(session, ids, scheme, year)
    last_year = await repo.enrolments_of(session, ids, scheme, year - 1)
    categories_then = await history.values_on(session, "category", date(year - 1, 1, 1), ids)
    towns = await towns_of(session, {c.village_code for c in rows if c.village_code})
    out = []
    for c in rows:
        row = current.get(c.id)
        if row is not None and row.status == "refused_by_insurer":
            reason = "refused_by_insurer"
        elif c.id in last_year and last_year[c.id].status == "enrolled":
            reason = "renewal"
        elif categories_then.get(c.id, c.category) != c.category:
            reason = "category_changed"
        else:
            reason = "new_child"
        town = towns.get(c.village_code or "")
        out.append(
            WorklistItem.model_validate(
                {
                    "child_id": c.id,
                    "name": c.name,
                    "id_number_masked": c.id_number_masked,
                    "category": c.category,
                    "area_code": c.village_code,
                    "town_code": town[0] if town else None,
                    "town_name": town[1] if town else None,
                    "scheme": scheme,
                    "year": year,
                    "reason": reason,
                    "reason_zh": REASON_ZH[reason],
                    "turns_18_on": turns_18_in(c, year),
                    "enrolment_id": row.id if row else None,
                    "status": row.status if row else None,
                    "premium": from_fen(params.premium_fen),
                }
            )
        )
    return out


async def worklist(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    year: int,
    scheme: str,
    area_code: str | None,
    limit: int,
    cursor: str | None,
) -> Page[WorklistItem]:
    """The children due for `scheme` in `year` that the caller may read (by town with
    `area_code`), with the reason; the page is audited as a read of each child."""
    params = await scheme_for(session, scheme, year, ctx.today)
    stmt = repo.worklist_stmt(
        ctx.actor, scheme=scheme, year=year, categories=params.categories, area_code=area_code
    )
    rows, nxt = await paginate(session, stmt, [Child.id], limit=limit, cursor=cursor)
    items = await _items(session, rows, params)
    audit.record(
        session,
        ctx,
        "insurance.worklist",
        "child",
        None,
        {"scheme": scheme, "year": year, "count": len(items), "ids": [str(c.id) for c in rows]},
    )
    return Page(items=items, next_cursor=nxt)


async def generate(
    session: AsyncSession, ctx: RequestContext, body: WorklistGenerate
) -> WorklistGenerated:
    """A `due` enrolment for every child of the worklist without one (a second run creates
    nothing new: the rows exist)."""
    year, scheme = body.year, body.scheme
    params = await scheme_for(session, scheme, year, ctx.today)
    stmt = repo.worklist_stmt(
        ctx.actor, scheme=scheme, year=year, categories=params.categories, area_code=None
    )
    created = seen = 0
    cursor: str | None = None
    while True:
        rows, cursor = await paginate(session, stmt, [Child.id], limit=_BATCH, cursor=cursor)
        items = await _items(session, rows, params)
        seen += sum(1 for i in items if i.status == "due")
        created += await repo.insert_due(
            session,
            [
                {
                    "id": uuid.uuid4(),
                    "child_id": i.child_id,
                    "scheme": scheme,
                    "year": year,
                    "status": "due",
                    "due_reason": i.reason,
                    "created_at": ctx.now,
                    "created_by": ctx.actor.name,
                    "updated_at": ctx.now,
                    "updated_by": ctx.actor.name,
                    "version": 1,
                }
                for i in items
                if i.enrolment_id is None
            ],
        )
        if cursor is None:
            break
    audit.record(
        session,
        ctx,
        "insurance.worklist_generate",
        "insurance_enrolment",
        None,
        {"scheme": scheme, "year": year, "created": created},
    )
    return WorklistGenerated.model_validate(
        {"year": year, "scheme": scheme, "created": created, "already_due": seen}
    )
