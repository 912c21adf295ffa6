"""screening: an index of the flagged records, in list order

Flagged records (a stated classification that differs from the computed one, contradictory
facts) are the ones staff review, and they are few: about one in a thousand. Listing them went
through the list index of the area and tested every record in it (a town's flagged list, about
150 ms with a million records); this partial index holds only them, in (updated_at, id) order,
so that any area's flagged list reads only flagged records. An import adds an entry only for a
flagged row.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 17:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_screening_records_flagged",
        "screening_records",
        ["updated_at", "id"],
        postgresql_where=sa.text("flagged IS TRUE"),
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
