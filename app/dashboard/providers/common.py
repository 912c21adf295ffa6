"""Helpers shared by the providers: area scoping."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select, true
from sqlalchemy.sql.elements import ColumnElement

from app.dashboard.sections import Scope
from app.models import Area


def areas_within(scope: Scope) -> Select[tuple[str]]:
    """The codes of the areas inside the scope (itself included)."""
    return select(Area.code).where(Area.path.startswith(scope.area_path))


def in_scope(
    scope: Scope, area_col: Any, *, district_includes_null: bool = True
) -> ColumnElement[bool]:
    """Rows whose area column lies in the scope; the whole district also takes rows without an
    area (the institute's children, incidents without a place)."""
    if scope.is_district and district_includes_null:
        return true()
    return area_col.in_(areas_within(scope))  # type: ignore[no-any-return]
