"""children: the version each history entry produced, for the per-field merge of stale edits

A phone edit made on version N of a child record now conflicts only on the fields changed after
N (issue 19 item 5). The history (child_changes) keeps each change's fields with from/to; this
column says which version of the record each entry produced, so the server can tell which fields
changed after N and what they were at N.

Existing entries are numbered 1, 2, … per child in the order they were written, but only for a
child whose entries account for every version it had (as many entries as its version): where a
version went by without an entry, nothing can be said of that child's older versions, and a
stale edit on one of them conflicts on each field whose value differs (as before).

It also repairs the entries written by the phone's sync edits until now, which carried an empty
ledger state (the month-end ledger reads the state of each child's last entry, so such a child
fell out of the ledger): a phone edit changes no ledger field, so the entry takes the state of
the child's previous entry.

Revision ID: 0017_sync_merge
Revises: 0016
Create Date: 2026-12-07 09:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_sync_merge"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("child_changes", sa.Column("version", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE child_changes AS cc SET version = n.rn
        FROM (
            SELECT e.id, e.child_id,
                   row_number() OVER (PARTITION BY e.child_id ORDER BY e.seq) AS rn,
                   count(*) OVER (PARTITION BY e.child_id) AS cnt
            FROM child_changes AS e
        ) AS n
        JOIN children AS c ON c.id = n.child_id
        WHERE cc.id = n.id AND n.cnt = c.version
        """
    )
    op.execute(
        """
        UPDATE child_changes AS cc
        SET state = (
            SELECT p.state FROM child_changes AS p
            WHERE p.child_id = cc.child_id AND p.seq < cc.seq AND p.state <> '{}'::jsonb
            ORDER BY p.seq DESC LIMIT 1
        )
        WHERE cc.state = '{}'::jsonb AND cc.kind = 'changed' AND cc.reason = 'phone edit'
          AND EXISTS (
            SELECT 1 FROM child_changes AS p
            WHERE p.child_id = cc.child_id AND p.seq < cc.seq AND p.state <> '{}'::jsonb
          )
        """
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
