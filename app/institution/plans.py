"""个案照护计划: a resident's care plan for a year — goals and planned services in the four
domains 养治教康 — reviewed at least every CARE_PLAN_REVIEW_MONTHS months (rule we set).

`PUT` creates the year's plan (no If-Match, or `If-Match: *`) or replaces it (If-Match with the
plan's ETag: 428 without, 412 when stale). Every read and write is audited: it is part of the
child's personal record.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.children.errors import ChildNotFound
from app.children.rules import add_months
from app.errors import PreconditionFailed, ValidationFailed
from app.institution import repository as repo
from app.institution.common import Errors, not_future
from app.institution.errors import CarePlanNotFound
from app.institution.schemas import CarePlanDomains, CarePlanIn, CarePlanOut
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.etag import check_if_match
from app.models import CarePlan, Child


def review_due(reviewed_on: date, months: int) -> date:
    """The day the next review is due (rule we set: CARE_PLAN_REVIEW_MONTHS after the last)."""
    return add_months(reviewed_on, months)


def to_out(plan: CarePlan, ctx: RequestContext) -> CarePlanOut:
    due = review_due(plan.reviewed_on, ctx.settings.care_plan_review_months)
    return CarePlanOut(
        child_id=plan.child_id,
        year=plan.year,
        domains=CarePlanDomains.model_validate(plan.domains),
        note=plan.note,
        reviewed_on=plan.reviewed_on,
        review_due_on=due,
        review_overdue=due < ctx.today,
        updated_by=plan.updated_by,
        version=plan.version,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
    )


async def _child(
    session: AsyncSession, ctx: RequestContext, child_id: uuid.UUID, *, resident: bool
) -> Child:
    """The institute's child of the caller's district (a current resident to write a plan):
    else 404."""
    if resident:
        child = (await repo.residents(session, ctx.actor, [child_id])).get(child_id)
    else:
        child = await repo.institute_child(session, ctx.actor, child_id)
    if child is None:
        raise ChildNotFound()
    return child


async def get_plan(
    session: AsyncSession, ctx: RequestContext, child_id: uuid.UUID, year: int | None
) -> CarePlan:
    """The resident's plan for `year` (this year by default)."""
    await _child(session, ctx, child_id, resident=False)
    plan = await repo.care_plan(session, child_id, year or ctx.today.year)
    if plan is None:
        raise CarePlanNotFound(
            "该儿童尚无该年度的照护计划", "The child has no care plan for that year"
        )
    audit.record(session, ctx, "care_plan.read", "child", child_id, {"year": plan.year})
    return plan


def _judge(body: CarePlanIn, previous: CarePlan | None, ctx: RequestContext) -> None:
    errors: Errors = []
    if not ctx.today.year - 1 <= body.year <= ctx.today.year + 1:
        errors.append(
            ("year", "计划年度须为去年、今年或明年", "The year must be last, this or next year")
        )
    not_future(body.reviewed_on, ctx, "reviewed_on", errors)
    if previous is not None and body.reviewed_on < previous.reviewed_on:
        errors.append(
            (
                "reviewed_on",
                f"评估日期不能早于上次评估 {previous.reviewed_on.isoformat()}",
                f"The review cannot be before the last one ({previous.reviewed_on.isoformat()})",
            )
        )
    d = body.domains
    if not any(p.goals for p in (d.care, d.treatment, d.education, d.rehabilitation)):
        errors.append(("domains", "计划须至少有一个目标", "The plan needs at least one goal"))
    if errors:
        raise ValidationFailed(errors=errors)


async def put_plan(
    session: AsyncSession,
    ctx: RequestContext,
    child_id: uuid.UUID,
    body: CarePlanIn,
    if_match: str | None,
) -> tuple[bool, CarePlan]:
    """Create or replace the resident's plan for `body.year`; (created, plan)."""
    await _child(session, ctx, child_id, resident=True)
    plan = await repo.care_plan(session, child_id, body.year, lock=True)
    if plan is not None:
        check_if_match(if_match, plan.version)
    _judge(body, plan, ctx)
    values = {
        "domains": body.domains.model_dump(mode="json"),
        "note": body.note,
        "reviewed_on": body.reviewed_on,
        "updated_by": ctx.actor.name,
    }
    created = plan is None
    if plan is None:
        if if_match is not None and if_match.strip() != "*":
            raise PreconditionFailed(
                "该年度尚无照护计划，新建时请勿带 If-Match（或使用 *）",
                "There is no plan for that year yet: create it without If-Match (or with *)",
            )
        plan = CarePlan(id=uuid.uuid4(), child_id=child_id, year=body.year, **values)
        session.add(plan)
    else:
        for name, value in values.items():
            setattr(plan, name, value)
    await session.flush()
    await session.refresh(plan, ["updated_at", "created_at"])
    audit.record(
        session,
        ctx,
        "care_plan.create" if created else "care_plan.update",
        "child",
        child_id,
        {"year": body.year, "reviewed_on": body.reviewed_on.isoformat()},
    )
    return created, plan
