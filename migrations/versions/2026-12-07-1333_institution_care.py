"""institution: care plans, care records, counselling sessions, activities, volunteers and
tutoring sessions of the welfare institute (养治教康); the art. 62 record check on users

Counselling notes are AES-GCM ciphertext (context `counselling.notes`). A user's record check
is three nullable columns (app.kit.record_check), required by the API for contracted roles.

Revision ID: 0019_institution_care
Revises: 0019_programmes
Create Date: 2026-12-07 13:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_institution_care"
down_revision: str | None = "0019_programmes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUIDS = postgresql.ARRAY(sa.Uuid())
NOW = sa.text("now()")
CHECK_WHOLE = (
    "(record_check_queried_on IS NULL) = (record_check_result IS NULL) AND "
    "(record_check_queried_on IS NULL) = (record_check_reference IS NULL)"
)
CHECK_RESULT = "record_check_result IS NULL OR record_check_result IN ('clear','record_found')"


def _record_check_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("record_check_queried_on", sa.Date(), nullable=True),
        sa.Column("record_check_result", sa.String(16), nullable=True),
        sa.Column("record_check_reference", sa.String(100), nullable=True),
    ]


def _created_at() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False)


def upgrade() -> None:
    for column in _record_check_columns():
        op.add_column("users", column)

    op.create_table(
        "care_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("domains", postgresql.JSONB(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        _created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name="fk_care_plans_child_id_children"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_care_plans"),
        sa.UniqueConstraint("child_id", "year", name="uq_care_plans_child_id_year"),
    )

    op.create_table(
        "care_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("staff_name", sa.String(100), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        _created_at(),
        sa.CheckConstraint(
            "domain IN ('care','treatment','education','rehabilitation')",
            name="ck_care_records_domain",
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name="fk_care_records_child_id_children"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_care_records"),
    )
    op.create_index("ix_care_records_child_recorded", "care_records", ["child_id", "recorded_on"])
    op.create_index("ix_care_records_recorded", "care_records", ["recorded_on"])

    op.create_table(
        "counselling_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mode", sa.String(12), nullable=False),
        sa.Column("counsellor_id", sa.Uuid(), nullable=False),
        sa.Column("counsellor_name", sa.String(100), nullable=False),
        sa.Column("child_ids", UUIDS, nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("topics", postgresql.JSONB(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("confidential_notes_enc", sa.LargeBinary(), nullable=True),
        sa.Column("risk", sa.String(20), nullable=True),
        sa.Column("risk_child_ids", UUIDS, nullable=False),
        sa.Column("incident_ids", UUIDS, nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        _created_at(),
        sa.CheckConstraint("mode IN ('one_to_one','group')", name="ck_counselling_sessions_mode"),
        sa.CheckConstraint(
            "risk IS NULL OR risk IN ('self_harm','abuse_disclosure','other')",
            name="ck_counselling_sessions_risk",
        ),
        sa.ForeignKeyConstraint(
            ["counsellor_id"], ["users.id"], name="fk_counselling_sessions_counsellor_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_counselling_sessions"),
    )
    op.create_index("ix_counselling_sessions_held", "counselling_sessions", ["held_on", "id"])
    op.create_index(
        "ix_counselling_sessions_children",
        "counselling_sessions",
        ["child_ids"],
        postgresql_using="gin",
    )

    op.create_table(
        "institute_activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("partner_organisation", sa.String(200), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("child_ids", UUIDS, nullable=False),
        sa.Column("volunteer_ids", UUIDS, nullable=False),
        sa.Column("photos", postgresql.JSONB(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        _created_at(),
        sa.CheckConstraint(
            "kind IN ('outing','class','festival_visit','other')",
            name="ck_institute_activities_kind",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_institute_activities"),
    )
    op.create_index("ix_institute_activities_held", "institute_activities", ["held_on", "id"])

    op.create_table(
        "volunteers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        *_record_check_columns(),
        _created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(CHECK_WHOLE, name="ck_volunteers_record_check_whole"),
        sa.CheckConstraint(CHECK_RESULT, name="ck_volunteers_record_check_result"),
        sa.PrimaryKeyConstraint("id", name="pk_volunteers"),
    )

    op.create_table(
        "tutoring_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("volunteer_ids", UUIDS, nullable=False),
        sa.Column("child_ids", UUIDS, nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_tutoring_sessions"),
    )
    op.create_index("ix_tutoring_sessions_held", "tutoring_sessions", ["held_on", "id"])


def downgrade() -> None:
    for table in (
        "tutoring_sessions",
        "volunteers",
        "institute_activities",
        "counselling_sessions",
        "care_records",
        "care_plans",
    ):
        op.drop_table(table)
    for column in ("record_check_reference", "record_check_result", "record_check_queried_on"):
        op.drop_column("users", column)
