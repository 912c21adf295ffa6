"""What a case looks like to its readers: the case with its child's facts, goals, reviews,
steps and minutes; a service record."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.casework import repository as repo
from app.casework.schemas import (
    CaseChild,
    CaseOut,
    GoalOut,
    ReviewOut,
    ServiceOut,
    StepOut,
)
from app.children.rules import age_on
from app.kit.context import RequestContext
from app.kit.records import out_of
from app.models import Case, CaseService, Child


def child_view(child: Child, ctx: RequestContext) -> CaseChild:
    age = age_on(child.birth_date, ctx.today)
    return out_of(CaseChild, child, age=age, id_number=child.id_number_masked)


def overdue(case: Case, ctx: RequestContext) -> bool:
    return (
        case.status == "in_service"
        and case.next_review_due is not None
        and case.next_review_due < ctx.today
    )


async def case_view(session: AsyncSession, ctx: RequestContext, case: Case) -> CaseOut:
    child = await repo.child(session, case.child_id)
    assert child is not None  # a foreign key
    names = await repo.agency_names(session, {case.agency_id})
    goals = await repo.goals_of(session, case.id)
    reviews = await repo.reviews_of(session, case.id)
    steps = await repo.steps_of(session, case.id)
    return out_of(
        CaseOut,
        case,
        child=child_view(child, ctx),
        agency_name=names.get(case.agency_id, ""),
        goals=[GoalOut.model_validate(g, from_attributes=True) for g in goals],
        review_overdue=overdue(case, ctx),
        reviews=[ReviewOut.model_validate(r, from_attributes=True) for r in reviews],
        minutes_delivered=await repo.minutes_of(session, case.id),
        steps=[StepOut.model_validate(s, from_attributes=True) for s in steps],
    )


def service_out(s: CaseService) -> ServiceOut:
    return ServiceOut.model_validate(s, from_attributes=True)
