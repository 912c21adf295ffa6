"""screening: an index of the left-behind children's records, in list order

A district like Daxing has few or no left-behind children 留守儿童, so a list filtered to them
read the whole district's records to find none (about 160 ms with a million records, 200 ms
for a town). This partial index holds only their records, in (updated_at, id) order, as
0015's does the flagged ones: any area's left-behind list reads only them. An import adds an
entry only for a left-behind child; where they are many, their lists were fast without it and
it costs an import in proportion.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 18:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_screening_records_left_behind",
        "screening_records",
        ["updated_at", "id"],
        postgresql_where=sa.text("classification = 'left_behind'"),
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
