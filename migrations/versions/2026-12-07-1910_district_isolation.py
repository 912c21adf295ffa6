"""city: the district of every district-owned row (children, runs, closes, reviews, plans)

One deployment serves a city of districts; each district's staff reach their own district only.
Rows with a village already have a district (the village's ancestor); rows without one get a
`district_code` (String(12), NOT NULL, FK areas.code, indexed):

- `subsidy_payrolls.district_code`: a district's living-allowance run, one per month and
  district (the unique month becomes unique (district, month)).
- `subsidy_benefit_runs.district_code`: a district's education-grant and holiday runs (one per
  benefit and period and district).
- `subsidy_budgets.district_code` (part of the key: one budget per year and district).
- `placement_plans.district_code`: a district's plan for its institute's adult orphans (one per
  year and district).
- `ledger_month_closes.district_code` (part of the key: one close per month and district) and
  `ledger_reviews.district_code` (one review per quarter and district).
- `children.district_code`: the district of the child's village, kept so by a trigger on every
  insert and change of village (a dispersed child moving to another district's village moves
  with it); an institute child's (no village) is the district whose staff enrolled it, by
  default the first district. Existing rows: their village's district, else the first district.

Existing rows without a village belong to the first district (`SELECT code FROM areas WHERE
level='district' ORDER BY code LIMIT 1`), the single district of a deployment before the city.

Revision ID: 0022_district_isolation
Revises: 0022_city_core
Create Date: 2026-12-07 19:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_district_isolation"
down_revision: str | None = "0022_city_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_DISTRICT = "(SELECT code FROM areas WHERE level = 'district' ORDER BY code LIMIT 1)"
# The district (level `district`) whose path is a prefix of the village's path.
VILLAGE_DISTRICT = (
    "(SELECT d.code FROM areas v JOIN areas d ON d.level = 'district' "
    "AND v.path LIKE d.path || '%' WHERE v.code = {village} LIMIT 1)"
)

CHILDREN_TRIGGER = f"""
CREATE FUNCTION children_district() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.village_code IS NOT NULL THEN
        NEW.district_code := COALESCE({VILLAGE_DISTRICT.format(village="NEW.village_code")},
                                      NEW.district_code);
    END IF;
    IF NEW.district_code IS NULL THEN
        NEW.district_code := {FIRST_DISTRICT};
    END IF;
    RETURN NEW;
END $$
"""
CHILDREN_TRIGGER_ON = """
CREATE TRIGGER children_district BEFORE INSERT OR UPDATE OF village_code, district_code
    ON children FOR EACH ROW EXECUTE FUNCTION children_district();
