"""The dashboard's section registry: each domain contributes a section that grows the summary.

A provider is a small async function `(session, scope) -> dict`, registered with

    @section("children", tables=("children", "child_changes"))
    async def children(session: AsyncSession, scope: Scope) -> dict[str, Any]: ...

in a module of `app/dashboard/providers/` (listed in `providers.PROVIDER_MODULES`).

A section is in the summary only when
1. its provider module imported — a provider that needs a domain's models imports them inside a
   guard (`models.optional(...)`, see `app/dashboard/providers/__init__.py`), so a domain not
   merged yet simply leaves the section out; and
2. every table it names exists in the database (checked against `pg_catalog`, cached briefly),
   so code deployed ahead of its migration does not break the summary.

`cache_seconds > 0` marks an expensive section (large tables): its result is kept in
`dashboard_section_cache` per (section, area, month) and refreshed by the `dashboard.refresh`
periodic job; the request reads the stored result while it is younger than `max_age_seconds`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

Provider = Callable[[AsyncSession, "Scope"], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Scope:
    """What the summary is about: an area (the district or one town) and a month."""

    area_code: str
    area_name: str
    area_level: str  # district | town
    area_path: str  # materialised path, "110115/" or "110115/110115001/"
    month: date  # first day
    month_end: date  # last day
    today: date  # Asia/Shanghai
    now: datetime

    @property
    def is_district(self) -> bool:
        return self.area_level == "district"

    @property
    def as_of(self) -> date:
        """The day the month's standing figures are taken on: its last day, or today."""
        return min(self.month_end, self.today)


@dataclass(frozen=True)
class SectionSpec:
    name: str
    provider: Provider
    tables: tuple[str, ...]
    order: int
    cache_seconds: int = 0
    max_age_seconds: int = 600
    district_only: bool = False


REGISTRY: dict[str, SectionSpec] = {}


def section(
    name: str,
    *,
    tables: tuple[str, ...] = (),
    order: int = 100,
    cache_seconds: int = 0,
    max_age_seconds: int = 600,
    district_only: bool = False,
) -> Callable[[Provider], Provider]:
    """Register a dashboard section provider (see the module docstring)."""

    def register(fn: Provider) -> Provider:
        REGISTRY[name] = SectionSpec(
            name=name,
            provider=fn,
            tables=tables,
            order=order,
            cache_seconds=cache_seconds,
            max_age_seconds=max_age_seconds,
            district_only=district_only,
        )
        return fn

    return register


_TABLES_TTL = 30.0
_tables_cache: tuple[float, frozenset[str]] | None = None


async def existing_tables(session: AsyncSession) -> frozenset[str]:
    """The tables of the current schema (cached for 30 s: migrations land with a deploy)."""
    global _tables_cache
    now = time.monotonic()
    if _tables_cache is not None and now - _tables_cache[0] < _TABLES_TTL:
        return _tables_cache[1]
    rows = await session.execute(
        text("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()")
    )
    names = frozenset(str(r[0]) for r in rows)
    _tables_cache = (now, names)
    return names


def forget_tables() -> None:
    """Drop the cached table list (tests that create databases)."""
    global _tables_cache
    _tables_cache = None


async def active_sections(session: AsyncSession, scope: Scope) -> list[SectionSpec]:
    """Registered sections whose tables exist, in display order."""
    from app.dashboard.providers import load_all

    load_all()
    tables = await existing_tables(session)
    specs = [
        s
        for s in REGISTRY.values()
        if all(t in tables for t in s.tables) and (scope.is_district or not s.district_only)
    ]
    return sorted(specs, key=lambda s: (s.order, s.name))
