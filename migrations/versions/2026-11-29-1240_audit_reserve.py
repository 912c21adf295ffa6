"""audit: audit_reserve(lock key, n), the chain's lock and head in one round trip

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 12:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # VOLATILE PL/pgSQL: each statement in it takes a new snapshot, so the head is read after
    # the lock is granted and sees the commit of the transaction that held it before.
    op.execute(
        """
        CREATE FUNCTION audit_reserve(lock_key bigint, n integer,
                                      OUT prev_hash text, OUT ids bigint[])
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock_key);
            SELECT a.hash INTO prev_hash FROM audit_log a ORDER BY a.id DESC LIMIT 1;
            ids := ARRAY(SELECT nextval(pg_get_serial_sequence('audit_log', 'id'))
                         FROM generate_series(1, n));
        END $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION audit_reserve(bigint, integer)")
