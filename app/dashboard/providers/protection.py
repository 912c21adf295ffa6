"""未成年人社会保护中心: residents now by kind, the month's admissions and discharges by outcome,
the missed deadlines escalated, the longest stay. District only (the centre is the district's).

Written against the protection domain's `protection_intakes` (`status` open|closed, `kind`,
`admitted_at`, `outcome`, `discharged_on`) and `protection_escalations`. No child's name, place
or note: the intake's own API decides who sees those (a protected child's are confidential).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.sections import Scope, section
from app.kit.clock import DISTRICT_TZ
from app.models import ProtectionEscalation, ProtectionIntake
from app.models.protection import DISCHARGE_OUTCOMES, INTAKE_KINDS

_I = ProtectionIntake


@section("protection", order=46, district_only=True)
async def protection(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    month_start = datetime(scope.month.year, scope.month.month, 1, tzinfo=DISTRICT_TZ)
    month_end = datetime.combine(scope.month_end, datetime.max.time(), DISTRICT_TZ)
    resident = and_(_I.status == "open", _I.admitted_at <= scope.now)
    by_kind = dict.fromkeys(INTAKE_KINDS, 0)
    for kind, n in (
        await session.execute(select(_I.kind, func.count()).where(resident).group_by(_I.kind))
    ).tuples():
        by_kind[kind] = int(n)
    admissions = await session.scalar(
        select(func.count()).where(
            _I.admitted_at >= month_start.astimezone(UTC), _I.admitted_at <= month_end
        )
    )
    discharges = dict.fromkeys(DISCHARGE_OUTCOMES, 0)
    for outcome, n in (
        await session.execute(
            select(_I.outcome, func.count())
            .where(_I.discharged_on >= scope.month, _I.discharged_on <= scope.month_end)
            .group_by(_I.outcome)
        )
    ).tuples():
        discharges[str(outcome)] = int(n)
    escalated = await session.scalar(
        select(func.count(func.distinct(ProtectionEscalation.intake_id)))
        .join(_I, _I.id == ProtectionEscalation.intake_id)
        .where(_I.status == "open")
    )
    oldest = await session.scalar(select(func.min(_I.admitted_at)).where(resident))
    return {
        "residents": sum(by_kind.values()),
        "residents_by_kind": by_kind,
        "admissions": int(admissions or 0),
        "discharges": discharges,
        "escalated_deadlines": int(escalated or 0),
        "longest_stay_days": None
        if oldest is None
        else (scope.today - oldest.astimezone(DISTRICT_TZ).date()).days,
    }
