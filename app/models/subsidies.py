"""补贴: subsidy standards, payroll runs and their lines, medical claims, grant runs, budgets, and
the adult-orphan placement plans. Money is integer fen (分) everywhere."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import (
    Base,
    Versioned,
    area_ref,
    belongs_to,
    check_one_of,
    created_now,
    refers_to,
    serial_pk,
    uuid_pk,
)

STANDARD_SOURCES = ("seed", "api")
# The statuses of a payroll, a benefit run and a placement plan.
RUN_STATUSES = ("draft", "approved")
PAYROLL_LINE_KINDS = ("regular", "adjustment")
MEDICAL_KINDS = ("outpatient", "inpatient")
MEDICAL_CLAIM_STATUSES = ("submitted", "approved", "paid", "rejected")
BENEFITS = ("education_grant", "holiday_condolence")
PLACEMENT_TYPES = ("extreme_poverty_support", "social_placement")
PLACEMENT_STATUSES = ("planned", "placed", "paid")


class SubsidyStandard(Base):
    """补贴标准: one effective-dated value of a rule parameter; append-only (a trigger refuses
    UPDATE and DELETE). `value` is a decimal string, or a list of stage codes."""

    __tablename__ = "subsidy_standards"

    id: Mapped[int] = serial_pk()
    key: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    value: Mapped[Any] = mapped_column(JSONB, nullable=False)
    effective_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    reference: Mapped[str] = mapped_column(sa.Text, nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    retroactive: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    source: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="api")  # seed|api
    created_at: Mapped[datetime] = created_now()
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    # NULL: a city-wide standard (set by the city admin; every value of a single district);
    # a district's code: that district's dated override (set by its admin).
    district_code: Mapped[str | None] = mapped_column(sa.String(12), sa.ForeignKey("areas.code"))

    __table_args__ = (
        sa.UniqueConstraint(
            "key", "effective_from", "district_code", postgresql_nulls_not_distinct=True
        ),
        check_one_of("source", STANDARD_SOURCES),
    )


class SubsidyBudget(Base):
    """年度预算: the year's budget for classified support (分类保障), one per year."""

    __tablename__ = "subsidy_budgets"

    # each district's own budget (one per district and year)
    district_code: Mapped[str] = mapped_column(
        sa.String(12), sa.ForeignKey("areas.code"), primary_key=True, index=True
    )
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    reference: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = created_now()
    created_by: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (sa.CheckConstraint("amount_fen >= 0", name="amount_not_negative"),)


class PayrollRun(Versioned, Base):
    """生活补贴发放批次: the month's living-allowance run of a district; one per month and
    district (unique), draft → approved."""

    __tablename__ = "subsidy_payrolls"

    id: Mapped[uuid.UUID] = uuid_pk()
    district_code: Mapped[str] = area_ref()
    month: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="draft")
    line_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    total_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    adjustment_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    adjustment_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    totals: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    created_at: Mapped[datetime] = created_now()
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    approved_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(sa.String(64))
    approval_note: Mapped[str | None] = mapped_column(sa.Text)

    __mapper_args__ = {"version_id_col": Versioned.version}  # noqa: RUF012
    __table_args__ = (
        sa.UniqueConstraint("district_code", "month"),
        check_one_of("status", RUN_STATUSES),
        sa.CheckConstraint("EXTRACT(DAY FROM month) = 1", name="month_first_day"),
    )


class PayrollLine(Base):
    """发放明细: one child's line in a run, with the facts and parameters frozen at computation.

    `kind` regular: the allowance of the run's month (`for_month` = the run's month);
    adjustment: a correction (positive or negative) of an earlier, already paid `for_month`,
    with its `reason` and the `original_line_id` it corrects (None if nothing was paid then).
    """

    __tablename__ = "subsidy_payroll_lines"

    id: Mapped[int] = serial_pk()
    payroll_id: Mapped[uuid.UUID] = refers_to("subsidy_payrolls.id")
    child_id: Mapped[uuid.UUID] = refers_to("children.id")
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    for_month: Mapped[date] = mapped_column(sa.Date, nullable=False)
    category: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    town_code: Mapped[str | None] = mapped_column(sa.String(12))
    village_code: Mapped[str | None] = mapped_column(sa.String(12))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    parameters: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    payee: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    original_line_id: Mapped[int | None] = mapped_column(sa.BigInteger)

    __table_args__ = (
        check_one_of("kind", PAYROLL_LINE_KINDS),
        sa.Index("ix_subsidy_payroll_lines_payroll", "payroll_id", "id"),
        sa.Index("ix_subsidy_payroll_lines_child_month", "child_id", "for_month"),
        sa.Index(
            "uq_subsidy_payroll_lines_payroll_child_month_kind",
            "payroll_id",
            "child_id",
            "for_month",
            "kind",
            unique=True,
        ),
        # One allowance per child per month, whatever happens twice.
        sa.Index(
            "uq_subsidy_payroll_lines_regular",
            "child_id",
            "for_month",
            unique=True,
            postgresql_where=sa.text("kind = 'regular'"),
        ),
    )


