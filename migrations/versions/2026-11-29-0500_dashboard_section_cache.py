"""dashboard section cache

Revision ID: 0008
Revises: 0002
Create Date: 2026-11-29 05:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_section_cache",
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "section", "area_code", "month", name=op.f("pk_dashboard_section_cache")
        ),
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
