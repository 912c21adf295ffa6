"""training and charity: the yearly training cascade (sessions, attendance) and the charity
association's project funds (applications, instalments)

Revision ID: 0019_training_charity
Revises: 0019_programmes_aid
Create Date: 2026-12-07 13:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_training_charity"
down_revision: str | None = "0019_programmes_aid"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(4, 1), nullable=False),
        sa.Column("topics", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("trainer", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("materials", postgresql.ARRAY(sa.String(length=500)), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("organiser_id", sa.Uuid(), nullable=False),
        sa.Column("organiser_name", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("level IN ('district','town')", name=op.f("ck_training_sessions_level")),
        sa.CheckConstraint("hours > 0", name=op.f("ck_training_sessions_hours_positive")),
        sa.ForeignKeyConstraint(
            ["area_code"], ["areas.code"], name=op.f("fk_training_sessions_area_code_areas")
        ),
        sa.ForeignKeyConstraint(
            ["organiser_id"], ["users.id"], name=op.f("fk_training_sessions_organiser_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
        sa.UniqueConstraint("code", name=op.f("uq_training_sessions_code")),
    )
    op.create_index(
        op.f("ix_training_sessions_area_code"), "training_sessions", ["area_code"], unique=False
    )
    op.create_index(
        op.f("ix_training_sessions_held_on"), "training_sessions", ["held_on"], unique=False
    )
    op.create_table(
        "training_attendance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("recorded_via", sa.String(length=10), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('present','absent','excused')", name=op.f("ck_training_attendance_status")
        ),
        sa.CheckConstraint(
            "recorded_via IN ('organiser','code')",
            name=op.f("ck_training_attendance_recorded_via"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_training_attendance_session_id_training_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_training_attendance_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_attendance")),
        sa.UniqueConstraint(
            "session_id", "user_id", name=op.f("uq_training_attendance_session_id_user_id")
        ),
    )
    op.create_index(
        "ix_training_attendance_session", "training_attendance", ["session_id"], unique=False
    )
    op.create_index(
        op.f("ix_training_attendance_user_id"), "training_attendance", ["user_id"], unique=False
    )
    op.create_table(
        "charity_applications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("applicant_area_code", sa.String(length=12), nullable=False),
        sa.Column("applicant_unit", sa.String(length=100), nullable=True),
        sa.Column("service_type", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("target_group", sa.String(length=200), nullable=False),
        sa.Column("planned_beneficiaries", sa.Integer(), nullable=False),
        sa.Column("budget", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("requested_fen", sa.BigInteger(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("approved_fen", sa.BigInteger(), nullable=True),
        sa.Column("disbursed_fen", sa.BigInteger(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_by", sa.String(length=100), nullable=True),
        sa.Column("beneficiaries_reached", sa.Integer(), nullable=True),
        sa.Column("ledger_child_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("spending", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("spent_fen", sa.BigInteger(), nullable=True),
        sa.Column("report_summary", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "service_type IN ('psychological_support','living_help','capacity_building',"
            "'rights_protection','professional_training')",
            name=op.f("ck_charity_applications_service_type"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted','returned','forwarded','declined','approved','reported')",
            name=op.f("ck_charity_applications_status"),
        ),
        sa.CheckConstraint(
            "requested_fen > 0", name=op.f("ck_charity_applications_requested_positive")
        ),
        sa.CheckConstraint("period_from <= period_to", name=op.f("ck_charity_applications_period")),
        sa.CheckConstraint(
            "approved_fen IS NULL OR (approved_fen > 0 AND approved_fen <= requested_fen)",
            name=op.f("ck_charity_applications_approved_range"),
        ),
        sa.CheckConstraint(
            "disbursed_fen >= 0 AND disbursed_fen <= COALESCE(approved_fen, 0)",
            name=op.f("ck_charity_applications_disbursed_range"),
        ),
        sa.ForeignKeyConstraint(
            ["applicant_area_code"],
            ["areas.code"],
            name=op.f("fk_charity_applications_applicant_area_code_areas"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charity_applications")),
    )
    op.create_index(
        op.f("ix_charity_applications_applicant_area_code"),
        "charity_applications",
        ["applicant_area_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_charity_applications_status"), "charity_applications", ["status"], unique=False
    )
    op.create_table(
        "charity_disbursements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_charity_disbursements_amount_positive")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["charity_applications.id"],
            name=op.f("fk_charity_disbursements_application_id_charity_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charity_disbursements")),
    )
    op.create_index(
        op.f("ix_charity_disbursements_application_id"),
        "charity_disbursements",
        ["application_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("charity_disbursements")
    op.drop_table("charity_applications")
    op.drop_table("training_attendance")
    op.drop_table("training_sessions")
