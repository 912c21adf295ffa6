"""programmes: caring mothers 爱心妈妈 (with the art. 62 record check), their pairings, contacts
and the children's wishes; parents' classes 智慧父母 and their attendance

Revision ID: 0019_programmes
Revises: 0019_training_charity
Create Date: 2026-12-07 13:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_programmes"
down_revision: str | None = "0019_training_charity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "caring_mothers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("organisation", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("record_check_queried_on", sa.Date(), nullable=True),
        sa.Column("record_check_result", sa.String(length=16), nullable=True),
        sa.Column("record_check_reference", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "(record_check_queried_on IS NULL) = (record_check_result IS NULL)"
            " AND (record_check_result IS NULL) = (record_check_reference IS NULL)",
            name=op.f("ck_caring_mothers_record_check_whole"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caring_mothers")),
    )
    op.create_table(
        "caring_mother_pairings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mother_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("consent_child", sa.Boolean(), nullable=False),
        sa.Column("consent_guardian", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "(status = 'ended') = (ended_on IS NOT NULL)",
            name=op.f("ck_caring_mother_pairings_ended_on"),
        ),
        sa.CheckConstraint(
            "status IN ('active','ended')", name=op.f("ck_caring_mother_pairings_status")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_caring_mother_pairings_child_id_children"),
        ),
        sa.ForeignKeyConstraint(
            ["mother_id"],
            ["caring_mothers.id"],
            name=op.f("fk_caring_mother_pairings_mother_id_caring_mothers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caring_mother_pairings")),
    )
    op.create_index(
        "ix_caring_mother_pairings_child_id", "caring_mother_pairings", ["child_id"], unique=False
    )
    op.create_index(
        "uq_caring_mother_pairings_active",
        "caring_mother_pairings",
        ["mother_id", "child_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "caring_mother_contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pairing_id", sa.Uuid(), nullable=False),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "mode IN ('visit','phone','online')", name=op.f("ck_caring_mother_contacts_mode")
        ),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["caring_mother_pairings.id"],
            name=op.f("fk_caring_mother_contacts_pairing_id_caring_mother_pairings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caring_mother_contacts")),
    )
    op.create_index(
        "ix_caring_mother_contacts_pairing",
        "caring_mother_contacts",
        ["pairing_id", "contacted_on"],
        unique=False,
    )
    op.create_table(
        "caring_mother_wishes",
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("wished_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_caring_mother_wishes_child_id_children"),
        ),
        sa.PrimaryKeyConstraint("child_id", name=op.f("pk_caring_mother_wishes")),
    )
    op.create_table(
        "parent_classes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("expert_field", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("others_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "expert_field IN ('education','psychology','law')",
            name=op.f("ck_parent_classes_expert_field"),
        ),
        sa.CheckConstraint("mode IN ('school','online')", name=op.f("ck_parent_classes_mode")),
        sa.CheckConstraint("others_count >= 0", name=op.f("ck_parent_classes_others_count")),
        sa.ForeignKeyConstraint(
            ["town_code"], ["areas.code"], name=op.f("fk_parent_classes_town_code_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parent_classes")),
    )
    op.create_index("ix_parent_classes_held_on", "parent_classes", ["held_on"], unique=False)
    op.create_table(
        "parent_class_attendance",
        sa.Column("class_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_parent_class_attendance_child_id_children"),
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["parent_classes.id"],
            name=op.f("fk_parent_class_attendance_class_id_parent_classes"),
        ),
        sa.PrimaryKeyConstraint("class_id", "child_id", name=op.f("pk_parent_class_attendance")),
    )
    op.create_index(
        "ix_parent_class_attendance_child_id",
        "parent_class_attendance",
        ["child_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("parent_class_attendance")
    op.drop_table("parent_classes")
    op.drop_table("caring_mother_wishes")
    op.drop_table("caring_mother_contacts")
    op.drop_table("caring_mother_pairings")
    op.drop_table("caring_mothers")
