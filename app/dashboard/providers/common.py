"""Helpers shared by the providers: area scoping."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from app.dashboard.sections import Scope
from app.models import Area, Child


def areas_within(scope: Scope) -> Select[tuple[str]]:
    """The codes of the areas inside the scope (itself included)."""
    return select(Area.code).where(Area.path.startswith(scope.area_path))


def in_scope(
    scope: Scope, area_col: Any, *, district_includes_null: bool = True
) -> ColumnElement[bool]:
    """Rows whose area column lies in the scope; the whole district also takes rows without an
    area (the institute's children, incidents without a place)."""
    within = area_col.in_(areas_within(scope))
    if scope.is_district and district_includes_null:
        # the district's own areas, and rows without one (a city holds several districts)
        return or_(area_col.is_(None), within)
    return within  # type: ignore[no-any-return]


def institute_of(scope: Scope) -> ColumnElement[bool]:
    """The institute's children of the scope's district (no village: `children.district_code`)."""
    return and_(Child.placement == "institution", Child.district_code == scope.area_code)
