"""children: status continued_schooling, the schooling's enrolment year and expected end; the
parameter support_after_18_in_school

An orphan or de-facto-unsupported child who turns 18 in full-time schooling stays on the ledger
with status `continued_schooling` until the normal end of that schooling (domain.md §5). The
status column grows to hold the new value (16 → 24 characters), its check admits it, and the
one-enrolment-per-ID index covers both statuses on the ledger. The child record gains the year
the current schooling began and its expected end. The parameter's seed value is inserted here
(idempotent), as the subsidies migration inserted the others. No existing row changes: every
child keeps its status; the periodic job moves those who qualify.

Revision ID: 0017_continued_schooling
Revises: 0017_benefit_run_approval
Create Date: 2026-12-07 09:30:00+00:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017_continued_schooling"
down_revision: str | None = "0017_benefit_run_approval"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERENCE = (
    "domain.md §5 (policy, widely adopted, e.g. Chengdu's published rule): an orphan or "
    "de-facto-unsupported child who turns 18 in full-time schooling keeps the living allowance "
    "within the normal length of that schooling and is paid the education grants; whether this "
    "applies is a dated parameter (rule we set), on by default"
)


def upgrade() -> None:
    op.alter_column(
        "children",
        "status",
        type_=sa.String(length=24),
        existing_type=sa.String(length=16),
        existing_nullable=False,
    )
    op.drop_constraint(op.f("ck_children_status"), "children", type_="check")
    op.create_check_constraint(
        op.f("ck_children_status"),
        "children",
        "status IN ('active','continued_schooling','revoked')",
    )
    op.drop_index("uq_children_active_id_number", table_name="children")
    op.create_index(
        "uq_children_active_id_number",
        "children",
        ["id_number_hash"],
        unique=True,
        postgresql_where=sa.text("status IN ('active', 'continued_schooling')"),
    )
    op.add_column("children", sa.Column("school_enrolment_year", sa.SmallInteger(), nullable=True))
    op.add_column("children", sa.Column("school_expected_end_on", sa.Date(), nullable=True))

    table = sa.table(
        "subsidy_standards",
        sa.column("key", sa.String),
        sa.column("value", postgresql.JSONB),
        sa.column("effective_from", sa.Date),
        sa.column("reference", sa.Text),
        sa.column("note", sa.Text),
        sa.column("retroactive", sa.Boolean),
        sa.column("source", sa.String),
    )
    op.execute(
        postgresql.insert(table)
        .values(
            key="support_after_18_in_school",
            value=True,
            effective_from=date(2023, 7, 1),
            reference=REFERENCE,
            note="true: support continues after 18 in full-time schooling; false: it ends at 18.",
            retroactive=False,
            source="seed",
        )
        .on_conflict_do_nothing(index_elements=["key", "effective_from"])
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
