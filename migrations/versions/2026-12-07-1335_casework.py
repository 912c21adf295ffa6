"""casework: contracted social-work agencies, cases (精准帮扶), case workers bound to their
agency; referrals of screening findings to education, health and the disabled persons' federation

- `casework_agencies`, `cases`, `case_steps`, `case_goals`, `case_services`, `case_reviews`.
- `users.agency_id`: an active case worker has one. A case worker account created before
  agencies existed (none is expected: the role is new) is deactivated until a district admin
  binds it to an agency — it could reach nothing anyway.
- `referrals`: a referral is of an incident or of a screening record's finding (exactly one);
  `finding`, `outcome`, `outcome_note`, `resolved_at`; one open referral per record and finding.
  Existing rows are all incidents' and stay as they are.

Revision ID: 0019_casework
Revises: 0019_protection
Create Date: 2026-12-07 13:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_casework"
down_revision: str | None = "0019_protection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.text("now()")


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "casework_agencies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("contract_from", sa.Date(), nullable=False),
        sa.Column("contract_to", sa.Date(), nullable=False),
        sa.Column("hours_bought", sa.Integer(), nullable=False),
        sa.Column("hourly_rate_fen", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=True),
        *_timestamps(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("contract_to >= contract_from", name="contract_period"),
        sa.CheckConstraint("hours_bought > 0", name="hours_bought_positive"),
        sa.CheckConstraint("hourly_rate_fen > 0", name="hourly_rate_positive"),
        sa.PrimaryKeyConstraint("id", name="pk_casework_agencies"),
        sa.UniqueConstraint("name", name="uq_casework_agencies_name"),
    )
    op.add_column("users", sa.Column("agency_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_users_agency_id_casework_agencies", "users", "casework_agencies", ["agency_id"], ["id"]
    )
    op.create_index("ix_users_agency_id", "users", ["agency_id"])
    op.execute(
        "UPDATE users SET is_active = false, version = version + 1 "
        "WHERE role = 'case_worker' AND agency_id IS NULL AND is_active"
    )
    op.create_check_constraint(
        "case_worker_has_agency",
        "users",
        "role <> 'case_worker' OR agency_id IS NOT NULL OR NOT is_active",
    )

    op.create_table(
        "cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("assistance", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("area_code", sa.String(12), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("opened_by", sa.String(100), nullable=False),
        sa.Column("assessment", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.Column("plan_set_on", sa.Date(), nullable=True),
        sa.Column("next_review_due", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
        *_timestamps(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('open','assessed','in_service','closed')", name="status"),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('goals_met','partly_met','transferred',"
            "'ended_by_family','other')",
            name="outcome",
        ),
        sa.CheckConstraint(
            "(status = 'closed') = (outcome IS NOT NULL AND closed_on IS NOT NULL)",
            name="closed_has_outcome",
        ),
        sa.CheckConstraint(
            "jsonb_array_length(assistance) > 0 OR override_reason IS NOT NULL",
            name="assistance_or_override",
        ),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name="fk_cases_child_id_children"),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["casework_agencies.id"], name="fk_cases_agency_id_casework_agencies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index("ix_cases_child_id", "cases", ["child_id"])
    op.create_index("ix_cases_agency_id", "cases", ["agency_id"])
    op.create_index(
        "uq_cases_open_child",
        "cases",
        ["child_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'closed'"),
    )
    op.create_index("ix_cases_agency_created", "cases", ["agency_id", "created_at", "id"])
    op.create_index("ix_cases_created", "cases", ["created_at", "id"])

    op.create_table(
        "case_steps",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("actor_name", sa.String(100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_steps_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_case_steps"),
    )
    op.create_index("ix_case_steps_case_id", "case_steps", ["case_id"])

    op.create_table(
        "case_goals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("domain", sa.String(20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("planned_services", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("progress", sa.String(16), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint(
            "domain IN ('living','health','education','psychological','family_relations','safety')",
            name="domain",
        ),
        sa.CheckConstraint(
            "progress IN ('not_started','in_progress','achieved','dropped')",
            name="progress",
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_goals_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_case_goals"),
    )
    op.create_index("ix_case_goals_case_id", "case_goals", ["case_id"])

    op.create_table(
        "case_services",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("served_on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("disclosure", sa.Boolean(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes"),
        sa.CheckConstraint(
            "mode IN ('home_visit','office','phone','online','group')",
            name="mode",
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_services_case_id_cases"),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["casework_agencies.id"],
            name="fk_case_services_agency_id_casework_agencies",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name="fk_case_services_worker_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["case_goals.id"], name="fk_case_services_goal_id_case_goals"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_case_services_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_services"),
    )
    op.create_index("ix_case_services_case_id", "case_services", ["case_id"])
    op.create_index("ix_case_services_agency_served", "case_services", ["agency_id", "served_on"])

    op.create_table(
        "case_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("progress", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("reviewer_id", sa.Uuid(), nullable=False),
        sa.Column("reviewer_name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_reviews_case_id_cases"),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name="fk_case_reviews_reviewer_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_reviews"),
    )
    op.create_index("ix_case_reviews_case_id", "case_reviews", ["case_id"])

    # Screening referrals share the referrals table (and its acknowledgement, deadline,
    # escalation and webhook machinery) with the incidents' referrals.
    op.alter_column("referrals", "incident_id", existing_type=sa.Uuid(), nullable=True)
    op.add_column("referrals", sa.Column("screening_record_id", sa.Uuid(), nullable=True))
    op.add_column("referrals", sa.Column("finding", sa.String(24), nullable=True))
    op.add_column("referrals", sa.Column("outcome", sa.String(16), nullable=True))
    op.add_column("referrals", sa.Column("outcome_note", sa.Text(), nullable=True))
    op.add_column("referrals", sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        "fk_referrals_screening_record_id_screening_records",
        "referrals",
        "screening_records",
        ["screening_record_id"],
        ["id"],
    )
    op.create_index("ix_referrals_screening_record_id", "referrals", ["screening_record_id"])
    op.create_check_constraint(
        "one_subject", "referrals", "(incident_id IS NULL) <> (screening_record_id IS NULL)"
    )
    op.create_check_constraint(
        "screening_has_finding", "referrals", "(screening_record_id IS NULL) = (finding IS NULL)"
    )
    op.create_check_constraint(
        "finding",
        "referrals",
        "finding IS NULL OR finding IN ('out_of_school','uninsured','disability')",
    )
    op.create_check_constraint(
        "outcome",
        "referrals",
        "outcome IS NULL OR outcome IN ('enrolled','insured','assessed','not_found',"
        "'moved_away','other')",
    )
    op.create_index(
        "uq_referrals_open_screening_finding",
        "referrals",
        ["screening_record_id", "finding"],
        unique=True,
        postgresql_where=sa.text(
            "screening_record_id IS NOT NULL AND status NOT IN ('completed','declined')"
        ),
    )


def downgrade() -> None:
    op.drop_index("uq_referrals_open_screening_finding", table_name="referrals")
    op.execute("DELETE FROM referrals WHERE incident_id IS NULL")
    for name in ("outcome", "finding", "screening_has_finding", "one_subject"):
        op.drop_constraint(name, "referrals", type_="check")
    op.drop_index("ix_referrals_screening_record_id", table_name="referrals")
    op.drop_constraint(
        "fk_referrals_screening_record_id_screening_records", "referrals", type_="foreignkey"
    )
    for column in ("resolved_at", "outcome_note", "outcome", "finding", "screening_record_id"):
        op.drop_column("referrals", column)
    op.alter_column("referrals", "incident_id", existing_type=sa.Uuid(), nullable=False)
    for table in ("case_reviews", "case_services", "case_goals", "case_steps", "cases"):
        op.drop_table(table)
    op.drop_constraint("case_worker_has_agency", "users", type_="check")
    op.drop_index("ix_users_agency_id", table_name="users")
    op.drop_constraint("fk_users_agency_id_casework_agencies", "users", type_="foreignkey")
    op.drop_column("users", "agency_id")
    op.drop_table("casework_agencies")