class MedicalClaim(Versioned, Base):
    """医疗报销申请: a bill, each payer's share, the remainder and the reimbursable amount."""

    __tablename__ = "subsidy_medical_claims"

    id: Mapped[uuid.UUID] = uuid_pk()
    child_id: Mapped[uuid.UUID] = belongs_to("children.id")
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    service_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    category: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    bill_total_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    basic_insurance_paid_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    other_insurance_paid_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    remainder_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    reimbursable_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    trace: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="submitted")
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))
    paid_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    paid_by: Mapped[str | None] = mapped_column(sa.String(64))

    __mapper_args__ = {"version_id_col": Versioned.version}  # noqa: RUF012
    __table_args__ = (
        check_one_of("kind", MEDICAL_KINDS),
        check_one_of("status", MEDICAL_CLAIM_STATUSES),
        sa.CheckConstraint(
            "bill_total_fen >= 0 AND basic_insurance_paid_fen >= 0 "
            "AND other_insurance_paid_fen >= 0 AND remainder_fen >= 0 AND reimbursable_fen >= 0",
            name="amounts_not_negative",
        ),
        sa.Index("ix_subsidy_medical_claims_created", "created_at", "id"),
    )


class BenefitRun(Base):
    """助学金 / 节日慰问 run: one per school year (education_grant) or occasion and year (holiday);
    draft → approved, by someone other than its creator (four eyes); only approved runs count
    as spent."""

    __tablename__ = "subsidy_benefit_runs"

    id: Mapped[uuid.UUID] = uuid_pk()
    # the district whose children the run pays (one run per benefit and period per district)
    district_code: Mapped[str] = area_ref()
    benefit: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    period: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    reference_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    line_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    total_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    totals: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="draft", server_default="draft"
    )
    approved_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.UniqueConstraint("district_code", "benefit", "period"),
        check_one_of("benefit", BENEFITS),
        check_one_of("status", RUN_STATUSES),
    )


class BenefitLine(Base):
    """A child's line in a grant or holiday run, with its frozen facts and parameters."""

    __tablename__ = "subsidy_benefit_lines"

    id: Mapped[int] = serial_pk()
    run_id: Mapped[uuid.UUID] = refers_to("subsidy_benefit_runs.id")
    child_id: Mapped[uuid.UUID] = refers_to("children.id")
    category: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    town_code: Mapped[str | None] = mapped_column(sa.String(12))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    parameters: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    payee: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("run_id", "child_id"),
        sa.Index("ix_subsidy_benefit_lines_run", "run_id", "id"),
    )


class PlacementPlan(Versioned, Base):
    """成年孤儿安置计划: the year's plan, approved by the district government."""

    __tablename__ = "placement_plans"

    id: Mapped[uuid.UUID] = uuid_pk()
    # the district whose institute's orphans it places (one plan per year and district)
    district_code: Mapped[str] = area_ref()
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="draft")
    note: Mapped[str | None] = mapped_column(sa.Text)
    total_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    approval_reference: Mapped[str | None] = mapped_column(sa.Text)
    approved_on: Mapped[date | None] = mapped_column(sa.Date)
    approved_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str | None] = mapped_column(sa.String(64))

    __mapper_args__ = {"version_id_col": Versioned.version}  # noqa: RUF012
    __table_args__ = (
        sa.UniqueConstraint("district_code", "year"),
        check_one_of("status", RUN_STATUSES),
    )


class PlacementEntry(Versioned, Base):
    """One orphan in a plan: assessment, placement type, one-time subsidy; placed, then paid once."""

    __tablename__ = "placement_entries"

    id: Mapped[uuid.UUID] = uuid_pk()
    plan_id: Mapped[uuid.UUID] = refers_to("placement_plans.id")
    child_id: Mapped[uuid.UUID] = refers_to("children.id")
    assessment: Mapped[str] = mapped_column(sa.Text, nullable=False)
    placement_type: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    subsidy_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="planned")
    placed_on: Mapped[date | None] = mapped_column(sa.Date)
    placement_note: Mapped[str | None] = mapped_column(sa.Text)
    paid_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    paid_by: Mapped[str | None] = mapped_column(sa.String(64))

    __mapper_args__ = {"version_id_col": Versioned.version}  # noqa: RUF012
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "child_id"),
        # An orphan is placed (and paid) once, whatever the plan.
        sa.Index("uq_placement_entries_child", "child_id", unique=True),
        check_one_of("placement_type", PLACEMENT_TYPES),
        check_one_of("status", PLACEMENT_STATUSES),
        sa.CheckConstraint("subsidy_fen > 0", name="subsidy_positive"),
    )
