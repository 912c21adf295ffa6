"""主动发现: discovery candidates awaiting a decision (enrol or dismiss).

Written against the ledger domain's `discovery_candidates` (`status` open|dismissed|enrolled,
`village_code`, `created_at`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.providers.common import areas_within
from app.dashboard.sections import Scope, section
from app.models import DiscoveryCandidate

CANDIDATES = DiscoveryCandidate.__table__


@section("discovery", order=50)
async def discovery(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    c = CANDIDATES
    where = c.c.status == "open"
    where = and_(where, c.c.village_code.in_(areas_within(scope)))
    awaiting, oldest = (
        await session.execute(select(func.count(), func.min(c.c.created_at)).where(where))
    ).one()
    return {
        "awaiting_decision": int(awaiting),
        "oldest_awaiting_since": oldest.isoformat() if oldest else None,
    }