"""


def _add_district(table: str) -> None:
    """A district-owned table's `district_code`, its rows the first district's."""
    op.add_column(table, sa.Column("district_code", sa.String(12), nullable=True))
    op.execute(f"UPDATE {table} SET district_code = {FIRST_DISTRICT}")  # noqa: S608
    op.alter_column(table, "district_code", nullable=False)
    op.create_foreign_key(
        f"fk_{table}_district_code_areas", table, "areas", ["district_code"], ["code"]
    )
    op.create_index(f"ix_{table}_district_code", table, ["district_code"])


def upgrade() -> None:
    # children: the village's district, else the first district; a trigger keeps it so
    op.add_column("children", sa.Column("district_code", sa.String(12), nullable=True))
    op.execute(
        "UPDATE children SET district_code = COALESCE("  # noqa: S608
        + VILLAGE_DISTRICT.format(village="children.village_code")
        + f", {FIRST_DISTRICT})"
    )
    op.alter_column("children", "district_code", nullable=False)
    op.create_foreign_key(
        "fk_children_district_code_areas", "children", "areas", ["district_code"], ["code"]
    )
    op.create_index("ix_children_district_code", "children", ["district_code"])
    op.execute(CHILDREN_TRIGGER)
    op.execute(CHILDREN_TRIGGER_ON)
    # a district's grant and holiday runs: one per benefit and period and district
    _add_district("subsidy_benefit_runs")
    op.drop_constraint(
        "uq_subsidy_benefit_runs_benefit_period", "subsidy_benefit_runs", type_="unique"
    )
    op.create_unique_constraint(
        "uq_subsidy_benefit_runs_district_code_benefit_period",
        "subsidy_benefit_runs",
        ["district_code", "benefit", "period"],
    )
    # a district's budget: one per year and district (the key)
    _add_district("subsidy_budgets")
    op.drop_constraint("pk_subsidy_budgets", "subsidy_budgets", type_="primary")
    op.create_primary_key("pk_subsidy_budgets", "subsidy_budgets", ["district_code", "year"])
    # a district's adult-orphan placement plan: one per year and district
    _add_district("placement_plans")
    op.drop_constraint("uq_placement_plans_year", "placement_plans", type_="unique")
    op.create_unique_constraint(
        "uq_placement_plans_district_code_year", "placement_plans", ["district_code", "year"]
    )
    # a district's ledger: its month closes and quarterly reviews
    _add_district("ledger_month_closes")
    op.drop_constraint("pk_ledger_month_closes", "ledger_month_closes", type_="primary")
    op.create_primary_key(
        "pk_ledger_month_closes", "ledger_month_closes", ["district_code", "month"]
    )
    _add_district("ledger_reviews")
    op.drop_constraint("uq_ledger_reviews_quarter", "ledger_reviews", type_="unique")
    op.create_unique_constraint(
        "uq_ledger_reviews_district_code_quarter", "ledger_reviews", ["district_code", "quarter"]
    )
    # a district's payroll: one per month and district
    _add_district("subsidy_payrolls")
    op.drop_constraint("uq_subsidy_payrolls_month", "subsidy_payrolls", type_="unique")
    op.create_unique_constraint(
        "uq_subsidy_payrolls_district_code_month", "subsidy_payrolls", ["district_code", "month"]
    )


def downgrade() -> None:
    op.drop_constraint("pk_subsidy_budgets", "subsidy_budgets", type_="primary")
    op.create_primary_key("pk_subsidy_budgets", "subsidy_budgets", ["year"])
    op.drop_index("ix_subsidy_budgets_district_code", "subsidy_budgets")
    op.drop_constraint(
        "fk_subsidy_budgets_district_code_areas", "subsidy_budgets", type_="foreignkey"
    )
    op.drop_column("subsidy_budgets", "district_code")
    op.drop_constraint("uq_placement_plans_district_code_year", "placement_plans", type_="unique")
    op.create_unique_constraint("uq_placement_plans_year", "placement_plans", ["year"])
    op.drop_index("ix_placement_plans_district_code", "placement_plans")
    op.drop_constraint(
        "fk_placement_plans_district_code_areas", "placement_plans", type_="foreignkey"
    )
    op.drop_column("placement_plans", "district_code")
    op.drop_constraint(
        "uq_subsidy_benefit_runs_district_code_benefit_period",
        "subsidy_benefit_runs",
        type_="unique",
    )
    op.create_unique_constraint(
        "uq_subsidy_benefit_runs_benefit_period", "subsidy_benefit_runs", ["benefit", "period"]
    )
    op.drop_index("ix_subsidy_benefit_runs_district_code", "subsidy_benefit_runs")
    op.drop_constraint(
        "fk_subsidy_benefit_runs_district_code_areas", "subsidy_benefit_runs", type_="foreignkey"
    )
    op.drop_column("subsidy_benefit_runs", "district_code")
    op.drop_constraint("uq_ledger_reviews_district_code_quarter", "ledger_reviews", type_="unique")
    op.create_unique_constraint("uq_ledger_reviews_quarter", "ledger_reviews", ["quarter"])
    op.drop_constraint("pk_ledger_month_closes", "ledger_month_closes", type_="primary")
    op.create_primary_key("pk_ledger_month_closes", "ledger_month_closes", ["month"])
    for table in ("ledger_reviews", "ledger_month_closes"):
        op.drop_index(f"ix_{table}_district_code", table)
        op.drop_constraint(f"fk_{table}_district_code_areas", table, type_="foreignkey")
        op.drop_column(table, "district_code")
    op.drop_constraint(
        "uq_subsidy_payrolls_district_code_month", "subsidy_payrolls", type_="unique"
    )
    op.create_unique_constraint("uq_subsidy_payrolls_month", "subsidy_payrolls", ["month"])
    op.drop_index("ix_subsidy_payrolls_district_code", "subsidy_payrolls")
    op.drop_constraint(
        "fk_subsidy_payrolls_district_code_areas", "subsidy_payrolls", type_="foreignkey"
    )
    op.drop_column("subsidy_payrolls", "district_code")
    op.execute("DROP TRIGGER children_district ON children")
    op.execute("DROP FUNCTION children_district()")
    op.drop_index("ix_children_district_code", "children")
    op.drop_constraint("fk_children_district_code_areas", "children", type_="foreignkey")
    op.drop_column("children", "district_code")
