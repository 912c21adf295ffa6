"""screening: the identity key as the HMAC's 32 bytes; no separate ID hash column

`identity_key` held the HMAC-SHA256 of the child's identity as 64 hex characters, and
`id_number_hash` the same 64 characters again for every record with an ID number (a check
constraint held them equal). The key is now the digest itself (`bytea`, 32 bytes), and the
ID hash column goes: a record with an ID number (`id_number_enc` set) is found by its ID's
HMAC through the identity index, as before. Each record is 97 bytes narrower, and the unique
identity index (one random insertion per imported child) holds 48-byte entries instead of
80-byte ones, compared as bytes rather than as collated text: about a tenth of a large
import's database time.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 17:10:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(
        op.f("ck_screening_records_id_number_hash_is_identity"), "screening_records", "check"
    )
    op.drop_column("screening_records", "id_number_hash")
    # rewrites the table and rebuilds its indexes, the unique identity index among them
    op.execute(
        "ALTER TABLE screening_records "
        "ALTER COLUMN identity_key TYPE bytea USING decode(identity_key, 'hex')"
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
