"""sync: sync_state, the change log's pruning horizon (the log is pruned by a periodic job)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 13:15:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("pruned_below_xid", sa.BigInteger(), nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_sync_state_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_state")),
    )
    # Nothing pruned yet: every cursor is answered from the log.
    op.execute("INSERT INTO sync_state (id, pruned_below_xid) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("sync_state")
