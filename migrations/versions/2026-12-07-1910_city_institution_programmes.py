"""city: the institute's and the programmes' district-owned tables gain `district_code`

A city deployment serves several districts, each with its own welfare institute and its own
programmes; tables that hold a district's own work without an area column gain the district
that owns each row (String(12), NOT NULL, FK areas.code, indexed):

- institute care: `care_records`, `counselling_sessions`, `institute_activities`, `volunteers`,
  `tutoring_sessions` (the institute's staff, counsellors and offices of that district alone
  read them);
- programmes: `caring_mothers` (the caring mothers a district's bureau registered; her pairings,
  contacts and wishes follow the child's row), `parent_classes` (a district's classes; a
  district-wide class has no town).

Existing rows belong to the one district the deployment served so far: the root district of the
areas table (`SELECT code FROM areas WHERE level='district' ORDER BY code LIMIT 1`).

Revision ID: 0023_city_inst_prog
Revises: 0022_city_second_wave
Create Date: 2026-12-07 19:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_city_inst_prog"
down_revision: str | None = "0022_city_second_wave"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROOT_DISTRICT = "(SELECT code FROM areas WHERE level = 'district' ORDER BY code LIMIT 1)"

TABLES = (
    "care_records",
    "counselling_sessions",
    "institute_activities",
    "volunteers",
    "tutoring_sessions",
    "caring_mothers",
    "parent_classes",
)


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("district_code", sa.String(12), nullable=True))
        op.execute(f"UPDATE {table} SET district_code = {ROOT_DISTRICT}")  # noqa: S608
        op.alter_column(table, "district_code", nullable=False)
        op.create_foreign_key(
            f"fk_{table}_district_code_areas", table, "areas", ["district_code"], ["code"]
        )
        op.create_index(f"ix_{table}_district_code", table, ["district_code"])


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(f"ix_{table}_district_code", table_name=table)
        op.drop_constraint(f"fk_{table}_district_code_areas", table, type_="foreignkey")
        op.drop_column(table, "district_code")
