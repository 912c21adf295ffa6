"""区划与工作队伍: towns, villages, town supervisors, village directors (always present)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Role
from app.dashboard.sections import Scope, section
from app.models import Area, User


@section("areas", order=0)
async def areas(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    inside = Area.path.startswith(scope.area_path)
    has_director = exists().where(
        User.area_code == Area.code, User.role == Role.VILLAGE_DIRECTOR, User.is_active.is_(True)
    )
    counts = (
        await session.execute(
            select(
                func.count().filter(Area.level == "town"),
                func.count().filter(Area.level == "village"),
                func.count().filter(and_(Area.level == "village", ~has_director)),
            ).where(inside)
        )
    ).one()
    people = dict(
        (
            await session.execute(
                select(User.role, func.count())
                .join(Area, Area.code == User.area_code)
                .where(
                    inside,
                    User.is_active.is_(True),
                    User.role.in_((Role.TOWN_SUPERVISOR, Role.VILLAGE_DIRECTOR)),
                )
                .group_by(User.role)
            )
        )
        .tuples()
        .all()
    )
    return {
        "towns": int(counts[0]),
        "villages": int(counts[1]),
        "villages_without_director": int(counts[2]),
        "town_supervisors": int(people.get(Role.TOWN_SUPERVISOR, 0)),
        "village_directors": int(people.get(Role.VILLAGE_DIRECTOR, 0)),
    }
