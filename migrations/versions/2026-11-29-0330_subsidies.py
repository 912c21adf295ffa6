"""subsidies: standards, budgets, payrolls and lines, medical claims, grant runs, placements

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-29 03:30:22.657553+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "placement_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("approval_reference", sa.Text(), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft','approved')", name=op.f("ck_placement_plans_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_plans")),
        sa.UniqueConstraint("year", name=op.f("uq_placement_plans_year")),
    )
    op.create_table(
        "subsidy_benefit_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("benefit", sa.String(length=24), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("reference_date", sa.Date(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("totals", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "benefit IN ('education_grant','holiday_condolence')",
            name=op.f("ck_subsidy_benefit_runs_benefit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_benefit_runs")),
        sa.UniqueConstraint(
            "benefit", "period", name=op.f("uq_subsidy_benefit_runs_benefit_period")
        ),
    )
    op.create_table(
        "subsidy_budgets",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint("amount_fen >= 0", name=op.f("ck_subsidy_budgets_amount_not_negative")),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_subsidy_budgets")),
    )
    op.create_table(
        "subsidy_payrolls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("adjustment_count", sa.Integer(), nullable=False),
        sa.Column("adjustment_fen", sa.BigInteger(), nullable=False),
        sa.Column("totals", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approval_note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft','approved')", name=op.f("ck_subsidy_payrolls_status")
        ),
        sa.CheckConstraint(
            "EXTRACT(DAY FROM month) = 1", name=op.f("ck_subsidy_payrolls_month_first_day")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_payrolls")),
        sa.UniqueConstraint("month", name=op.f("uq_subsidy_payrolls_month")),
    )
    op.create_table(
        "subsidy_standards",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("retroactive", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint("source IN ('seed','api')", name=op.f("ck_subsidy_standards_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_standards")),
        sa.UniqueConstraint(
            "key", "effective_from", name=op.f("uq_subsidy_standards_key_effective_from")
        ),
    )
    op.create_table(
        "placement_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("assessment", sa.Text(), nullable=False),
        sa.Column("placement_type", sa.String(length=24), nullable=False),
        sa.Column("subsidy_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=True),
        sa.Column("placement_note", sa.Text(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_by", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "placement_type IN ('extreme_poverty_support','social_placement')",
            name=op.f("ck_placement_entries_placement_type"),
        ),
        sa.CheckConstraint(
            "status IN ('planned','placed','paid')", name=op.f("ck_placement_entries_status")
        ),
        sa.CheckConstraint("subsidy_fen > 0", name=op.f("ck_placement_entries_subsidy_positive")),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_placement_entries_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["placement_plans.id"],
            name=op.f("fk_placement_entries_plan_id_placement_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_entries")),
        sa.UniqueConstraint(
            "plan_id", "child_id", name=op.f("uq_placement_entries_plan_id_child_id")
        ),
    )
    op.create_index("uq_placement_entries_child", "placement_entries", ["child_id"], unique=True)
    op.create_table(
        "subsidy_benefit_lines",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("payee", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_subsidy_benefit_lines_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["subsidy_benefit_runs.id"],
            name=op.f("fk_subsidy_benefit_lines_run_id_subsidy_benefit_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_benefit_lines")),
        sa.UniqueConstraint(
            "run_id", "child_id", name=op.f("uq_subsidy_benefit_lines_run_id_child_id")
        ),
    )
    op.create_index(
        "ix_subsidy_benefit_lines_run", "subsidy_benefit_lines", ["run_id", "id"], unique=False
    )
    op.create_table(
        "subsidy_medical_claims",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("bill_total_fen", sa.BigInteger(), nullable=False),
        sa.Column("basic_insurance_paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("other_insurance_paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("remainder_fen", sa.BigInteger(), nullable=False),
        sa.Column("reimbursable_fen", sa.BigInteger(), nullable=False),
        sa.Column("trace", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_by", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('outpatient','inpatient')", name=op.f("ck_subsidy_medical_claims_kind")
        ),
        sa.CheckConstraint(
            "status IN ('submitted','approved','paid','rejected')",
            name=op.f("ck_subsidy_medical_claims_status"),
        ),
        sa.CheckConstraint(
            "bill_total_fen >= 0 AND basic_insurance_paid_fen >= 0 AND other_insurance_paid_fen >= 0 AND remainder_fen >= 0 AND reimbursable_fen >= 0",
            name=op.f("ck_subsidy_medical_claims_amounts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_subsidy_medical_claims_child_id_children")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_medical_claims")),
    )
    op.create_index(
        op.f("ix_subsidy_medical_claims_child_id"),
        "subsidy_medical_claims",
        ["child_id"],
        unique=False,
    )
    op.create_index(
        "ix_subsidy_medical_claims_created",
        "subsidy_medical_claims",
        ["created_at", "id"],
        unique=False,
    )
    op.create_table(
        "subsidy_payroll_lines",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("payroll_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("for_month", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("village_code", sa.String(length=12), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("payee", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("original_line_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('regular','adjustment')", name=op.f("ck_subsidy_payroll_lines_kind")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_subsidy_payroll_lines_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["payroll_id"],
            ["subsidy_payrolls.id"],
            name=op.f("fk_subsidy_payroll_lines_payroll_id_subsidy_payrolls"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_payroll_lines")),
    )
    op.create_index(
        "ix_subsidy_payroll_lines_child_month",
        "subsidy_payroll_lines",
        ["child_id", "for_month"],
        unique=False,
    )
    op.create_index(
        "ix_subsidy_payroll_lines_payroll",
        "subsidy_payroll_lines",
        ["payroll_id", "id"],
        unique=False,
    )
    op.create_index(
        "uq_subsidy_payroll_lines_payroll_child_month_kind",
        "subsidy_payroll_lines",
        ["payroll_id", "child_id", "for_month", "kind"],
        unique=True,
    )
    op.create_index(
        "uq_subsidy_payroll_lines_regular",
        "subsidy_payroll_lines",
        ["child_id", "for_month"],
        unique=True,
        postgresql_where=sa.text("kind = 'regular'"),
    )

    # Standards are append-only: a correction is a new value, never an edit or a removal.
    op.execute(
        """
        CREATE FUNCTION subsidy_standards_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'subsidy_standards is append-only (% refused)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER subsidy_standards_no_update_delete BEFORE UPDATE OR DELETE "
        "ON subsidy_standards FOR EACH ROW EXECUTE FUNCTION subsidy_standards_append_only()"
    )
    op.execute(
        "CREATE TRIGGER subsidy_standards_no_truncate BEFORE TRUNCATE ON subsidy_standards "
        "FOR EACH STATEMENT EXECUTE FUNCTION subsidy_standards_append_only()"
    )
    # Seed the values of parameters.yaml (idempotent: start-up seeds them again if missing).
    from app.subsidies.standards import seed_rows

    table = sa.table(
        "subsidy_standards",
        sa.column("key", sa.String),
        sa.column("value", postgresql.JSONB),
        sa.column("effective_from", sa.Date),
        sa.column("reference", sa.Text),
        sa.column("note", sa.Text),
        sa.column("retroactive", sa.Boolean),
        sa.column("source", sa.String),
    )
    op.execute(
        postgresql.insert(table)
        .values(seed_rows())
        .on_conflict_do_nothing(index_elements=["key", "effective_from"])
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
