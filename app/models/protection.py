"""未成年人社会保护中心: the centre's register of intakes (Minors Protection Law arts. 92–94).

An intake is one stay of one child: taken in (often without a name or an ID number), traced,
placed, discharged. Its tracing steps, placements, family assessments, the deadlines escalated
and the follow-up visits of a child returned to a family of the district are rows of their own.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Final, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import (
    Base,
    Timestamps,
    Versioned,
    area_ref,
    belongs_to,
    check_one_of,
    encrypted,
    refers_to,
    uuid_pk,
)

# Each vocabulary once, as a Literal the schemas use too; the OpenAPI document names its enum
# after the alias (app.contract: `Outcome` here is `ProtectionOutcome`).
IntakeKind = Literal[
    "street_begging", "trafficking_rescued", "temporary_guardianship", "domestic_violence_shelter"
]
# The situations of art. 92 (temporary guardianship by the civil-affairs department).
Basis = Literal[
    "begging_or_unidentified",
    "guardian_whereabouts_unknown",
    "guardian_unable",
    "guardian_neglect",
    "guardian_incites_offence",
    "harm_by_guardian",
    "other",
]
IntakeStatus = Literal["open", "closed"]
Outcome = Literal[
    "returned_to_family",
    "transferred",
    "family_foster_care",
    "long_term_guardianship",
    "adulthood",
]
# The situations of art. 94 (long-term guardianship).
LongTermBasis = Literal[
    "parents_not_found",
    "guardian_dead",
    "guardian_incapacitated",
    "guardianship_revoked_by_court",
    "other",
]
TracingMethod = Literal["police_identity_check", "dna", "contact", "public_notice", "other"]
# Where the child stays during temporary guardianship (art. 93).
Setting = Literal["centre", "relatives", "family_foster_care", "institution"]
Conclusion = Literal["safe_to_return", "not_safe"]
Deadline = Literal["identity_check", "care_plan", "guardianship_review"]
INTAKE_KINDS: Final = get_args(IntakeKind)
INTAKE_BASES: Final = get_args(Basis)
INTAKE_STATUSES: Final = get_args(IntakeStatus)
DISCHARGE_OUTCOMES: Final = get_args(Outcome)
LONG_TERM_BASES: Final = get_args(LongTermBasis)
TRACING_METHODS: Final = get_args(TracingMethod)
PLACEMENT_SETTINGS: Final = get_args(Setting)
ASSESSMENT_CONCLUSIONS: Final = get_args(Conclusion)
DEADLINES: Final = get_args(Deadline)
ENROLMENT_STATES = ("enrolled", "pending", "linked")


class ProtectionIntake(Timestamps, Versioned, Base):
    """受理: one stay of one minor at the centre, from admission to discharge."""

    __tablename__ = "protection_intakes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="open")
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    basis: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    admitted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    # Who brought the child: {"kind": police|agency|person, "name": ..., "contact": ...}
    brought_by: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    found_at: Mapped[str | None] = mapped_column(sa.Text)
    # The child as known: every fact may be absent (an unidentified child).
    child_name: Mapped[str | None] = mapped_column(sa.String(100))
    child_id_number_enc: Mapped[bytes | None] = encrypted(nullable=True)
    child_id_number_hash: Mapped[str | None] = mapped_column(sa.String(64))
    child_id_number_masked: Mapped[str | None] = mapped_column(sa.String(18))
    child_gender: Mapped[str | None] = mapped_column(sa.String(6))
    child_estimated_birth_year: Mapped[int | None] = mapped_column(sa.SmallInteger)
    child_description: Mapped[str | None] = mapped_column(sa.Text)
    child_photo_refs: Mapped[list[str]] = mapped_column(
        ARRAY(sa.String(200)), nullable=False, default=list, server_default=sa.text("'{}'")
    )
    health_check: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    # A reopening: the earlier (closed) intake of the same child.
    previous_intake_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("protection_intakes.id")
    )
    # The police (an agency client) who announced the child; they read its status.
    announced_by_client_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("agency_clients.id"), index=True
    )
    # The centre's own record: notes, care plan, reviews, the persons not to be told.
    notes: Mapped[str | None] = mapped_column(sa.Text)
    care_plan: Mapped[str | None] = mapped_column(sa.Text)
    care_plan_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_reviewed_on: Mapped[date | None] = mapped_column(sa.Date)
    do_not_disclose_to: Mapped[list[str]] = mapped_column(
        ARRAY(sa.String(100)), nullable=False, default=list, server_default=sa.text("'{}'")
    )
    # The discharge.
    outcome: Mapped[str | None] = mapped_column(sa.String(32))
    discharged_on: Mapped[date | None] = mapped_column(sa.Date)
    discharge_note: Mapped[str | None] = mapped_column(sa.Text)
    transferred_to: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    long_term_basis: Mapped[str | None] = mapped_column(sa.String(40))
    family_village_code: Mapped[str | None] = mapped_column(sa.ForeignKey("areas.code"))
    family_address: Mapped[str | None] = mapped_column(sa.Text)
    # Long-term guardianship: the ledger child it enrolled (or why not yet).
    enrolment: Mapped[str | None] = mapped_column(sa.String(12))
    enrolment_flags: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, default=list, server_default=sa.text("'[]'::jsonb")
    )
    child_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("children.id"), index=True)
    created_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    # The district whose centre holds the child (a city has one centre per district): its
    # staff and offices read the intake, no other district's.
    district_code: Mapped[str] = area_ref()

    __mapper_args__ = {"version_id_col": Versioned.version, "eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        check_one_of("status", INTAKE_STATUSES),
        check_one_of("kind", INTAKE_KINDS),
        check_one_of("basis", INTAKE_BASES),
        check_one_of("outcome", DISCHARGE_OUTCOMES, nullable=True),
        sa.CheckConstraint(
            "(status = 'closed') = (outcome IS NOT NULL AND discharged_on IS NOT NULL)",
            name="closed_has_outcome",
        ),
        check_one_of("long_term_basis", LONG_TERM_BASES, nullable=True),
        sa.CheckConstraint(
            "outcome IS DISTINCT FROM 'long_term_guardianship' OR long_term_basis IS NOT NULL",
            name="long_term_has_basis",
        ),
        check_one_of("enrolment", ENROLMENT_STATES, nullable=True),
        # One open intake per identified child.
        sa.Index(
            "uq_protection_intakes_open_child",
            "child_id_number_hash",
            unique=True,
            postgresql_where=sa.text("status = 'open' AND child_id_number_hash IS NOT NULL"),
        ),
        sa.Index("ix_protection_intakes_admitted", "admitted_at", "id"),
        sa.Index("ix_protection_intakes_open", "status", "kind"),
    )


class StayStep:
    """A step of a stay recorded by the centre (寻亲, 安置, 家庭评估): its intake, and who
    recorded it when."""

    id: Mapped[uuid.UUID] = uuid_pk()
    intake_id: Mapped[uuid.UUID] = belongs_to("protection_intakes.id")
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    recorded_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)


class ProtectionTracing(StayStep, Base):
    """寻亲: one step of tracing the child's family (police identity check, DNA, contact, notice)."""

    __tablename__ = "protection_tracing"

    method: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    traced_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    result: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (check_one_of("method", TRACING_METHODS),)


