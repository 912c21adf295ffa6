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
from datetime import timedelta
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.config import Settings
from app.errors import AppError, ValidationFailed, translate_validation_errors, wants_english
from app.kit import audit, idempotency
from app.kit.clock import DISTRICT_TZ, Clock, local_today, month_of
from app.models import Child, Visit
from app.visits import flags, hooks
from app.visits import repository as repo
from app.visits.errors import ChildNotFound, VisitIdConflict, VisitNotFound
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
class Context:
    """What one request needs to know, fetched once for a whole batch."""

    principal: Principal
    settings: Settings
    clock: Clock
    children: dict[uuid.UUID, Child] = field(default_factory=dict)
    existing: dict[uuid.UUID, Visit] = field(default_factory=dict)
    towns: dict[str, str | None] = field(default_factory=dict)


def to_out(visit: Visit) -> VisitOut:
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


async def prepare(session: AsyncSession, ctx: Context, bodies: list[VisitCreate]) -> None:
    ctx.children = await repo.readable_children(
        session, ctx.principal, [b.child_id for b in bodies]
    )
    ctx.existing = await repo.visits_by_id(session, [b.id for b in bodies])
    villages = [c.village_code for c in ctx.children.values() if c.village_code]
    ctx.towns = await repo.towns_of(session, villages)


def _check_dates(body: VisitCreate, child: Child, ctx: Context) -> None:
    errors: list[tuple[str, str, str]] = []
    now = ctx.clock.now()
    if body.visited_at > now + timedelta(seconds=ctx.settings.visit_future_tolerance_seconds):
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


def _replay(existing: Visit, body_hash: str, ctx: Context) -> Visit:
    if existing.body_hash != body_hash or existing.child_id not in ctx.children:
        raise VisitIdConflict()
    return existing


async def create_one(
    session: AsyncSession, ctx: Context, body: VisitCreate
) -> tuple[Outcome, Visit]:
    """Record one visit (the caller has run `prepare`). Raises AppError when refused."""
    child = ctx.children.get(body.child_id)
    body_hash = idempotency.body_hash(body.fingerprint())
    existing = ctx.existing.get(body.id)
    if existing is not None:
        return "duplicate", _replay(existing, body_hash, ctx)
    if child is None:
        raise ChildNotFound()
    _check_dates(body, child, ctx)
    village = child.village_code if child.placement == "dispersed" else None
    values: dict[str, Any] = {
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
        "photos": body.photos,
        "village_code": village,
        "visitor_id": ctx.principal.id,
        "visitor_name": ctx.principal.name,
        "body_hash": body_hash,
    }
    visit = await repo.insert_visit(session, values)
    if visit is None:
        # A concurrent request with the same id committed first.
        found = await repo.visits_by_id(session, [body.id])
        return "duplicate", _replay(found[body.id], body_hash, ctx)
    ctx.existing[visit.id] = visit
    due_on = local_today(ctx.clock) + timedelta(days=ctx.settings.follow_up_due_days)
    town = ctx.towns.get(village) if village else None
    await repo.insert_follow_ups(
        session,
        [
            {
                "id": uuid.uuid4(),
                "visit_id": visit.id,
                "child_id": child.id,
                "town_code": town,
                "kind": d.kind,
                "text": d.text,
                "status": "open",
                "due_on": due_on,
                "history": [],
                "version": 1,
            }
            for d in body.difficulties
        ],
    )
    await flags.on_arrival(session, visit, ctx.settings)
    if visit.suspected_infringement:
        await hooks.on_suspected_infringement(session, visit)
    audit.record(session, "visit.create", "visit", visit.id, {"child_id": str(child.id)})
    return "created", visit


async def create_visit(
    session: AsyncSession, ctx: Context, body: VisitCreate
) -> tuple[Outcome, VisitOut]:
    """POST /visits: created (201) or the stored visit again (200)."""
    await prepare(session, ctx, [body])
    outcome, visit = await create_one(session, ctx, body)
    return outcome, to_out(visit)


async def create_batch(
    session: AsyncSession, ctx: Context, items: list[dict[str, Any]]
) -> BatchOut:
    """POST /visits/batch: each item in its own savepoint, so one bad item blocks no other."""
    request = session.info.get("request")
    en = wants_english(request)
    results: list[BatchItemResult] = []
    parsed: list[tuple[int, VisitCreate]] = []
    for i, raw in enumerate(items):
        try:
            parsed.append((i, VisitCreate.model_validate(raw)))
        except ValidationError as exc:
            results.append(
                BatchItemResult(
                    index=i,
                    id=_raw_id(raw),
                    status="invalid",
                    errors=[
                        ItemError(field=f, message=m_en if en else m_zh)
                        for f, m_zh, m_en in translate_validation_errors(exc.errors())
                    ],
                )
            )
    await prepare(session, ctx, [b for _, b in parsed])
    for i, body in parsed:
        try:
            async with session.begin_nested():
                outcome, _ = await create_one(session, ctx, body)
            results.append(BatchItemResult(index=i, id=body.id, status=outcome))
        except AppError as err:
            status: Literal["conflict", "invalid"] = "conflict" if err.status == 409 else "invalid"
            problem = err.to_problem(request)
            errs = [ItemError(**e) for e in problem.get("errors", [])] or [
                ItemError(
                    field="child_id" if err.status == 404 else "id",
                    message=str(problem.get("detail") or problem["title"]),
                )
            ]
            results.append(BatchItemResult(index=i, id=body.id, status=status, errors=errs))
    results.sort(key=lambda r: r.index)
    counts = {s: sum(1 for r in results if r.status == s) for s in ("created", "duplicate")}
    return BatchOut(
        created=counts["created"],
        duplicate=counts["duplicate"],
        conflict=sum(1 for r in results if r.status == "conflict"),
        invalid=sum(1 for r in results if r.status == "invalid"),
        results=results,
    )


def _raw_id(raw: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw.get("id"))) if isinstance(raw, dict) else None
    except ValueError:
        return None


async def get_visit(session: AsyncSession, principal: Principal, visit_id: uuid.UUID) -> VisitOut:
    visit = await repo.get_visit(session, principal, visit_id)
    if visit is None:
        raise VisitNotFound()
    audit.record(session, "visit.read", "visit", visit.id, {"child_id": str(visit.child_id)})
    return to_out(visit)
