"""city core: agencies at two levels, the audit log per district, district overrides of standards

- `agency_clients.area_code`: the area a partner agency's client serves, the city (a municipal
  agency: every district's referrals) or one district (its own only). Existing clients serve
  the single district they were created for: the root district.
- `audit_log.district_code`: the district of the caller who wrote an entry (NULL: the city's
  roles, the system). Not part of the hash chain's input. Existing entries get the root
  district through the column's default at ADD COLUMN time (no UPDATE runs: the table's
  append-only triggers are untouched); the default is dropped at once.
- `subsidy_standards.district_code`: NULL is a city-wide standard (every existing row); a
  district's code is that district's dated override. The unique (key, effective_from) gains the
  district (NULLS NOT DISTINCT: one city-wide value per key and date).

Revision ID: 0022_city_core
Revises: 0021_city_foundation
Create Date: 2026-12-07 19:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_city_core"
down_revision: str | None = "0021_city_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROOT_DISTRICT = "SELECT code FROM areas WHERE level = 'district' ORDER BY code LIMIT 1"


def upgrade() -> None:
    bind = op.get_bind()
    root = bind.execute(sa.text(ROOT_DISTRICT)).scalar_one_or_none()

    op.add_column("agency_clients", sa.Column("area_code", sa.String(length=12), nullable=True))
    op.execute(
        "UPDATE agency_clients SET area_code = (SELECT code FROM areas WHERE level = 'district' "
        "ORDER BY code LIMIT 1) WHERE area_code IS NULL"
    )
    op.alter_column("agency_clients", "area_code", nullable=False)
    op.create_foreign_key(
        op.f("fk_agency_clients_area_code_areas"),
        "agency_clients",
        "areas",
        ["area_code"],
        ["code"],
    )
    op.create_index(op.f("ix_agency_clients_area_code"), "agency_clients", ["area_code"])

    op.add_column(
        "audit_log",
        sa.Column(
            "district_code",
            sa.String(length=12),
            nullable=True,
            server_default=root,
        ),
    )
    op.alter_column("audit_log", "district_code", server_default=None)
    op.create_index("ix_audit_log_district", "audit_log", ["district_code", "id"])

    op.add_column("subsidy_standards", sa.Column("district_code", sa.String(length=12)))
    op.create_foreign_key(
        op.f("fk_subsidy_standards_district_code_areas"),
        "subsidy_standards",
        "areas",
        ["district_code"],
        ["code"],
    )
    op.drop_constraint("uq_subsidy_standards_key_effective_from", "subsidy_standards")
    op.create_unique_constraint(
        op.f("uq_subsidy_standards_key_effective_from_district_code"),
        "subsidy_standards",
        ["key", "effective_from", "district_code"],
        postgresql_nulls_not_distinct=True,
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("uq_subsidy_standards_key_effective_from_district_code"), "subsidy_standards"
    )
    op.create_unique_constraint(
        "uq_subsidy_standards_key_effective_from", "subsidy_standards", ["key", "effective_from"]
    )
    op.drop_constraint(
        op.f("fk_subsidy_standards_district_code_areas"), "subsidy_standards", type_="foreignkey"
    )
    op.drop_column("subsidy_standards", "district_code")
    op.drop_index("ix_audit_log_district", table_name="audit_log")
    op.drop_column("audit_log", "district_code")
    op.drop_index(op.f("ix_agency_clients_area_code"), table_name="agency_clients")
    op.drop_constraint(
        op.f("fk_agency_clients_area_code_areas"), "agency_clients", type_="foreignkey"
    )
    op.drop_column("agency_clients", "area_code")
