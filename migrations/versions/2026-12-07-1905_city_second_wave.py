"""city: the second-wave domains' district-owned tables gain `district_code`

A city deployment serves several districts; tables that hold a district's own work without an
area column gain the district that owns each row (String(12), NOT NULL, FK areas.code, indexed):

- `protection_intakes`: the centre's register of one district (its protection staff, its
  offices, its follow-ups).
- `casework_agencies`: the social-work agencies a district contracts (精准帮扶).
- `cases`: a district's cases (opened by its offices; the child may live nowhere: the institute).

Existing rows belong to the one district the deployment served so far: the root district of the
areas table (`SELECT code FROM areas WHERE level='district' ORDER BY code LIMIT 1`).

Revision ID: 0022_city_second_wave
Revises: 0022_district_isolation
Create Date: 2026-12-07 19:05:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_city_second_wave"
down_revision: str | None = "0022_district_isolation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROOT_DISTRICT = "(SELECT code FROM areas WHERE level = 'district' ORDER BY code LIMIT 1)"

TABLES = ("protection_intakes", "casework_agencies", "cases")


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
