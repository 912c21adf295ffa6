"""精准帮扶: contracted social-work agencies, their cases, plans, service records and reviews.

A case is a child on social assistance given to a contracted agency 专业第三方 for case work:
needs assessment, a plan of goals, service records (the hours the bureau pays for), reviews,
closure. Money: the agency's hourly rate in integer fen.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Final, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import (
    Base,
    StatusStep,
    Timestamps,
    Versioned,
    area_ref,
    belongs_to,
    check_one_of,
    created_now,
    refers_to,
    serial_pk,
    uuid_pk,
)

# Each vocabulary once, as a Literal the schemas use too; the OpenAPI document names its enum
# after the alias (app.contract: `Domain` here is `CaseworkDomain`).
CaseStatus = Literal["open", "assessed", "in_service", "closed"]
CaseOutcome = Literal["goals_met", "partly_met", "transferred", "ended_by_family", "other"]
ServiceMode = Literal["home_visit", "office", "phone", "online", "group"]
Domain = Literal["living", "health", "education", "psychological", "family_relations", "safety"]
GoalProgress = Literal["not_started", "in_progress", "achieved", "dropped"]
CASE_STATUSES: Final = get_args(CaseStatus)
CASE_OUTCOMES: Final = get_args(CaseOutcome)
SERVICE_MODES: Final = get_args(ServiceMode)
ASSESSMENT_DOMAINS: Final = get_args(Domain)
GOAL_PROGRESS: Final = get_args(GoalProgress)


class CaseworkAgency(Timestamps, Versioned, Base):
    """签约社工机构: a professional third party the bureau contracts for case work (精准帮扶)."""

    __tablename__ = "casework_agencies"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, unique=True)
    contract_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    contract_to: Mapped[date] = mapped_column(sa.Date, nullable=False)
    hours_bought: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    hourly_rate_fen: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_by: Mapped[str | None] = mapped_column(sa.String(100))
    # The district that contracts the agency: its offices (and no other district's) see it.
    district_code: Mapped[str] = area_ref()

    __mapper_args__ = {"version_id_col": Versioned.version, "eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        sa.CheckConstraint("contract_to >= contract_from", name="contract_period"),
        sa.CheckConstraint("hours_bought > 0", name="hours_bought_positive"),
        sa.CheckConstraint("hourly_rate_fen > 0", name="hourly_rate_positive"),
    )


class Case(Timestamps, Versioned, Base):
    """个案: one child's case work by a contracted agency, from referral to closure."""

    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    child_id: Mapped[uuid.UUID] = belongs_to("children.id")
    agency_id: Mapped[uuid.UUID] = belongs_to("casework_agencies.id")
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # The social assistance the child received when the case opened (from the ledger).
    assistance: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    # Why the district opened a case for a child on no social assistance (else null).
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The child's village when the case opened (null: the institute): the dashboard's town.
    area_code: Mapped[str | None] = mapped_column(sa.String(12))
    # The district whose offices opened the case (and alone read it).
    district_code: Mapped[str] = area_ref()
    opened_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    opened_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    assessment: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    assessed_on: Mapped[date | None] = mapped_column(sa.Date)
    plan_set_on: Mapped[date | None] = mapped_column(sa.Date)
    next_review_due: Mapped[date | None] = mapped_column(sa.Date)
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    closing_note: Mapped[str | None] = mapped_column(sa.Text)

    __mapper_args__ = {"version_id_col": Versioned.version, "eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        check_one_of("status", CASE_STATUSES),
        check_one_of("outcome", CASE_OUTCOMES, nullable=True),
        sa.CheckConstraint(
            "(status = 'closed') = (outcome IS NOT NULL AND closed_on IS NOT NULL)",
            name="closed_has_outcome",
        ),
        sa.CheckConstraint(
            "jsonb_array_length(assistance) > 0 OR override_reason IS NOT NULL",
            name="assistance_or_override",
        ),
        # One case at a time for a child: a new one once the last is closed.
        sa.Index(
            "uq_cases_open_child",
            "child_id",
            unique=True,
            postgresql_where=sa.text("status <> 'closed'"),
        ),
        sa.Index("ix_cases_agency_created", "agency_id", "created_at", "id"),
        sa.Index("ix_cases_created", "created_at", "id"),
    )


class CaseStep(StatusStep, Base):
    """One move of a case's status: who, when, a note."""

    __tablename__ = "case_steps"

    id: Mapped[int] = serial_pk()
    case_id: Mapped[uuid.UUID] = belongs_to("cases.id")
    actor_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    actor_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)


class CaseGoal(Base):
    """A goal of a case plan, with the services planned for it; a revised plan retires goals."""

    __tablename__ = "case_goals"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = belongs_to("cases.id")
    position: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    domain: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    title: Mapped[str] = mapped_column(sa.Text, nullable=False)
    planned_services: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, default=list
    )
    progress: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="not_started")
    retired: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = created_now()

    __table_args__ = (
        check_one_of("domain", ASSESSMENT_DOMAINS),
        check_one_of("progress", GOAL_PROGRESS),
    )


class CaseService(Base):
    """服务记录: one session of case work (the hours the bureau pays for), by a case worker."""

    __tablename__ = "case_services"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = belongs_to("cases.id")
    agency_id: Mapped[uuid.UUID] = refers_to("casework_agencies.id")
    worker_id: Mapped[uuid.UUID] = refers_to("users.id")
    served_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    mode: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    goal_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("case_goals.id"))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    disclosure: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("incidents.id"))
    created_at: Mapped[datetime] = created_now()

    __table_args__ = (
        sa.CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes"),
        check_one_of("mode", SERVICE_MODES),
        sa.Index("ix_case_services_agency_served", "agency_id", "served_on"),
    )


class CaseReview(Base):
    """个案评估回顾: a review of a case (at least every CASE_REVIEW_INTERVAL_MONTHS), with the
    progress of each goal."""

    __tablename__ = "case_reviews"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = belongs_to("cases.id")
    reviewed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    progress: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    summary: Mapped[str | None] = mapped_column(sa.Text)
    reviewer_id: Mapped[uuid.UUID] = refers_to("users.id")
    reviewer_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    created_at: Mapped[datetime] = created_now()
