"""Bodies of the protection centre's register: intakes, their steps, discharge, occupancy."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.kit.crud import Cursor, Limit
from app.kit.types import Date, Timestamp
from app.models.protection import (
    Basis,
    Conclusion,
    Deadline,
    IntakeKind,
    IntakeStatus,
    LongTermBasis,
    Outcome,
    Setting,
    TracingMethod,
)

Gender = Literal["male", "female"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BroughtBy(_In):
    """Who brought the child: a police station, an agency, a person."""

    kind: Literal["police", "agency", "person"]
    name: str = Field(min_length=1, max_length=100)
    contact: str | None = Field(default=None, max_length=100)


class ChildKnown(_In):
    """The child as known at intake: every fact may be absent (an unidentified child)."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    id_number: str | None = Field(
        default=None, min_length=1, max_length=30, description="GB 11643, checked when given"
    )
    gender: Gender | None = None
    estimated_birth_year: int | None = Field(default=None, ge=1900, le=2100)
    description: str | None = Field(default=None, max_length=2000)
    photo_refs: list[str] = Field(
        default_factory=list, max_length=20, description="References of photos kept elsewhere"
    )


class HealthCheck(_In):
    """入站体检: the health check on admission, and the child's belongings."""

    checked_at: Timestamp | None = None
    examiner: str | None = Field(default=None, max_length=100)
    findings: str | None = Field(default=None, max_length=2000)
    injuries: str | None = Field(default=None, max_length=2000)
    needs_medical_care: bool = False
    belongings: str | None = Field(default=None, max_length=2000)


class IntakeCreate(_In):
    """受理: a child taken in (or announced by the police). The client's `id` makes it retry-safe."""

    id: uuid.UUID
    kind: IntakeKind
    basis: Basis = Field(description="The art. 92 situation")
    admitted_at: Timestamp
    brought_by: BroughtBy
    found_at: str | None = Field(default=None, max_length=500)
    child: ChildKnown = Field(default_factory=ChildKnown)
    incident_id: uuid.UUID | None = None
    health_check: HealthCheck | None = None
    notes: str | None = Field(default=None, max_length=5000)
    do_not_disclose_to: list[str] = Field(
        default_factory=list, max_length=20, description="Persons the child is protected from"
    )
    previous_intake_id: uuid.UUID | None = Field(
        default=None, description="A reopening: the earlier, closed intake of the same child"
    )


class IntakePatch(_In):
    """A change; only the fields sent change (`child`: only its fields sent)."""

    kind: IntakeKind | None = None
    basis: Basis | None = None
    brought_by: BroughtBy | None = None
    found_at: str | None = Field(default=None, max_length=500)
    child: ChildKnown | None = None
    health_check: HealthCheck | None = None
    notes: str | None = Field(default=None, max_length=5000)
    care_plan: str | None = Field(default=None, min_length=1, max_length=10000)
    reviewed_on: Date | None = Field(
        default=None, description="The temporary guardianship was reviewed on this day"
    )
    do_not_disclose_to: list[str] | None = Field(default=None, max_length=20)


class TracingIn(_In):
    """寻亲: one step of tracing the family."""

    method: TracingMethod
    traced_on: Date
    result: str | None = Field(default=None, max_length=2000)


class PlacementIn(_In):
    """安置 (art. 93): where the child stays from `start_on` (the previous one ends then)."""

    setting: Setting
    start_on: Date
    end_on: Date | None = None
    with_whom: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=2000)


class AssessmentIn(_In):
    """家庭评估 (art. 93): may the family have the child back?"""

    assessed_on: Date
    conclusion: Conclusion
    notes: str | None = Field(default=None, max_length=5000)


class TransferredTo(_In):
    to_whom: str = Field(min_length=1, max_length=200)
    place: str = Field(min_length=1, max_length=200)


class DischargeIn(_In):
    """出站: how the stay ends. A discharged intake is closed."""

    outcome: Outcome
    discharged_on: Date
    note: str | None = Field(default=None, max_length=5000)
    transferred_to: TransferredTo | None = Field(default=None, description="For `transferred`")
    long_term_basis: LongTermBasis | None = Field(
        default=None, description="The art. 94 basis, for `long_term_guardianship`"
    )
    family_village_code: str | None = Field(
        default=None,
        max_length=12,
        description="`returned_to_family`: the family's village, when in the district",
    )
    family_address: str | None = Field(default=None, max_length=500)


