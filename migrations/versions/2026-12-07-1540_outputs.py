"""screening: the rejected value beside the reason of each rejected row (issue 29)

`screening_import_errors.value`: what the file held in the rejected column (at most 200
characters), so the error report shows it beside the reason. Rows of earlier imports have none.

Revision ID: 0020_outputs
Revises: 0020_insurance
Create Date: 2026-12-07 15:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_outputs"
down_revision: str | None = "0020_insurance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("screening_import_errors", sa.Column("value", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("screening_import_errors", "value")
