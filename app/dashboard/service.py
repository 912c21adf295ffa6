"""运营看板: the summary — scope (area, month), the active sections, their cached results.

Who sees what: district roles (admin, leader, auditor) the district or any town in it; a town
supervisor their own town (the default), another area is a 404; every other caller a 403 (the
router's role dependency). `area_code` names the district or a town.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard import repository as repo
from app.dashboard.errors import AreaNotFound, NotATownOrDistrict
from app.dashboard.sections import Scope, SectionSpec, active_sections
from app.kit import audit
from app.kit.clock import DISTRICT_TZ
from app.kit.context import RequestContext
from app.replica import primary_writes


async def read_summary(
    session: AsyncSession, ctx: RequestContext, month: date | None, area_code: str | None
) -> dict[str, Any]:
    """The summary the caller asked for (audited: which area, month and sections)."""
    scope = await resolve_scope(session, ctx, month, area_code)
    data = await summary(session, scope)
    audit.record(
        session,
        ctx,
        "dashboard.summary",
        "area",
        scope.area_code,
        {"month": data["month"], "sections": sorted(data["sections"])},
    )
    return data


async def resolve_scope(
    session: AsyncSession, ctx: RequestContext, month: date | None, area_code: str | None
) -> Scope:
    """The area and month the caller asked for, within their jurisdiction."""
    principal, now, today = ctx.actor, ctx.now, ctx.today
    first = (month or today).replace(day=1)
    code = area_code or principal.area_code
    area = await repo.area(session, code) if code else None
    if area is None or principal.area_path is None:
        raise AreaNotFound()
    if not area.path.startswith(principal.area_path):
        raise AreaNotFound()
    if area.level not in ("district", "town"):
        raise NotATownOrDistrict()
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return Scope(
        area_code=area.code,
        area_name=area.name,
        area_level=area.level,
        area_path=area.path,
        month=first,
        month_end=last,
        today=today,
        now=now,
    )


async def section_result(session: AsyncSession, spec: SectionSpec, scope: Scope) -> dict[str, Any]:
    """A section's figures: computed now, or (expensive sections) read from the cache while
    fresh enough, else computed and stored."""
    if spec.cache_seconds <= 0:
        return await spec.provider(session, scope)
    cached = await repo.cached(session, spec.name, scope.area_code, scope.month)
    if cached is not None:
        payload, computed_at = cached
        if scope.now - computed_at <= timedelta(seconds=spec.max_age_seconds):
            async with primary_writes(session) as writes:  # the page reads from a replica
                await repo.touch(writes, spec.name, scope.area_code, scope.month, scope.now)
            return payload | {"computed_at": computed_at.astimezone(DISTRICT_TZ).isoformat()}
    return await refresh_section(session, spec, scope)


async def refresh_section(session: AsyncSession, spec: SectionSpec, scope: Scope) -> dict[str, Any]:
    payload = await spec.provider(session, scope)
    async with primary_writes(session) as writes:
        await repo.store(writes, spec.name, scope.area_code, scope.month, payload, scope.now)
    return payload | {"computed_at": scope.now.astimezone(DISTRICT_TZ).isoformat()}


async def summary(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """The whole dashboard for one scope: every active section, in display order."""
    sections: dict[str, Any] = {}
    for spec in active_sections(scope):
        sections[spec.name] = await section_result(session, spec, scope)
    return {
        "month": scope.month.strftime("%Y-%m"),
        "area": {"code": scope.area_code, "name": scope.area_name, "level": scope.area_level},
        "generated_at": scope.now.astimezone(DISTRICT_TZ).isoformat(),
        "sections": sections,
    }


def scope_for_refresh(
    area: tuple[str, str, str, str], month: date, now: datetime, today: date
) -> Scope:
    code, name, level, path = area
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    return Scope(
        area_code=code,
        area_name=name,
        area_level=level,
        area_path=path,
        month=month,
        month_end=last,
        today=today,
        now=now,
    )
