"""screening: imports, records, history, pre-aggregated counts

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-29 04:01:18.347643+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "screening_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("identity_key", sa.String(length=64), nullable=False),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("id_number_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_masked", sa.String(length=18), nullable=True),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("gender", sa.String(length=6), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("hukou_code", sa.String(length=12), nullable=True),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=False),
        sa.Column("residence_since", sa.Date(), nullable=True),
        sa.Column("accompanied_by", sa.String(length=16), nullable=True),
        sa.Column("father_away_since", sa.Date(), nullable=True),
        sa.Column("mother_away_since", sa.Date(), nullable=True),
        sa.Column("father_can_guard", sa.Boolean(), nullable=True),
        sa.Column("mother_can_guard", sa.Boolean(), nullable=True),
        sa.Column("guardian_name", sa.String(length=100), nullable=True),
        sa.Column("guardian_phone", sa.String(length=20), nullable=True),
        sa.Column("school_status", sa.String(length=24), nullable=True),
        sa.Column("school_name", sa.String(length=200), nullable=True),
        sa.Column("health_status", sa.Text(), nullable=True),
        sa.Column("disability_kind", sa.String(length=16), nullable=True),
        sa.Column("disability_grade", sa.SmallInteger(), nullable=True),
        sa.Column("screened_on", sa.Date(), nullable=False),
        sa.Column("stated_classification", sa.String(length=12), nullable=True),
        sa.Column("classification", sa.String(length=12), nullable=False),
        sa.Column("flags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("first_import_id", sa.Uuid(), nullable=True),
        sa.Column("last_import_id", sa.Uuid(), nullable=True),
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
            "classification IN ('migrant','left_behind','neither')",
            name=op.f("ck_screening_records_classification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_records")),
        sa.UniqueConstraint("identity_key", name=op.f("uq_screening_records_identity_key")),
    )
    op.create_index(
        "ix_screening_records_name",
        "screening_records",
        ["name"],
        unique=False,
        postgresql_ops={"name": "text_pattern_ops"},
    )
    op.create_index(
        "ix_screening_records_town_updated",
        "screening_records",
        ["town_code", "updated_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_screening_records_updated", "screening_records", ["updated_at", "id"], unique=False
    )
    op.create_index(
        "ix_screening_records_village_updated",
        "screening_records",
        ["village_code", "updated_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_screening_records_id_number_hash",
        "screening_records",
        ["id_number_hash"],
        unique=True,
        postgresql_where=sa.text("id_number_hash IS NOT NULL"),
    )
    op.create_table(
        "screening_stats",
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("classification", sa.String(length=12), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("school_status", sa.String(length=24), nullable=False),
        sa.Column("age_band", sa.String(length=8), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "village_code",
            "classification",
            "flagged",
            "school_status",
            "age_band",
            name=op.f("pk_screening_stats"),
        ),
    )
    op.create_table(
        "screening_stats_state",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column(
            "refreshed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_stats_state")),
    )
    op.create_table(
        "screening_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_kind", sa.String(length=8), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=False),
        sa.Column("uploaded_by_name", sa.String(length=100), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("area_path", sa.String(length=200), nullable=False),
        sa.Column("warnings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("last_row", sa.Integer(), nullable=False),
        sa.Column("chunks_done", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued','running','done','failed')",
            name=op.f("ck_screening_imports_status"),
        ),
        sa.ForeignKeyConstraint(
            ["area_code"], ["areas.code"], name=op.f("fk_screening_imports_area_code_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_imports")),
    )
    op.create_index(
        "ix_screening_imports_area_created",
        "screening_imports",
        ["area_path", "created_at"],
        unique=False,
    )
    op.create_table(
        "screening_record_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=True),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["screening_records.id"],
            name=op.f("fk_screening_record_changes_record_id_screening_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_record_changes")),
    )
    op.create_index(
        "ix_screening_record_changes_record",
        "screening_record_changes",
        ["record_id", "id"],
        unique=False,
    )
    op.create_table(
        "screening_import_errors",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["screening_imports.id"],
            name=op.f("fk_screening_import_errors_import_id_screening_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_import_errors")),
    )
    op.create_index(
        "ix_screening_import_errors_import_row",
        "screening_import_errors",
        ["import_id", "row_number"],
        unique=False,
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
