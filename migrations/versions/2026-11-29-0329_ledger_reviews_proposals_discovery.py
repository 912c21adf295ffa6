"""ledger reviews proposals discovery

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 03:29:49.711181+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_month_closes",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.Uuid(), nullable=False),
        sa.Column("closed_by_name", sa.String(length=100), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_ledger_month_closes")),
    )
    op.create_table(
        "ledger_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("signed_by", sa.Uuid(), nullable=False),
        sa.Column("signed_by_name", sa.String(length=100), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_quarter", sa.String(length=6), nullable=True),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_reviews")),
        sa.UniqueConstraint("quarter", name=op.f("uq_ledger_reviews_quarter")),
    )
    op.create_table(
        "adult_placements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("came_of_age_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("placement_kind", sa.String(length=32), nullable=True),
        sa.Column("placed_on", sa.Date(), nullable=True),
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
        sa.CheckConstraint(
            "placement_kind IS NULL OR placement_kind IN ('extreme_poverty_support','social')",
            name=op.f("ck_adult_placements_placement_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('waiting','placed','withdrawn')", name=op.f("ck_adult_placements_status")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_adult_placements_child_id_children")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adult_placements")),
        sa.UniqueConstraint("child_id", name=op.f("uq_adult_placements_child_id")),
    )
    op.create_table(
        "child_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("proposed_by", sa.Uuid(), nullable=False),
        sa.Column("proposed_by_name", sa.String(length=100), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
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
            "status IN ('pending','approved','rejected')", name=op.f("ck_child_proposals_status")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_child_proposals_child_id_children")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_proposals")),
    )
    op.create_index(
        op.f("ix_child_proposals_child_id"), "child_proposals", ["child_id"], unique=False
    )
    op.create_index(
        "ix_child_proposals_status_created",
        "child_proposals",
        ["status", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "discovery_candidates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("id_number_enc", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_hash", sa.String(length=64), nullable=False),
        sa.Column("id_number_masked", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("gender", sa.String(length=6), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.Column("household_assistance", sa.String(length=20), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("facts_hash", sa.String(length=64), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("dismiss_reason", sa.Text(), nullable=True),
        sa.Column("child_id", sa.Uuid(), nullable=True),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
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
        sa.CheckConstraint(
            "status IN ('open','dismissed','enrolled')", name=op.f("ck_discovery_candidates_status")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_discovery_candidates_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["village_code"],
            ["areas.code"],
            name=op.f("fk_discovery_candidates_village_code_areas"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_candidates")),
        sa.UniqueConstraint("id_number_hash", name=op.f("uq_discovery_candidates_id_number_hash")),
    )
    op.create_index(
        "ix_discovery_candidates_status",
        "discovery_candidates",
        ["status", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_discovery_candidates_village_code"),
        "discovery_candidates",
        ["village_code"],
        unique=False,
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