class ProtectionPlacement(StayStep, Base):
    """临时监护期间的安置 (art. 93): where the child stays, from when to when."""

    __tablename__ = "protection_placements"

    setting: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    start_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    end_on: Mapped[date | None] = mapped_column(sa.Date)
    with_whom: Mapped[str | None] = mapped_column(sa.String(200))
    note: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        check_one_of("setting", PLACEMENT_SETTINGS),
        sa.CheckConstraint("end_on IS NULL OR end_on >= start_on", name="dates"),
    )


class ProtectionFamilyAssessment(StayStep, Base):
    """家庭评估 (art. 93): whether the family may have the child back."""

    __tablename__ = "protection_family_assessments"

    assessed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    conclusion: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (check_one_of("conclusion", ASSESSMENT_CONCLUSIONS),)


class ProtectionEscalation(Base):
    """A missed deadline of an intake, escalated to the district once (per deadline and due time)."""

    __tablename__ = "protection_escalations"

    id: Mapped[uuid.UUID] = uuid_pk()
    intake_id: Mapped[uuid.UUID] = refers_to("protection_intakes.id")
    deadline: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    escalated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)

    __table_args__ = (
        check_one_of("deadline", DEADLINES),
        sa.UniqueConstraint("intake_id", "deadline", "due_at"),
    )


class ProtectionFollowUpVisit(Timestamps, Base):
    """回访: a monthly visit due to a child returned to a family of the district, for the village's
    director (in the phone's sync with the other visits due)."""

    __tablename__ = "protection_follow_up_visits"

    id: Mapped[uuid.UUID] = uuid_pk()
    intake_id: Mapped[uuid.UUID] = refers_to("protection_intakes.id")
    village_code: Mapped[str] = refers_to("areas.code")
    seq: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    due_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    visited_on: Mapped[date | None] = mapped_column(sa.Date)
    visited_by: Mapped[str | None] = mapped_column(sa.String(100))
    note: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.UniqueConstraint("intake_id", "seq"),
        sa.Index(
            "ix_protection_follow_up_visits_due",
            "village_code",
            "due_on",
            postgresql_where=sa.text("visited_on IS NULL"),
        ),
    )
