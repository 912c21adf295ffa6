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
from app.models import Case, CaseService, Child


def child_view(child: Child, ctx: RequestContext) -> CaseChild:
    return CaseChild(
        id=child.id,
        name=child.name,
        gender=child.gender,
        birth_date=child.birth_date,
        age=age_on(child.birth_date, ctx.today),
        id_number=child.id_number_masked,
        category=child.category,
        placement=child.placement,
        village_code=child.village_code,
        guardians=list(child.guardians),
        school_stage=child.school_stage,
        school_name=child.school_name,
    )


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
    return CaseOut(
        id=case.id,
        status=case.status,
        child=child_view(child, ctx),
        agency_id=case.agency_id,
        agency_name=names.get(case.agency_id, ""),
        reason=case.reason,
        assistance=list(case.assistance),
        override_reason=case.override_reason,
        opened_on=case.opened_on,
        opened_by=case.opened_by,
        assessment=case.assessment,
        assessed_on=case.assessed_on,
        plan_set_on=case.plan_set_on,
        goals=[GoalOut.model_validate(g, from_attributes=True) for g in goals],
        next_review_due=case.next_review_due,
        review_overdue=overdue(case, ctx),
        reviews=[
            ReviewOut.model_validate(r, from_attributes=True)
            for r in await repo.reviews_of(session, case.id)
        ],
        minutes_delivered=await repo.minutes_of(session, case.id),
        closed_on=case.closed_on,
        outcome=case.outcome,
        closing_note=case.closing_note,
        steps=[
            StepOut.model_validate(s, from_attributes=True)
            for s in await repo.steps_of(session, case.id)
        ],
        version=case.version,
        created_at=case.created_at,
        updated_at=case.updated_at,
    )


def service_out(s: CaseService) -> ServiceOut:
    return ServiceOut.model_validate(s, from_attributes=True)
