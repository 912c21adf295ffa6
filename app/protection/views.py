"""What a caller sees of an intake: the whole for the centre and the district (confidential
fields withheld outside the circle), the status only for the police who announced it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.models import (
    ProtectionFamilyAssessment,
    ProtectionIntake,
    ProtectionPlacement,
    ProtectionTracing,
)
from app.protection import repository as repo
from app.protection.auth import CONFIDENTIAL_CIRCLE
from app.protection.rules import confidential
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
    return IntakeStatusOut(
        id=intake.id, status=intake.status, kind=intake.kind, admitted_at=intake.admitted_at
    )


def full_view(
    principal: Principal,
    intake: ProtectionIntake,
    tracing: Sequence[ProtectionTracing],
    placements: Sequence[ProtectionPlacement],
    assessments: Sequence[ProtectionFamilyAssessment],
) -> IntakeOut:
    secret = confidential(intake.kind, intake.basis)
    hide = secret and not in_circle(principal)
    placed = [
        PlacementOut(
            id=p.id,
            setting=p.setting,
            start_on=p.start_on,
            end_on=p.end_on,
            with_whom=p.with_whom,
            note=p.note,
        )
        for p in placements
    ]
    current = next((p for p in reversed(placed) if p.end_on is None), None)
    discharge = None
    if intake.outcome is not None and intake.discharged_on is not None:
        discharge = DischargeOut(
            outcome=intake.outcome,
            discharged_on=intake.discharged_on,
            note=intake.discharge_note,
            transferred_to=intake.transferred_to,
            long_term_basis=intake.long_term_basis,
            family_village_code=intake.family_village_code,
            family_address=intake.family_address,
        )
    enrolment = None
    if intake.enrolment is not None:
        enrolment = EnrolmentOut(
            state=intake.enrolment,
            child_id=intake.child_id,
            flags=intake.enrolment_flags,
        )
    return IntakeOut(
        id=intake.id,
        status=intake.status,
        kind=intake.kind,
        basis=intake.basis,
        admitted_at=intake.admitted_at,
        brought_by=intake.brought_by,
        found_at=intake.found_at,
        child=ChildOut(
            name=intake.child_name,
            id_number=intake.child_id_number_masked,
            gender=intake.child_gender,
            estimated_birth_year=intake.child_estimated_birth_year,
            description=intake.child_description,
            photo_refs=list(intake.child_photo_refs or []),
        ),
        incident_id=intake.incident_id,
        health_check=intake.health_check,
        previous_intake_id=intake.previous_intake_id,
        confidential=secret,
        withheld=list(WITHHELD) if hide else [],
        notes=None if hide else intake.notes,
        care_plan=None if hide else intake.care_plan,
        care_plan_at=intake.care_plan_at,
        last_reviewed_on=intake.last_reviewed_on,
        do_not_disclose_to=None if hide else list(intake.do_not_disclose_to or []),
        current_placement=None if hide else current,
        placements=None if hide else placed,
        tracing=[
            TracingOut(
                id=t.id,
                method=t.method,
                traced_on=t.traced_on,
                result=t.result,
                recorded_at=t.recorded_at,
                recorded_by=t.recorded_by,
            )
            for t in tracing
        ],
        family_assessments=[
            AssessmentOut(
                id=a.id,
                assessed_on=a.assessed_on,
                conclusion=a.conclusion,
                notes=a.notes,
                recorded_by=a.recorded_by,
            )
            for a in assessments
        ],
        discharge=discharge,
        enrolment=enrolment,
        version=intake.version,
        created_at=intake.created_at,
        updated_at=intake.updated_at,
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
