"""children ledger records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 03:26:58.637438+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "children",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_number_enc", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_hash", sa.String(length=64), nullable=False),
        sa.Column("id_number_masked", sa.String(length=18), nullable=False),
        sa.Column("gender", sa.String(length=6), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("placement", sa.String(length=16), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revoke_reason", sa.String(length=32), nullable=True),
        sa.Column("revoke_note", sa.Text(), nullable=True),
        sa.Column("parents", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("guardians", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("household_assistance", sa.String(length=20), nullable=False),
        sa.Column("serious_illness", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("disability", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("school_stage", sa.String(length=24), nullable=True),
        sa.Column("school_name", sa.String(length=100), nullable=True),
        sa.Column("insurance", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "category IN ('orphan','de_facto_unsupported','poor_family_seriously_ill','poor_family_disabled')",
            name=op.f("ck_children_category"),
        ),
        sa.CheckConstraint(
            "placement = 'institution' OR village_code IS NOT NULL",
            name=op.f("ck_children_dispersed_has_village"),
        ),
        sa.CheckConstraint(
            "placement IN ('dispersed','institution')", name=op.f("ck_children_placement")
        ),
        sa.CheckConstraint("status IN ('active','revoked')", name=op.f("ck_children_status")),
        sa.ForeignKeyConstraint(
            ["village_code"], ["areas.code"], name=op.f("fk_children_village_code_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_children")),
    )
    op.create_index(
        op.f("ix_children_id_number_hash"), "children", ["id_number_hash"], unique=False
    )
    op.create_index("ix_children_updated", "children", ["updated_at", "id"], unique=False)
    op.create_index(op.f("ix_children_village_code"), "children", ["village_code"], unique=False)
    op.create_index(
        "uq_children_active_id_number",
        "children",
        ["id_number_hash"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "child_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ledger_month", sa.Date(), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_child_changes_child_id_children")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_changes")),
        sa.UniqueConstraint("seq", name=op.f("uq_child_changes_seq")),
    )
    op.create_index(op.f("ix_child_changes_child_id"), "child_changes", ["child_id"], unique=False)
    op.create_index(
        op.f("ix_child_changes_ledger_month"), "child_changes", ["ledger_month"], unique=False
    )
    op.create_index(
        "ix_child_changes_child_month",
        "child_changes",
        ["child_id", "ledger_month", "at"],
        unique=False,
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
