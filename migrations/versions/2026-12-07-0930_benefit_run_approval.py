"""subsidy_benefit_runs: a grant or holiday run is approved by a second person before it counts

Four eyes on money (issue 20): a run of education grants (助学金) or holiday condolences (节日慰问)
used to count as spent the moment one district admin created it. Runs now start as `draft` and
count once someone other than their creator approves them (`approved_at`, `approved_by`).

Runs that exist already were paid under the old rule: they become `approved`, as of their
creation, with no approver recorded (NULL: approved before the four-eyes rule).

Revision ID: 0017_benefit_run_approval
Revises: incident_situations
Create Date: 2026-12-07 09:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_benefit_run_approval"
down_revision: str | None = "incident_situations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "subsidy_benefit_runs",
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
    )
    op.add_column(
        "subsidy_benefit_runs", sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("subsidy_benefit_runs", sa.Column("approved_by", sa.String(64), nullable=True))
    op.execute("UPDATE subsidy_benefit_runs SET status = 'approved', approved_at = created_at")
    op.create_check_constraint(
        op.f("ck_subsidy_benefit_runs_status"),
        "subsidy_benefit_runs",
        "status IN ('draft','approved')",
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
