"""insurance: the schemes the bureau pays for (effective-dated parameters per insurance year)
and each child's enrolment per scheme and year (医疗保险参保).

- `insurance_schemes`: scheme, year, effective_from, premium (fen), the categories covered free,
  the enrolment window; appended, never changed.
- `insurance_enrolments`: one row per child, scheme and year; status due → submitted →
  enrolled | refused_by_insurer, or not_required with its reason.
No existing rows to migrate: the children's `insurance` flags stay as they are.

Revision ID: 0020_insurance
Revises: 0020_documents
Create Date: 2026-12-07 15:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_insurance"
down_revision: str | None = "0020_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCHEMES = "scheme IN ('basic_medical','puhuibao','supplementary')"


def upgrade() -> None:
    op.create_table(
        "insurance_schemes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("premium_fen", sa.BigInteger(), nullable=False),
        sa.Column("categories", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("window_from", sa.Date(), nullable=False),
        sa.Column("window_to", sa.Date(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(_SCHEMES, name=op.f("ck_insurance_schemes_scheme")),
        sa.CheckConstraint(
            "premium_fen >= 0", name=op.f("ck_insurance_schemes_premium_not_negative")
        ),
        sa.CheckConstraint("window_from <= window_to", name=op.f("ck_insurance_schemes_window")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_schemes")),
        sa.UniqueConstraint(
            "scheme",
            "year",
            "effective_from",
            name=op.f("uq_insurance_schemes_scheme_year_effective_from"),
        ),
    )
    op.create_table(
        "insurance_enrolments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_reason", sa.String(length=24), nullable=True),
        sa.Column("not_required_reason", sa.Text(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("policy_number", sa.String(length=64), nullable=True),
        sa.Column("enrolled_on", sa.Date(), nullable=True),
        sa.Column("premium_fen", sa.BigInteger(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_SCHEMES, name=op.f("ck_insurance_enrolments_scheme")),
        sa.CheckConstraint(
            "status IN ('due','submitted','enrolled','refused_by_insurer','not_required')",
            name=op.f("ck_insurance_enrolments_status"),
        ),
        sa.CheckConstraint(
            "premium_fen IS NULL OR premium_fen >= 0",
            name=op.f("ck_insurance_enrolments_premium_not_negative"),
        ),
        sa.CheckConstraint(
            "status <> 'not_required' OR not_required_reason IS NOT NULL",
            name=op.f("ck_insurance_enrolments_not_required_has_reason"),
        ),
        sa.CheckConstraint(
            "status <> 'enrolled' OR policy_number IS NOT NULL",
            name=op.f("ck_insurance_enrolments_enrolled_has_policy"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_insurance_enrolments_child_id_children"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_enrolments")),
        sa.UniqueConstraint(
            "child_id",
            "scheme",
            "year",
            name=op.f("uq_insurance_enrolments_child_id_scheme_year"),
        ),
    )
    op.create_index(op.f("ix_insurance_enrolments_child_id"), "insurance_enrolments", ["child_id"])
    op.create_index(op.f("ix_insurance_enrolments_year"), "insurance_enrolments", ["year"])
    op.create_index(op.f("ix_insurance_enrolments_status"), "insurance_enrolments", ["status"])


def downgrade() -> None:
    op.drop_table("insurance_enrolments")
    op.drop_table("insurance_schemes")
