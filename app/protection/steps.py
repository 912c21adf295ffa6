"""The stay: family tracing 寻亲, placements 安置 (art. 93), family assessments 家庭评估, and the
discharge 出站 that closes the intake (arts. 93, 94).

Each step is recorded by the centre's staff on an open intake (409 `intake_closed` on a closed
one) and audited. A discharge closes the intake for good; its outcome has its consequences in
the same transaction: the ledger enrolment of a long-term guardianship, the follow-up visits of
a child returned to a family of the district.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed
from app.kit import audit, idnumber
from app.kit.context import RequestContext
from app.kit.records import known
from app.models import (
    Base,
    ProtectionFamilyAssessment,
    ProtectionFollowUpVisit,
    ProtectionIntake,
    ProtectionPlacement,
    ProtectionTracing,
)
from app.protection import enrolment
from app.protection import repository as repo
from app.protection.errors import IntakeClosed, IntakeNotFound
from app.protection.rules import day_of, follow_up_dates
from app.protection.schemas import AssessmentIn, DischargeIn, PlacementIn, TracingIn

Errors = list[tuple[str, str, str]]


async def _open_intake(
    session: AsyncSession, ctx: RequestContext, intake_id: uuid.UUID
) -> ProtectionIntake:
    intake = known(await repo.get(session, ctx.actor, intake_id, lock=True), IntakeNotFound)
    if intake.status != "open":
        raise IntakeClosed(
            "已结案的受理不能再记录（重新受理请新建并关联原记录）",
            "A closed intake takes no more records (a reopening is a new intake linked to it)",
        )
    return intake


def _within_stay(
    field: str, day: date | None, intake: ProtectionIntake, ctx: RequestContext, errors: Errors
) -> None:
    """A day of the stay: on or after the admission's day, not after today."""
    if day is None:
        return
    if day < day_of(intake.admitted_at):
        errors.append((field, "日期早于受理日期", "Before the day of admission"))
    elif day > ctx.today:
        errors.append((field, "日期不能晚于今天", "Cannot be in the future"))


def _checked(errors: Errors) -> None:
    if errors:
        raise ValidationFailed(errors=errors)


def _stay_day(field: str, day: date, intake: ProtectionIntake, ctx: RequestContext) -> None:
    errors: Errors = []
    _within_stay(field, day, intake, ctx, errors)
    _checked(errors)


def _recorded(intake: ProtectionIntake, ctx: RequestContext) -> dict[str, Any]:
    """The columns every record of the stay has besides its body's."""
    return {
        "id": uuid.uuid4(),
        "intake_id": intake.id,
        "recorded_at": ctx.now,
        "recorded_by": ctx.actor.name,
    }


async def _record(
    session: AsyncSession,
    ctx: RequestContext,
    intake: ProtectionIntake,
    row: Base,
    action: str,
    detail: dict[str, Any],
) -> ProtectionIntake:
    """Store a record of the stay; the intake's representation changed (an UPDATE, hence a new
    version: ETag); audited as `protection_intake.<action>`."""
    session.add(row)
    intake.updated_at = func.now()
    await session.flush()
    audit.record(
        session, ctx, f"protection_intake.{action}", "protection_intake", intake.id, detail
    )
    return intake


async def add_tracing(
    session: AsyncSession, ctx: RequestContext, intake_id: uuid.UUID, body: TracingIn
) -> ProtectionIntake:
    """寻亲: one step of tracing the child's family (a police identity check meets the
    identity-check deadline)."""
    intake = await _open_intake(session, ctx, intake_id)
    _stay_day("traced_on", body.traced_on, intake, ctx)
    step = ProtectionTracing(**_recorded(intake, ctx), **body.model_dump())
    return await _record(session, ctx, intake, step, "tracing", {"method": body.method})


def _check_placement(
    body: PlacementIn,
    intake: ProtectionIntake,
    ctx: RequestContext,
    current: ProtectionPlacement | None,
) -> None:
    errors: Errors = []
    _within_stay("start_on", body.start_on, intake, ctx, errors)
    if body.end_on is not None and body.end_on < body.start_on:
        errors.append(("end_on", "结束日期早于开始日期", "end_on is before start_on"))
    if body.setting != "centre" and not (body.with_whom or "").strip():
        errors.append(
            ("with_whom", "安置于中心以外须写明安置对象", "Say with whom the child is placed")
        )
    if current is not None and body.start_on < current.start_on:
        errors.append(
            ("start_on", "开始日期早于当前安置的开始日期", "Before the current placement began")
        )
    _checked(errors)


async def add_placement(
    session: AsyncSession, ctx: RequestContext, intake_id: uuid.UUID, body: PlacementIn
) -> ProtectionIntake:
    """安置 (art. 93): where the child stays from `start_on`; the placement before ends then."""
    intake = await _open_intake(session, ctx, intake_id)
    current = await repo.open_placement(session, intake.id)
    _check_placement(body, intake, ctx, current)
    if current is not None:
        current.end_on = body.start_on
    placed = ProtectionPlacement(**_recorded(intake, ctx), **body.model_dump())
    return await _record(session, ctx, intake, placed, "placement", {"setting": body.setting})