class ChildOut(BaseModel):
    name: str | None
    id_number: str | None = Field(description="Masked")
    gender: str | None
    estimated_birth_year: int | None
    description: str | None
    photo_refs: list[str]


class TracingOut(BaseModel):
    id: uuid.UUID
    method: str
    traced_on: Date
    result: str | None
    recorded_at: datetime
    recorded_by: str


class PlacementOut(BaseModel):
    id: uuid.UUID
    setting: str
    start_on: Date
    end_on: Date | None
    with_whom: str | None
    note: str | None


class AssessmentOut(BaseModel):
    id: uuid.UUID
    assessed_on: Date
    conclusion: str
    notes: str | None
    recorded_by: str


class DischargeOut(BaseModel):
    outcome: str
    discharged_on: Date
    note: str | None
    transferred_to: dict[str, str] | None
    long_term_basis: str | None
    family_village_code: str | None
    family_address: str | None


class EnrolmentOut(BaseModel):
    """Long-term guardianship's enrolment on the ledger: `enrolled` (a new ledger child),
    `linked` (the child was on the ledger already), `pending` (facts missing: `flags`)."""

    state: Literal["enrolled", "pending", "linked"]
    child_id: uuid.UUID | None
    flags: list[dict[str, str]]


class IntakeOut(BaseModel):
    """An intake as centre and district staff see it. For a confidential intake
    (`domestic_violence_shelter`, `harm_by_guardian`) the placements, notes, care plan and the
    do-not-disclose list are withheld (null, named in `withheld`) outside the circle (centre
    staff and district admins)."""

    view: Literal["full"] = Field(
        default="full", description="`full`: the staff's view (the police see `status`)."
    )
    id: uuid.UUID
    status: IntakeStatus
    kind: str
    basis: str
    admitted_at: datetime
    brought_by: dict[str, str | None]
    found_at: str | None
    child: ChildOut
    incident_id: uuid.UUID | None
    health_check: dict[str, object] | None
    previous_intake_id: uuid.UUID | None
    confidential: bool
    withheld: list[str]
    notes: str | None
    care_plan: str | None
    care_plan_at: datetime | None
    last_reviewed_on: Date | None
    do_not_disclose_to: list[str] | None
    current_placement: PlacementOut | None
    placements: list[PlacementOut] | None
    tracing: list[TracingOut]
    family_assessments: list[AssessmentOut]
    discharge: DischargeOut | None
    enrolment: EnrolmentOut | None
    version: int
    created_at: datetime
    updated_at: datetime


class IntakeQuery(BaseModel):
    """The filters and page of the list of intakes."""

    status: IntakeStatus | None = None
    kind: IntakeKind | None = None
    admitted_from: Timestamp | None = None
    admitted_to: Timestamp | None = Field(None, description="Exclusive")
    limit: Limit = 50
    cursor: Cursor = None


class IntakeStatusOut(BaseModel):
    """What the police see of an intake they announced: its status, nothing of the child."""

    view: Literal["status"] = Field(default="status", description="`status`: the police's view.")
    id: uuid.UUID
    status: IntakeStatus
    kind: str
    admitted_at: datetime


class DeadlineOut(BaseModel):
    intake_id: uuid.UUID
    kind: str
    deadline: Deadline
    due_at: datetime
    missed: bool
    escalated_at: datetime | None


class MonthCount(BaseModel):
    month: str
    admissions: int
    discharges: dict[str, int] = Field(description="By outcome")


class OccupancyOut(BaseModel):
    beds: int
    residents: int
    free_beds: int
    residents_by_kind: dict[str, int]
    average_stay_days: float | None = Field(description="Of the residents now, to today")
    longest_stay_days: int | None
    by_month: list[MonthCount]


class FollowUpVisitOut(BaseModel):
    """回访: a visit due to a child returned to a family of the village."""

    id: uuid.UUID
    intake_id: uuid.UUID
    village_code: str
    seq: int
    due_on: Date
    overdue: bool
    visited_on: Date | None
    note: str | None
    child_name: str | None
    family_address: str | None


class FollowUpVisitDone(_In):
    visited_on: Date
    note: str | None = Field(default=None, max_length=2000)
