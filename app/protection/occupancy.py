"""床位与在站: the centre's occupancy — beds (PROTECTION_BEDS), residents now by kind, the length
of their stays, admissions and discharges by month and outcome."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import audit
from app.kit.clock import DISTRICT_TZ
from app.kit.context import RequestContext
from app.models.protection import DISCHARGE_OUTCOMES, INTAKE_KINDS
from app.protection import repository as repo
from app.protection.rules import add_months, stay_days
from app.protection.schemas import MonthCount, OccupancyOut


async def occupancy(session: AsyncSession, ctx: RequestContext, *, months: int) -> OccupancyOut:
    """Residents now (the open intakes admitted by now) and the last `months` months."""
    mine = repo.of_district(ctx.principal)
    residents = [i for i in await repo.open_intakes(session, mine) if i.admitted_at <= ctx.now]
    by_kind = dict.fromkeys(INTAKE_KINDS, 0)
    for i in residents:
        by_kind[i.kind] += 1
    stays = [stay_days(i.admitted_at, ctx.today) for i in residents]
    first = add_months(ctx.today.replace(day=1), -(months - 1))
    since = datetime(first.year, first.month, 1, tzinfo=DISTRICT_TZ).astimezone(UTC)
    admitted = await repo.admissions_by_month(session, since, mine)
    discharged = await repo.discharges_by_month(session, first, mine)
    by_month = []
    for n in range(months):
        m = add_months(first, n).strftime("%Y-%m")
        by_month.append(
            MonthCount(
                month=m,
                admissions=admitted.get(m, 0),
                discharges={o: discharged.get((m, o), 0) for o in DISCHARGE_OUTCOMES},
            )
        )
    beds = ctx.settings.protection_beds
    audit.record(session, ctx, "protection_occupancy.read", "protection_intake", None, {})
    return OccupancyOut(
        beds=beds,
        residents=len(residents),
        free_beds=max(0, beds - len(residents)),
        residents_by_kind=by_kind,
        average_stay_days=round(sum(stays) / len(stays), 1) if stays else None,
        longest_stay_days=max(stays) if stays else None,
        by_month=by_month,
    )