async def add_assessment(
    session: AsyncSession, ctx: RequestContext, intake_id: uuid.UUID, body: AssessmentIn
) -> ProtectionIntake:
    """家庭评估 (art. 93): the family is assessed before a child is returned to it."""
    intake = await _open_intake(session, ctx, intake_id)
    _stay_day("assessed_on", body.assessed_on, intake, ctx)
    assessed = ProtectionFamilyAssessment(**_recorded(intake, ctx), **body.model_dump())
    detail = {"conclusion": body.conclusion}
    return await _record(session, ctx, intake, assessed, "assessment", detail)


def _age_on(intake: ProtectionIntake, ctx: RequestContext, day: date) -> int | None:
    """The child's age on `day` by the ID number, when one is known."""
    number = enrolment.child_id_number(intake, ctx)
    if number is None:
        return None
    born = idnumber.parse(number).birth_date
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


OUTCOME_FIELDS = {
    "transferred_to": "transferred",
    "long_term_basis": "long_term_guardianship",
    "family_village_code": "returned_to_family",
    "family_address": "returned_to_family",
}


async def _check_discharge(
    session: AsyncSession, ctx: RequestContext, intake: ProtectionIntake, body: DischargeIn
) -> None:
    errors: Errors = []
    _within_stay("discharged_on", body.discharged_on, intake, ctx, errors)
    for field, outcome in OUTCOME_FIELDS.items():
        if getattr(body, field) is not None and body.outcome != outcome:
            errors.append((field, f"仅用于出站方式 {outcome}", f"Only for the outcome {outcome}"))
    if body.outcome == "transferred" and body.transferred_to is None:
        errors.append(("transferred_to", "转移须写明接收方及地点", "Say to whom and where"))
    if body.outcome == "long_term_guardianship" and body.long_term_basis is None:
        errors.append(
            (
                "long_term_basis",
                "长期监护须写明《未成年人保护法》第九十四条的情形",
                "Long-term guardianship needs an art. 94 basis",
            )
        )
    code = body.family_village_code
    if code is not None and not await repo.is_village(session, code):
        errors.append(("family_village_code", "村居代码不存在", "Not a known village code"))
    age = _age_on(intake, ctx, body.discharged_on)
    if age is not None and body.outcome == "adulthood" and age < 18:
        errors.append(("outcome", "儿童未满18周岁", "The child is not 18 yet"))
    if age is not None and body.outcome == "long_term_guardianship" and age >= 18:
        errors.append(("outcome", "已满18周岁，应以成年出站", "The child is 18: use adulthood"))
    _checked(errors)
    if body.outcome == "returned_to_family" and not await repo.has_safe_assessment(
        session, intake.id
    ):
        raise Conflict(
            "返回家庭前须有结论为可以返回（safe_to_return）的家庭评估",
            "Returning a child needs a family assessment concluding safe_to_return",
            errors=[("outcome", "缺少家庭评估", "No safe_to_return family assessment")],
        )


async def discharge(
    session: AsyncSession, ctx: RequestContext, intake_id: uuid.UUID, body: DischargeIn
) -> ProtectionIntake:
    """出站: the stay ends in one of the five outcomes; the intake is closed."""
    intake = await _open_intake(session, ctx, intake_id)
    await _check_discharge(session, ctx, intake, body)
    intake.status = "closed"
    intake.outcome = body.outcome
    intake.discharged_on = body.discharged_on
    intake.discharge_note = body.note
    intake.transferred_to = (
        None if body.transferred_to is None else body.transferred_to.model_dump()
    )
    intake.long_term_basis = body.long_term_basis
    intake.family_village_code = body.family_village_code
    intake.family_address = body.family_address
    current = await repo.open_placement(session, intake.id)
    if current is not None:
        current.end_on = max(body.discharged_on, current.start_on)
    await session.flush()
    if body.outcome == "long_term_guardianship":
        await enrolment.enrol(session, ctx, intake)
    if body.outcome == "returned_to_family" and body.family_village_code is not None:
        session.add_all(
            ProtectionFollowUpVisit(
                id=uuid.uuid4(),
                intake_id=intake.id,
                village_code=body.family_village_code,
                seq=i,
                due_on=due,
            )
            for i, due in enumerate(follow_up_dates(body.discharged_on), start=1)
        )
        await session.flush()
    audit.record(
        session,
        ctx,
        "protection_intake.discharge",
        "protection_intake",
        intake.id,
        {
            "outcome": body.outcome,
            "enrolment": intake.enrolment,
            "child_id": None if intake.child_id is None else str(intake.child_id),
        },
    )
    return intake
