"""困境儿童: the ledger's children by category and placement, the month's additions and revocations.

Written against `children` and `child_changes` (foundation models; `ledger_month` and `kind`
`created|revoked` as the ledger writes them). "Standing" is taken on the month's last day (or
today, for the current month): enrolled by then and not revoked by then.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.providers.common import areas_within, institute_of
from app.dashboard.sections import Scope, section
from app.models import CATEGORIES, PLACEMENTS, Child, ChildChange
from app.models.children import ON_LEDGER


def _child_in_scope(scope: Scope) -> Any:
    if scope.is_district:
        return or_(Child.village_code.in_(areas_within(scope)), institute_of(scope))
    return Child.village_code.in_(areas_within(scope))


@section("children", order=10)
async def children(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    as_of = scope.as_of
    standing = and_(
        Child.approved_on <= as_of,
        or_(Child.status.in_(ON_LEDGER), Child.revoked_on > as_of),
        _child_in_scope(scope),
    )
    rows = (
        await session.execute(
            select(Child.category, Child.placement, func.count())
            .where(standing)
            .group_by(Child.category, Child.placement)
        )
    ).tuples()
    by_category: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
    by_placement = dict.fromkeys(PLACEMENTS, 0)
    matrix: list[dict[str, Any]] = []
    for category, placement, n in rows:
        by_category[category] = by_category.get(category, 0) + int(n)
        by_placement[placement] = by_placement.get(placement, 0) + int(n)
        matrix.append({"category": category, "placement": placement, "count": int(n)})
    moves = dict(
        (
            await session.execute(
                select(ChildChange.kind, func.count(func.distinct(ChildChange.child_id)))
                .join(Child, Child.id == ChildChange.child_id)
                .where(
                    ChildChange.ledger_month == scope.month,
                    ChildChange.kind.in_(("created", "revoked")),
                    _child_in_scope(scope),
                )
                .group_by(ChildChange.kind)
            )
        )
        .tuples()
        .all()
    )
    return {
        "as_of": as_of.isoformat(),
        "total": sum(by_category.values()),
        "by_category": by_category,
        "by_placement": by_placement,
        "by_category_and_placement": sorted(matrix, key=lambda m: (m["category"], m["placement"])),
        "additions": int(moves.get("created", 0)),
        "revocations": int(moves.get("revoked", 0)),
    }
