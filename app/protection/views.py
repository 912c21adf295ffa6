"""What a caller sees of an intake: the whole for the centre and the district (confidential
fields withheld outside the circle), the status only for the police who announced it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.kit.context import RequestContext
from app.kit.records import out_of
from app.models import (
    ProtectionFamilyAssessment,
    ProtectionIntake,
    ProtectionPlacement,
    ProtectionTracing,
)
from app.protection import repository as repo
from app.protection.auth import CONFIDENTIAL_CIRCLE
from app.protection.rules import CHILD_FACTS, confidential
from app.protection.schemas import (
    AssessmentOut,
    ChildOut,
    DischargeOut,
    EnrolmentOut,
    IntakeOut,
    IntakeStatusOut,
    PlacementOut,
    TracingOut,
)

WITHHELD = ("notes", "care_plan", "do_not_disclose_to", "current_placement", "placements")


def in_circle(principal: Principal) -> bool:
    return principal.kind == "user" and principal.role in CONFIDENTIAL_CIRCLE


def status_view(intake: ProtectionIntake) -> IntakeStatusOut:
    return IntakeStatusOut.model_validate(intake, from_attributes=True)


def _discharge(intake: ProtectionIntake) -> DischargeOut | None:
    if intake.outcome is None or intake.discharged_on is None:
        return None
    return out_of(DischargeOut, intake, note=intake.discharge_note)


def _enrolment(intake: ProtectionIntake) -> EnrolmentOut | None:
    if intake.enrolment is None:
        return None
    return EnrolmentOut(
        state=intake.enrolment, child_id=intake.child_id, flags=intake.enrolment_flags
    )


def _child(intake: ProtectionIntake) -> ChildOut:
    return ChildOut(
        **{fact: getattr(intake, f"child_{fact}") for fact in CHILD_FACTS},
        id_number=intake.child_id_number_masked,
        photo_refs=list(intake.child_photo_refs or []),
    )


def _withheld(intake: ProtectionIntake, placed: list[PlacementOut]) -> dict[str, Any]:
    """The fields a caller outside the circle does not see of a confidential intake."""
    current = next((p for p in reversed(placed) if p.end_on is None), None)
    return {
        "notes": intake.notes,
        "care_plan": intake.care_plan,
        "do_not_disclose_to": list(intake.do_not_disclose_to or []),
        "current_placement": current,
        "placements": placed,
    }


def full_view(
    principal: Principal,
    intake: ProtectionIntake,
    tracing: Sequence[ProtectionTracing],
    placements: Sequence[ProtectionPlacement],
    assessments: Sequence[ProtectionFamilyAssessment],
) -> IntakeOut:
    secret = confidential(intake.kind, intake.basis)
    hide = secret and not in_circle(principal)
    placed = [PlacementOut.model_validate(p, from_attributes=True) for p in placements]
    shown = _withheld(intake, placed)
    return out_of(
        IntakeOut,
        intake,
        child=_child(intake),
        confidential=secret,
        withheld=list(WITHHELD) if hide else [],
        **(dict.fromkeys(shown) if hide else shown),
        tracing=[TracingOut.model_validate(t, from_attributes=True) for t in tracing],
        family_assessments=[
            AssessmentOut.model_validate(a, from_attributes=True) for a in assessments
        ],
        discharge=_discharge(intake),
        enrolment=_enrolment(intake),
    )


async def views(
    session: AsyncSession, principal: Principal, intakes: Sequence[ProtectionIntake]
) -> list[IntakeOut | IntakeStatusOut]:
    """The caller's view of each intake (the related rows read in three queries)."""
    if principal.kind == "agency":
        return [status_view(i) for i in intakes]
    ids: list[uuid.UUID] = [i.id for i in intakes]
    tracing, placements, assessments = await repo.steps_of(session, ids)
    return [
        full_view(principal, i, tracing[i.id], placements[i.id], assessments[i.id]) for i in intakes
    ]


async def view(
    session: AsyncSession, principal: Principal, intake: ProtectionIntake
) -> IntakeOut | IntakeStatusOut:
    (out,) = await views(session, principal, [intake])
    return out


async def staff_view(
    session: AsyncSession, ctx: RequestContext, intake: ProtectionIntake
) -> IntakeOut:
    """The view of the centre's staff, who changed the intake (never the police's status)."""
    out = await view(session, ctx.actor, intake)
    assert isinstance(out, IntakeOut)
    return out
