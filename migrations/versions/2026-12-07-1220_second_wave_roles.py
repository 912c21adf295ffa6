"""accounts: the second wave's roles (protection_staff, counsellor, case_worker) and the charity
association as a partner agency

The new roles reach no area (app.auth.jurisdiction): each domain grants them its own rows.

Revision ID: 0018_second_wave_roles
Revises: 0017_parent_facts
Create Date: 2026-12-07 12:20:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018_second_wave_roles"
down_revision: str | None = "0017_parent_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = (
    "'district_admin','district_leader','institution_staff','town_supervisor',"
    "'village_director','auditor'"
)
AGENCIES = "'police','health','education','disabled_federation','women_federation'"


def upgrade() -> None:
    op.drop_constraint("role", "users", type_="check")
    op.create_check_constraint(
        "role", "users", f"role IN ({ROLES},'protection_staff','counsellor','case_worker')"
    )
    op.drop_constraint("agency", "agency_clients", type_="check")
    op.create_check_constraint("agency", "agency_clients", f"agency IN ({AGENCIES},'charity')")


def downgrade() -> None:
    op.drop_constraint("agency", "agency_clients", type_="check")
    op.create_check_constraint("agency", "agency_clients", f"agency IN ({AGENCIES})")
    op.drop_constraint("role", "users", type_="check")
    op.create_check_constraint("role", "users", f"role IN ({ROLES})")
