"""The dashboard's sections: each domain contributes a section that grows the summary.

A provider is a small async function `(session, scope) -> dict`, written in a module of
`app/dashboard/providers/` against the domain's own models and clauses, and marked with

    @section("children", order=10)
    async def children(session: AsyncSession, scope: Scope) -> dict[str, Any]: ...

Marking registers nothing: `app.wiring` lists the sections explicitly (`register(...)`), so the
summary holds exactly the sections wired there.

`cache_seconds > 0` marks an expensive section (large tables): its result is kept in
`dashboard_section_cache` per (section, area, month) and refreshed by the `dashboard.refresh`
periodic job; the request reads the stored result while it is younger than `max_age_seconds`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

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
    order: int
    cache_seconds: int = 0
    max_age_seconds: int = 600
    district_only: bool = False


REGISTRY: dict[str, SectionSpec] = {}
"""The wired sections by name (`register`)."""

SPEC_ATTRIBUTE = "dashboard_section"


def section(
    name: str,
    *,
    order: int = 100,
    cache_seconds: int = 0,
    max_age_seconds: int = 600,
    district_only: bool = False,
) -> Callable[[Provider], Provider]:
    """Mark a dashboard section provider (see the module docstring); `register` wires it."""

    def mark(fn: Provider) -> Provider:
        spec = SectionSpec(
            name=name,
            provider=fn,
            order=order,
            cache_seconds=cache_seconds,
            max_age_seconds=max_age_seconds,
            district_only=district_only,
        )
        setattr(fn, SPEC_ATTRIBUTE, spec)
        return fn

    return mark


def register(*providers: Provider) -> None:
    """Put marked providers in the summary (idempotent: tests create many apps)."""
    for fn in providers:
        spec: SectionSpec = getattr(fn, SPEC_ATTRIBUTE)
        REGISTRY[spec.name] = spec


def active_sections(scope: Scope) -> list[SectionSpec]:
    """The wired sections the scope shows, in display order."""
    specs = [s for s in REGISTRY.values() if scope.is_district or not s.district_only]
    return sorted(specs, key=lambda s: (s.order, s.name))
