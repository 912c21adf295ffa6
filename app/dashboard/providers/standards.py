"""生活补贴标准调整: the two-yearly review of the living-allowance standard S.

(domain.md §3.1: 自然增长机制，每两年调整一次) Once the standard in force on the day the summary
is about has been in force for 24 months, with no newer value appended, the section says a
review is due (`review_due`), since when S is in force and on which day the review fell due —
the same answer as `GET /api/v1/subsidy/standards` (`standard_review`). District scope only: the
standard is the district's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.sections import Scope, section
from app.subsidies.standards.review import standard_review
from app.subsidies.standards.service import load_parameters


@section("standard_review", order=75, district_only=True)
async def standard_review_section(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    review = standard_review(await load_parameters(session), scope.as_of)
    return review.to_json() | {"as_of": scope.as_of.isoformat()}
