"""Jurisdiction in SQL: which rows exist for this caller.

A village director sees their village, a town supervisor the villages of their town, the
district roles the whole district (by the areas' materialised paths, so the same code holds
for a city of many districts). Repositories combine `area_clause` with their own rules
(institution children for institute staff, referrals for agencies); rows outside are a 404.
A role without an area (protection staff, counsellors, case workers: `AREA_ROLES`) gets no
rows from here: its own domain grants what it may reach. The city's roles (city_admin,
city_viewer) get the whole city only when CITY_RECORD_ROLES names them, else no one's record.
`district_clause` limits a district-owned table (runs, parameters' overrides, the centre's
intakes...) to the caller's own district.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, select, true
from sqlalchemy.sql.elements import ColumnElement

from app.auth.principal import Principal
from app.auth.roles import AREA_ROLES, CITY_ROLES, Role
from app.models import Area


def area_clause(principal: Principal, area_code_col: Any) -> ColumnElement[bool]:
    """Rows whose area (a village code, or a town code) lies within the caller's area."""
    if principal.kind != "user" or principal.area_path is None:
        return false()
    if principal.role in CITY_ROLES and not principal.city_records:
        return false()  # the city sees every district's aggregates, no one's record
    if principal.role == Role.INSTITUTION_STAFF or (
        principal.role not in AREA_ROLES and principal.role not in CITY_ROLES
    ):
        return false()
    if principal.area_level == "village":
        return area_code_col == principal.area_code  # type: ignore[no-any-return]
    within = select(Area.code).where(Area.path.startswith(principal.area_path))
    return area_code_col.in_(within)  # type: ignore[no-any-return]


def district_clause(
    principal: Principal, district_code_col: Any, *, aggregate: bool = False
) -> ColumnElement[bool]:
    """Rows of a district-owned table (a `district_code` column) that the caller may reach.

    A caller inside a district (every staff role, whatever its area, and an agency client of
    a district) reaches its own district's rows only; the city's roles reach every district's
    rows when the rows hold no one's personal record (`aggregate=True`: parameters, counts,
    runs' totals) or when CITY_RECORD_ROLES names their role; anyone else reaches none.
    Domains still add their own rules (a role's own cases, an agency's mandate) on top."""
    if principal.is_city:
        return true() if aggregate or principal.city_records else false()
    if principal.kind == "agency" and principal.district_code is None:
        return true()  # a city agency (the municipal police): every district; its mandate limits
    if principal.district_code is None:
        return false()
    return district_code_col == principal.district_code  # type: ignore[no-any-return]
