"""巡视探访: the rules for recording visits, one at a time or in an offline phone's batch.

A visit is created once under its client UUID. The same id with the same body (however often,
however concurrently) gives back the stored visit; the same id with another body is a conflict.
The check is an `INSERT … ON CONFLICT (id) DO NOTHING` followed by a comparison of the stored
body hash, so concurrent duplicates queue on the first insert's row lock and then read it.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children.errors import ChildNotFound
from app.config import Settings
from app.errors import AppError, ValidationFailed, translate_validation_errors
from app.kit import audit, idempotency
from app.kit.audit_chain import PendingEntry
from app.kit.clock import DISTRICT_TZ, local_today, month_of
from app.kit.context import RequestContext
from app.kit.lean import LeanRow, session_connection, write_audit
from app.kit.pagination import Page, paginate
from app.models import Child, Visit
from app.visits import flags, hooks
from app.visits import repository as repo
from app.visits.errors import VisitIdConflict, VisitNotFound
from app.visits.schemas import (
    BatchItemResult,
    BatchOut,
    ItemError,
    Location,
    VisitCreate,
    VisitOut,
)

Outcome = Literal["created", "duplicate"]


@dataclass
class _Batch:
    """What one request (a visit, or a phone's batch) knows, fetched once by `prepare`: the
    request's context and the items' children, stored visits and the villages' towns."""

    ctx: RequestContext
    children: dict[uuid.UUID, Child] = field(default_factory=dict)
    existing: dict[uuid.UUID, Visit] = field(default_factory=dict)
    towns: dict[str, str | None] = field(default_factory=dict)

    @property
    def principal(self) -> Principal:
        return self.ctx.actor

    @property
    def settings(self) -> Settings:
        return self.ctx.settings


def to_out(visit: Visit | LeanRow) -> VisitOut:
    return VisitOut.model_validate(
        {
            "id": visit.id,
            "child_id": visit.child_id,
            "visited_at": visit.visited_at,
            "month": visit.visit_month.strftime("%Y-%m"),
            "mode": visit.mode,
            "findings": visit.findings,
            "difficulties": visit.difficulties,
            "suspected_infringement": visit.suspected_infringement,
            "notes": visit.notes,
            "location": None
            if visit.lat is None or visit.lon is None
            else Location(lat=visit.lat, lon=visit.lon),
            "photos": visit.photos,
            "village_code": visit.village_code,
            "visitor_id": visit.visitor_id,
            "visitor_name": visit.visitor_name,
            "incident_id": visit.incident_id,
            "created_at": visit.created_at,
            "updated_at": visit.updated_at,
        }
    )


def notes_hash(notes: str | None) -> str | None:
    """Whitespace-normalised notes of some length; short notes ("无异常") are not compared."""
    if not notes:
        return None
    norm = "".join(notes.split())
    if len(norm) < 15:
        return None
    return hashlib.md5(norm.encode(), usedforsecurity=False).hexdigest()


async def prepare(session: AsyncSession, ctx: RequestContext, bodies: list[VisitCreate]) -> _Batch:
    found = await repo.readable_children(session, ctx.actor, [b.child_id for b in bodies])
    return _Batch(
        ctx=ctx,
        children={cid: child for cid, (child, _) in found.items()},
        existing=await repo.visits_by_id(session, [b.id for b in bodies]),
        towns={c.village_code: town for c, town in found.values() if c.village_code},
    )


def _check_dates(body: VisitCreate, child: Child, ctx: RequestContext) -> None:
    errors: list[tuple[str, str, str]] = []
    tolerance = timedelta(seconds=ctx.settings.visit_future_tolerance_seconds)
    if body.visited_at > ctx.clock.now() + tolerance:
        errors.append(
            ("visited_at", "探访时间不能晚于当前时间", "The visit cannot be in the future")
        )
    day = body.visited_at.astimezone(DISTRICT_TZ).date()
    if day < child.approved_on:
        errors.append(
            (
                "visited_at",
                f"探访日期早于该儿童纳入台账的日期 {child.approved_on.isoformat()}",
                f"The visit is before the child's enrolment on {child.approved_on.isoformat()}",
            )
        )
    elif child.revoked_on is not None and day >= child.revoked_on:
        errors.append(
            (
                "visited_at",
                f"该儿童已于 {child.revoked_on.isoformat()} 退出台账",
                f"The child left the ledger on {child.revoked_on.isoformat()}",
            )
        )
    if errors:
        raise ValidationFailed(errors=errors)


def _replay(existing: Visit, body_hash: str, batch: _Batch) -> Visit:
    if existing.body_hash != body_hash or existing.child_id not in batch.children:
        raise VisitIdConflict()
    return existing


@dataclass
class _New:
    """An item judged new and valid: its row, ready for the INSERT."""

    index: int
    body: VisitCreate
    child: Child
    values: dict[str, Any]

    @property
    def body_hash(self) -> str:
        return str(self.values["body_hash"])


def _judge(batch: _Batch, index: int, body: VisitCreate) -> tuple[Outcome, Visit] | _New:
    """Decide an item from what `prepare` fetched, without a query: the replay of a stored
    visit, or a new visit to insert. Raises AppError when refused."""
    body_hash = idempotency.body_hash(body.fingerprint())
    existing = batch.existing.get(body.id)
    if existing is not None:
        return "duplicate", _replay(existing, body_hash, batch)
    child = batch.children.get(body.child_id)
    if child is None:
        raise ChildNotFound()
    _check_dates(body, child, batch.ctx)
    values = _values(body, batch.principal, body_hash)
    values["village_code"] = child.village_code if child.placement == "dispersed" else None
    return _New(index=index, body=body, child=child, values=values)


def _values(body: VisitCreate, principal: Principal, body_hash: str) -> dict[str, Any]:
    """A new visit's row: every column the INSERT sets but its village (the child's)."""
    return {
        "id": body.id,
        "child_id": body.child_id,
        "visited_at": body.visited_at,
        "visit_month": month_of(body.visited_at),
        "mode": body.mode,
        "findings": body.findings.model_dump(mode="json"),
        "difficulties": [d.model_dump(mode="json") for d in body.difficulties],
        "suspected_infringement": body.suspected_infringement,
        "notes": body.notes,
        "notes_hash": notes_hash(body.notes),
        "lat": body.location.lat if body.location else None,
        "lon": body.location.lon if body.location else None,
        "photos": [str(p) for p in body.photos],
        "visitor_id": principal.id,
        "visitor_name": principal.name,
        "body_hash": body_hash,
    }


async def _store(session: AsyncSession, batch: _Batch, new: list[_New]) -> dict[uuid.UUID, Visit]:
    """Insert the visits and their follow-ups in one statement each; the visits inserted, by id.

    An id already taken (a concurrent duplicate committed first; it waited here for that
    commit) is left out of the answer. Rows go in id order, so two batches sharing ids
    lock them in the same order and never deadlock.
    """
    rows = [n.values for n in sorted(new, key=lambda n: n.body.id)]
    stored = {v.id: v for v in await repo.insert_visits(session, rows)}
    follow_ups: list[dict[str, Any]] = []
    for n in new:
        visit = stored.get(n.body.id)
        if visit is None:
            continue
        town = batch.towns.get(visit.village_code) if visit.village_code else None
        follow_ups += _follow_ups(n.body, visit.id, n.child.id, town, batch.ctx)
    await repo.insert_follow_ups(session, follow_ups)
    return stored


def _entry(ctx: RequestContext, visit_id: uuid.UUID, child_id: uuid.UUID) -> PendingEntry:
    """The audit entry of a new visit (as `_created` queues it), for one visit's own write."""
    return audit.entry(ctx, "visit.create", "visit", visit_id, {"child_id": str(child_id)})


def _created(session: AsyncSession, ctx: RequestContext, visit: Visit) -> None:
    audit.record(session, ctx, "visit.create", "visit", visit.id, {"child_id": str(visit.child_id)})


async def create_one(
    session: AsyncSession, batch: _Batch, body: VisitCreate, index: int = 0
) -> tuple[Outcome, Visit]:
    """Record one visit (the caller has run `prepare`, and runs `flags.on_arrival` on the
    visits created). Raises AppError when refused."""
    judged = _judge(batch, index, body)
    if not isinstance(judged, _New):
        return judged
    visit = (await _store(session, batch, [judged])).get(body.id)
    if visit is None:
        # A concurrent request with the same id committed first.
        found = await repo.visits_by_id(session, [body.id])
        return "duplicate", _replay(found[body.id], judged.body_hash, batch)
    batch.existing[visit.id] = visit
    if visit.suspected_infringement:
        await hooks.on_suspected_infringement(session, batch.ctx, visit)
    _created(session, batch.ctx, visit)
    return "created", visit


async def create_visit(
    session: AsyncSession, ctx: RequestContext, body: VisitCreate
) -> tuple[Outcome, VisitOut]:
    """POST /visits: created (201) or the stored visit again (200).

    A new visit is one statement on the session's connection (issue 30;
    `repository.create_visit_row`): its child looked up in the caller's jurisdiction, the
    INSERT … ON CONFLICT (id) DO NOTHING if the visit falls within the child's time on the
    ledger, its burst flag, and what the other two flags need. When it inserts nothing (the
    child is not the caller's, the date is refused, the id is taken: a retry) the visit is
    judged again as before, which answers the error or replays the stored visit. A visit in
    the future or with suspected infringement (its incident hook works on the ORM's Visit)
    takes that path at once."""
    tolerance = timedelta(seconds=ctx.settings.visit_future_tolerance_seconds)
    if body.suspected_infringement or body.visited_at > ctx.clock.now() + tolerance:
        return await _create_judged(session, ctx, body)
    body_hash = idempotency.body_hash(body.fingerprint())
    conn = await session_connection(session)
    # The visit's audit entry, with any the request queued before, written here on the
    # statement's reserved ids (the session's flush finds none left).
    pending = [*session.info.get("audit", []), _entry(ctx, body.id, body.child_id)]
    row = await repo.create_visit_row(
        conn,
        ctx.actor,
        _values(body, ctx.actor, body_hash),
        day=body.visited_at.astimezone(DISTRICT_TZ).date(),
        hour=flags.HOUR,
        max_per_hour=ctx.settings.visit_max_per_hour,
        same_notes_limit=flags.SAME_NOTES_SHOWN,
        audit_entries=len(pending),
    )
    if row is None:
        return await _create_judged(session, ctx, body)
    session.info.pop("audit", None)
    await write_audit(
        conn,
        pending,
        row.audit_prev_hash,
        row.audit_ids,
        now=ctx.clock.now(),
        request_id=ctx.request_id,
        client_addr=ctx.client_addr,
    )
    if body.difficulties:
        town = row.town if row.village_code else None
        await repo.insert_follow_ups(session, _follow_ups(body, row.id, row.child_id, town, ctx))
    await repo.add_flags(session, flags.of_one(row, ctx.settings))
    return "created", to_out(row)


async def _create_judged(
    session: AsyncSession, ctx: RequestContext, body: VisitCreate
) -> tuple[Outcome, VisitOut]:
    """One visit judged as a batch's item: its child and any stored visit of its id read
    first (`prepare`), then refused, replayed or created (and flagged)."""
    batch = await prepare(session, ctx, [body])
    outcome, visit = await create_one(session, batch, body)
    if outcome == "created":
        await flags.on_arrival(session, [visit], ctx.settings)
    return outcome, to_out(visit)


def _follow_ups(
    body: VisitCreate,
    visit_id: uuid.UUID,
    child_id: uuid.UUID,
    town: str | None,
    ctx: RequestContext,
) -> list[dict[str, Any]]:
    """A follow-up per difficulty of a new visit, due FOLLOW_UP_DUE_DAYS after today."""
    due_on = local_today(ctx.clock) + timedelta(days=ctx.settings.follow_up_due_days)
    return [
        {
            "id": uuid.uuid4(),
            "visit_id": visit_id,
            "child_id": child_id,
            "town_code": town,
            "kind": d.kind,
            "text": d.text,
            "status": "open",
            "due_on": due_on,
            "history": [],
            "version": 1,
        }
        for d in body.difficulties
    ]


class _Results:
    """The per-item answers of a batch, and the visits it created (by item index)."""

    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.items: list[BatchItemResult] = []
        self.created: dict[int, Visit] = {}

    def ok(self, index: int, outcome: Outcome, visit: Visit) -> None:
        self.items.append(BatchItemResult(index=index, id=visit.id, status=outcome))
        if outcome == "created":
            self.created[index] = visit

    def refused(self, index: int, visit_id: uuid.UUID, err: AppError) -> None:
        status: Literal["conflict", "invalid"] = "conflict" if err.status == 409 else "invalid"
        problem = self.ctx.problem(err)
        errs = [ItemError(**e) for e in problem.get("errors", [])] or [
            ItemError(
                field="child_id" if err.status == 404 else "id",
                message=str(problem.get("detail") or problem["title"]),
            )
        ]
        self.items.append(BatchItemResult(index=index, id=visit_id, status=status, errors=errs))


async def create_batch(
    session: AsyncSession, ctx: RequestContext, items: list[dict[str, Any]]
) -> BatchOut:
    """POST /visits/batch: a result per item; one bad item blocks no other.

    The whole batch is judged from one read of its children and ids (`prepare`); the new
    visits are inserted together, then flagged together. Items that need more are taken one
    by one, each in its own savepoint, after the rest: a visit with suspected infringement
    (its draft incident must exist with it or not at all) and an id repeated in the batch
    (judged against what the earlier item left).
    """
    out = _Results(ctx)
    parsed = _parse_items(items, out)
    batch = await prepare(session, ctx, [b for _, b in parsed])
    new, one_by_one = _judge_items(batch, parsed, out)
    if new:
        await _store_new(session, batch, new, out)
    for i, body in one_by_one:
        try:
            async with session.begin_nested():
                outcome, visit = await create_one(session, batch, body, i)
            out.ok(i, outcome, visit)
        except AppError as err:
            out.refused(i, body.id, err)
    await flags.on_arrival(session, [out.created[i] for i in sorted(out.created)], ctx.settings)
    return _answer(out)


def _parse_items(items: list[dict[str, Any]], out: _Results) -> list[tuple[int, VisitCreate]]:
    """The items that are visits, by index; the others are answered `invalid` at once."""
    parsed: list[tuple[int, VisitCreate]] = []
    for i, raw in enumerate(items):
        try:
            parsed.append((i, VisitCreate.model_validate(raw)))
        except ValidationError as exc:
            out.items.append(
                BatchItemResult(
                    index=i,
                    id=_raw_id(raw),
                    status="invalid",
                    errors=[
                        ItemError(field=f, message=out.ctx.text(m_zh, m_en))
                        for f, m_zh, m_en in translate_validation_errors(exc.errors())
                    ],
                )
            )
    return parsed


def _judge_items(
    batch: _Batch, parsed: list[tuple[int, VisitCreate]], out: _Results
) -> tuple[list[_New], list[tuple[int, VisitCreate]]]:
    """Judge each item from what `prepare` read: the new visits to insert together, and the
    items to take one by one (suspected infringement, an id repeated in the batch)."""
    new: list[_New] = []
    one_by_one: list[tuple[int, VisitCreate]] = []
    seen: set[uuid.UUID] = set()
    for i, body in parsed:
        repeated = body.id in seen
        seen.add(body.id)
        if repeated or body.suspected_infringement:
            one_by_one.append((i, body))
            continue
        try:
            judged = _judge(batch, i, body)
        except AppError as err:
            out.refused(i, body.id, err)
            continue
        if isinstance(judged, _New):
            new.append(judged)
        else:
            out.ok(i, *judged)
    return new, one_by_one


async def _store_new(session: AsyncSession, batch: _Batch, new: list[_New], out: _Results) -> None:
    """Insert the new visits together; an id a concurrent upload took first is a replay."""
    stored = await _store(session, batch, new)
    taken = [n for n in new if n.body.id not in stored]
    found = await repo.visits_by_id(session, [n.body.id for n in taken])
    batch.existing.update(found)
    for n in new:
        visit = stored.get(n.body.id)
        if visit is not None:
            batch.existing[visit.id] = visit
            out.ok(n.index, "created", visit)
            _created(session, batch.ctx, visit)
            continue
        # A concurrent upload of the same id committed first.
        try:
            out.ok(n.index, "duplicate", _replay(found[n.body.id], n.body_hash, batch))
        except AppError as err:
            out.refused(n.index, n.body.id, err)


def _answer(out: _Results) -> BatchOut:
    results = sorted(out.items, key=lambda r: r.index)
    return BatchOut(
        created=sum(1 for r in results if r.status == "created"),
        duplicate=sum(1 for r in results if r.status == "duplicate"),
        conflict=sum(1 for r in results if r.status == "conflict"),
        invalid=sum(1 for r in results if r.status == "invalid"),
        results=results,
    )


def _raw_id(raw: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw.get("id"))) if isinstance(raw, dict) else None
    except ValueError:
        return None


async def list_visits(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    child_id: uuid.UUID | None,
    month: date | None,
    area_code: str | None,
    updated_since: datetime | None,
    suspected: bool | None,
    limit: int,
    cursor: str | None,
) -> Page[VisitOut]:
    """The visits in the caller's jurisdiction, the least recently changed first (a sync
    order); a page with visits is audited."""
    stmt = repo.visits_stmt(
        ctx.actor,
        child_id=child_id,
        month=month,
        area_code=area_code,
        updated_since=updated_since,
        suspected=suspected,
    )
    rows, nxt = await paginate(
        session, stmt, [Visit.updated_at, Visit.id], limit=limit, cursor=cursor
    )
    if rows:
        audit.record(session, ctx, "visit.list", "visit", None, {"count": len(rows)})
    return Page(items=[to_out(v) for v in rows], next_cursor=nxt)


async def get_visit(session: AsyncSession, ctx: RequestContext, visit_id: uuid.UUID) -> VisitOut:
    visit = await repo.get_visit(session, ctx.actor, visit_id)
    if visit is None:
        raise VisitNotFound()
    audit.record(session, ctx, "visit.read", "visit", visit.id, {"child_id": str(visit.child_id)})
    return to_out(visit)
