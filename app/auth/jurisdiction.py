"""Jurisdiction in SQL: which rows exist for this caller.

A village director sees their village, a town supervisor the villages of their town, the
district roles the whole district (by the areas' materialised paths, so the same code holds
for a city of many districts). Repositories combine `area_clause` with their own rules
(institution children for institute staff, referrals for agencies); rows outside are a 404.
A role without an area (protection staff, counsellors, case workers: `AREA_ROLES`) gets no
rows from here: its own domain grants what it may reach.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, select
from sqlalchemy.sql.elements import ColumnElement

from app.auth.principal import Principal
from app.auth.roles import AREA_ROLES, Role
from app.models import Area


def area_clause(principal: Principal, area_code_col: Any) -> ColumnElement[bool]:
    """Rows whose area (a village code, or a town code) lies within the caller's area."""
    if principal.kind != "user" or principal.area_path is None:
        return false()
    if principal.role == Role.INSTITUTION_STAFF or principal.role not in AREA_ROLES:
        return false()
    if principal.area_level == "village":
        return area_code_col == principal.area_code  # type: ignore[no-any-return]
    within = select(Area.code).where(Area.path.startswith(principal.area_path))
    return area_code_col.in_(within)  # type: ignore[no-any-return]
