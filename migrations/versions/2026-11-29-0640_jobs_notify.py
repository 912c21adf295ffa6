"""jobs: NOTIFY jobs_ready when jobs are queued, so a worker in another process wakes at once

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 06:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One notification a statement (and PostgreSQL folds repeats within a transaction); it is
    # delivered at commit, so a worker never wakes for a job it cannot see yet.
    op.execute(
        """
        CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('jobs_ready', '');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER jobs_notify AFTER INSERT ON jobs "
        "FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER jobs_notify ON jobs")
    op.execute("DROP FUNCTION jobs_notify()")
