"""city: the education aid's rounds belong to a district (`aid_rounds.district_code`)

Each district of a city opens its own rounds of education aid with its own women's federation;
a round and its applications are read, decided and counted by that district alone. The
column is String(12), NOT NULL, FK areas.code, indexed; the name of a round is unique in its
district and year (two districts may both open "2026年春蕾女童及困境男童教育帮扶").

Existing rounds get, in this order: the district of the account that opened the round
(`created_by` is its username; the district whose path prefixes the account's area path), else
the district of the round's applicants (a ledger child's `district_code`, else the district of
the application's village), else the root district of the areas table (the lowest-coded
district: the one the deployment served before the city).

Revision ID: 0024_programmes_districts
Revises: 0023_city_inst_prog
Create Date: 2026-12-07 22:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_programmes_districts"
down_revision: str | None = "0023_city_inst_prog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROOT_DISTRICT = "(SELECT code FROM areas WHERE level = 'district' ORDER BY code LIMIT 1)"

BY_CREATOR = """
UPDATE aid_rounds r SET district_code = (
    SELECT d.code
    FROM users u
    JOIN areas ua ON ua.code = u.area_code
    JOIN areas d ON d.level = 'district' AND ua.path LIKE d.path || '%'
    WHERE u.username = r.created_by
    ORDER BY d.code
    LIMIT 1
)
WHERE r.district_code IS NULL
"""

# the district most of the round's applicants belong to: a ledger child's own district, else
# the district of the application's village
BY_APPLICANTS = """
UPDATE aid_rounds r SET district_code = (
    SELECT coalesce(c.district_code, d.code) AS district
    FROM aid_applications a
    LEFT JOIN children c ON c.id = a.child_id
    LEFT JOIN areas va ON va.code = a.village_code
    LEFT JOIN areas d ON d.level = 'district' AND va.path LIKE d.path || '%'
    WHERE a.round_id = r.id AND coalesce(c.district_code, d.code) IS NOT NULL
    GROUP BY 1
    ORDER BY count(*) DESC, 1
    LIMIT 1
)
WHERE r.district_code IS NULL
"""


def upgrade() -> None:
    op.add_column("aid_rounds", sa.Column("district_code", sa.String(12), nullable=True))
    op.execute(BY_CREATOR)
    op.execute(BY_APPLICANTS)
    op.execute(
        f"UPDATE aid_rounds SET district_code = {ROOT_DISTRICT} WHERE district_code IS NULL"  # noqa: S608
    )
    op.alter_column("aid_rounds", "district_code", nullable=False)
    op.create_foreign_key(
        "fk_aid_rounds_district_code_areas", "aid_rounds", "areas", ["district_code"], ["code"]
    )
    op.create_index("ix_aid_rounds_district_code", "aid_rounds", ["district_code"])
    op.drop_constraint("uq_aid_rounds_year_name", "aid_rounds", type_="unique")
    op.create_unique_constraint(
        "uq_aid_rounds_district_code_year_name", "aid_rounds", ["district_code", "year", "name"]
    )


def downgrade() -> None:
    op.drop_constraint("uq_aid_rounds_district_code_year_name", "aid_rounds", type_="unique")
    op.create_unique_constraint("uq_aid_rounds_year_name", "aid_rounds", ["year", "name"])
    op.drop_index("ix_aid_rounds_district_code", table_name="aid_rounds")
    op.drop_constraint("fk_aid_rounds_district_code_areas", "aid_rounds", type_="foreignkey")
    op.drop_column("aid_rounds", "district_code")
