"""city: a `city` level above the districts, and the city's two roles

- `areas.level` may be `city` (the root when CITY_CODE is set; districts hang under it and
  their paths start with the city's code). A deployment without a city keeps its district as
  the root, unchanged.
- `users.role` may be `city_admin` (市民政局: districts' accounts, city-wide parameters) or
  `city_viewer` (aggregates of every district).

Revision ID: 0021_city_foundation
Revises: 0020_webhook_secret_rotation
Create Date: 2026-12-07 19:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021_city_foundation"
down_revision: str | None = "0020_webhook_secret_rotation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = (
    "'district_admin','district_leader','institution_staff','town_supervisor',"
    "'village_director','auditor','protection_staff','counsellor','case_worker'"
)


def upgrade() -> None:
    op.drop_constraint("level", "areas", type_="check")
    op.create_check_constraint("level", "areas", "level IN ('city','district','town','village')")
    op.drop_constraint("role", "users", type_="check")
    op.create_check_constraint("role", "users", f"role IN ({ROLES},'city_admin','city_viewer')")


def downgrade() -> None:
    op.drop_constraint("role", "users", type_="check")
    op.create_check_constraint("role", "users", f"role IN ({ROLES})")
    op.drop_constraint("level", "areas", type_="check")
    op.create_check_constraint("level", "areas", "level IN ('district','town','village')")
