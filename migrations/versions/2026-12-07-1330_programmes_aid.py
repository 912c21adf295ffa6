"""programmes (issue 24): education aid rounds and applications with the women's federation,
gifts in kind of the holiday runs, community activities in the villages' venues

Revision ID: 0019_programmes_aid
Revises: 0018_second_wave_roles
Create Date: 2026-12-07 13:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_programmes_aid"
down_revision: str | None = "0018_second_wave_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "aid_rounds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aid_rounds")),
        sa.UniqueConstraint("year", "name", name=op.f("uq_aid_rounds_year_name")),
    )
    op.create_table(
        "aid_applications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=True),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("child_name", sa.String(length=100), nullable=False),
        sa.Column("child_gender", sa.String(length=6), nullable=False),
        sa.Column("child_birth_date", sa.Date(), nullable=False),
        sa.Column("child_id_number_enc", sa.LargeBinary(), nullable=True),
        sa.Column("child_id_number_masked", sa.String(length=18), nullable=False),
        sa.Column("school", sa.String(length=100), nullable=True),
        sa.Column("village_code", sa.String(length=12), nullable=True),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("programme", sa.String(length=24), nullable=False),
        sa.Column("requested_fen", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("disbursed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disbursed_by", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "programme IN ('spring_bud','boys_in_difficulty')",
            name=op.f("ck_aid_applications_programme"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted','approved','rejected','disbursed')",
            name=op.f("ck_aid_applications_status"),
        ),
        sa.CheckConstraint(
            "requested_fen > 0 AND (amount_fen IS NULL OR amount_fen > 0)",
            name=op.f("ck_aid_applications_fen"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('approved','disbursed') OR amount_fen IS NOT NULL",
            name=op.f("ck_aid_applications_approved_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_aid_applications_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["aid_rounds.id"], name=op.f("fk_aid_applications_round_id_aid_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aid_applications")),
        sa.UniqueConstraint(
            "round_id", "person_key", name=op.f("uq_aid_applications_round_id_person_key")
        ),
    )
    op.create_index("ix_aid_applications_round", "aid_applications", ["round_id", "id"])
    op.create_index("ix_aid_applications_disbursed", "aid_applications", ["disbursed_at"])
    op.create_table(
        "holiday_gifts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=True),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("item", sa.String(length=100), nullable=False),
        sa.Column("value_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("received_by", sa.String(length=100), nullable=True),
        sa.Column("delivery_note", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint("value_fen >= 0", name=op.f("ck_holiday_gifts_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_holiday_gifts_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["subsidy_benefit_runs.id"],
            name=op.f("fk_holiday_gifts_run_id_subsidy_benefit_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_gifts")),
        sa.UniqueConstraint(
            "run_id", "child_id", "item", name=op.f("uq_holiday_gifts_run_id_child_id_item")
        ),
    )
    op.create_index("ix_holiday_gifts_run", "holiday_gifts", ["run_id", "id"])
    op.create_table(
        "community_activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("child_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("others", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "kind IN ('reading','study','arts','sports','outing','festival','safety','other')",
            name=op.f("ck_community_activities_kind"),
        ),
        sa.CheckConstraint("others >= 0", name=op.f("ck_community_activities_others_not_negative")),
        sa.ForeignKeyConstraint(
            ["village_code"],
            ["areas.code"],
            name=op.f("fk_community_activities_village_code_areas"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_activities")),
    )
    op.create_index(
        "ix_community_activities_village_day", "community_activities", ["village_code", "held_on"]
    )
    op.create_index(
        "ix_community_activities_children",
        "community_activities",
        ["child_ids"],
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_table("community_activities")
    op.drop_table("holiday_gifts")
    op.drop_table("aid_applications")
    op.drop_table("aid_rounds")
