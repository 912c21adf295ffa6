"""Demo insurance enrolment (synthetic): the three schemes' parameters for this year and the
next (premiums are demo figures, not the insurers' prices), and this year's enrolments of the
ledger's children — basic medical for every child, 普惠保 and supplementary cover for the
de-facto-unsupported ones; a few children insured through a parent's employer (not required),
one refused by the insurer, the newest children submitted and not yet answered. Next year's
worklist is then the whole ledger, by renewal or as new children. Runs once (any scheme → skip).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.children.rules import birthday_at
from app.config import Settings
from app.kit.demo_loader import already_loaded, demo_now
from app.models import Child, InsuranceEnrolment, InsuranceScheme

ALL = ["orphan", "de_facto_unsupported", "poor_family_seriously_ill", "poor_family_disabled"]
# scheme → (premium fen, categories covered free); demo figures.
SCHEMES: dict[str, tuple[int, list[str]]] = {
    "basic_medical": (38000, ALL),
    "puhuibao": (19500, ["de_facto_unsupported"]),
    "supplementary": (12000, ["de_facto_unsupported"]),
}
BY = "演示数据"
NOT_REQUIRED_REASON = "已随父母单位参加职工医保（演示）"


async def load(session: AsyncSession, settings: Settings) -> None:
    if await already_loaded(session, InsuranceScheme):
        return
    now, today = demo_now()
    year = today.year
    await session.execute(
        insert(InsuranceScheme),
        [
            {
                "id": uuid.uuid4(),
                "scheme": scheme,
                "year": y,
                "effective_from": date(y - 1, 9, 1),
                "premium_fen": premium,
                "categories": categories,
                "window_from": date(y - 1, 9, 1),
                "window_to": date(y - 1, 12, 31),
                "reference": "演示参数（非真实保费）",
                "created_at": now,
                "created_by": BY,
            }
            for y in (year, year + 1)
            for scheme, (premium, categories) in SCHEMES.items()
        ],
    )
    kids = (
        await session.execute(
            select(Child.id, Child.category, Child.birth_date, Child.approved_on)
            .where(Child.status == "active")
            .order_by(Child.id)
        )
    ).all()
    rows: list[dict[str, Any]] = []
    n = 0
    for child_id, category, birth, approved in kids:
        if birthday_at(birth, 18) <= date(year, 1, 1):
            continue
        for scheme, (premium, categories) in SCHEMES.items():
            if category not in categories:
                continue
            n += 1
            rows.append(_row(child_id, scheme, year, premium, approved, today, now, n))
    if rows:
        await session.execute(insert(InsuranceEnrolment), rows)


def _row(
    child_id: uuid.UUID,
    scheme: str,
    year: int,
    premium: int,
    approved: date,
    today: date,
    now: datetime,
    n: int,
) -> dict[str, Any]:
    confirmed = max(date(year - 1, 12, 20), approved + timedelta(days=10))
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "child_id": child_id,
        "scheme": scheme,
        "year": year,
        "status": "enrolled",
        "due_reason": None,
        "not_required_reason": None,
        "refusal_reason": None,
        "policy_number": f"DEMO-{scheme[:3].upper()}-{year}-{n:05d}",
        "enrolled_on": confirmed,
        "premium_fen": premium,
        "submitted_at": now,
        "answered_at": now,
        "created_at": now,
        "created_by": BY,
        "updated_at": now,
        "updated_by": BY,
        "version": 1,
    }
    if confirmed > today:  # the newest children: submitted, no answer yet
        row.update(status="submitted", policy_number=None, enrolled_on=None, answered_at=None)
    elif scheme == "basic_medical" and n % 41 == 0:
        row.update(
            status="not_required",
            not_required_reason=NOT_REQUIRED_REASON,
            policy_number=None,
            enrolled_on=None,
            premium_fen=None,
        )
    elif scheme == "supplementary" and n % 5 == 0:
        row.update(
            status="refused_by_insurer",
            refusal_reason="资料不全，待补充后重新报送（演示）",
            policy_number=None,
            enrolled_on=None,
            premium_fen=None,
        )
    return row
