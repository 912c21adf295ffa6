"""screening: one unique index for the child's identity (the ID hash one was redundant)

A record's `identity_key` IS the HMAC of its ID number whenever it has one (and a different
HMAC, of name + birth date + guardian phone, when it has none), so the partial unique index on
`id_number_hash` enforced nothing `uq_screening_records_identity_key` did not, while costing
every imported row a second random B-tree insertion. A check constraint now states the
equality, and lookups by ID hash go through the identity index.

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-29 06:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_check_constraint(
        op.f("ck_screening_records_id_number_hash_is_identity"),
        "screening_records",
        "id_number_hash IS NULL OR id_number_hash = identity_key",
    )
    op.drop_index(
        "uq_screening_records_id_number_hash",
        table_name="screening_records",
        postgresql_where=sa.text("id_number_hash IS NOT NULL"),
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
