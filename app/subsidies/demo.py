"""Demo data of the subsidy engine (synthetic): the standards, the year's budget of 7.39 million
yuan, approved payrolls for the three months before this one, and the 2024 placement plan
(7 placed, 2 + 5, 750,000 yuan). Runs after the ledger's demo children; skips what exists."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import Settings
from app.kit.clock import FixedClock, SystemClock
from app.kit.context import RequestContext
from app.kit.demo_loader import demo_now
from app.kit.vocab import format_month
from app.models import Child, PayrollRun, PlacementPlan, SubsidyBudget
from app.placements import service as placements
from app.placements.schemas import EntryCreate, EntryPlace, PlanApprove, PlanCreate
from app.subsidies.budget import repository as budgets
from app.subsidies.payroll import service as payroll
from app.subsidies.standards import repository as standards

log = logging.getLogger(__name__)

ANNUAL_BUDGET = Decimal("7390000.00")
DEMO_MONTHS = 3
PLAN_YEAR = 2024
# (placement type, one-time subsidy): 2 × 75,000 + 5 × 120,000 = 750,000 yuan.
PLAN_ENTRIES = [("extreme_poverty_support", Decimal("75000.00"))] * 2 + [
    ("social_placement", Decimal("120000.00"))
] * 5


def _principal(name: str, role: Role, district: str) -> Principal:
    return Principal(kind="user", id=uuid.UUID(int=0), name=name, role=role, district_code=district)


async def load(session: AsyncSession, settings: Settings) -> None:
    await standards.ensure_seeded(session)
    children = (await session.execute(select(func.count()).select_from(Child))).scalar_one()
    if not children:
        log.info("subsidy demo: no children in the ledger yet, only the standards were seeded")
        return
    today = demo_now()[1]
    admin, leader = (
        _principal("demo-admin", Role.DISTRICT_ADMIN, settings.district_code),
        _principal("demo-leader", Role.DISTRICT_LEADER, settings.district_code),
    )
    clock = SystemClock()
    as_admin = RequestContext.for_job(settings, clock, principal=admin)
    as_leader = RequestContext.for_job(settings, clock, principal=leader)
    if await session.get(SubsidyBudget, (settings.district_code, today.year)) is None:
        await budgets.insert_budget(
            session,
            {
                "district_code": settings.district_code,
                "year": today.year,
                "amount_fen": int(ANNUAL_BUDGET * 100),
                "reference": "演示：年度分类保障支出 739万元（大兴区民政局答复）",
                "created_by": admin.name,
            },
        )
    has_payrolls = (
        await session.execute(select(func.count()).select_from(PayrollRun))
    ).scalar_one()
    if not has_payrolls:
        first = today.year * 12 + today.month - 1 - DEMO_MONTHS
        for index in range(first, first + DEMO_MONTHS):
            month = format_month(date(index // 12, index % 12 + 1, 1))
            await payroll.create_payroll(session, as_admin, month)
            await payroll.approve_payroll(session, as_leader, month, "演示数据")
    if (
        await session.execute(select(PlacementPlan.id).where(PlacementPlan.year == PLAN_YEAR))
    ).first() is None:
        await _placement_plan(session, settings, admin, leader)


async def _placement_plan(
    session: AsyncSession, settings: Settings, admin: Principal, leader: Principal
) -> None:
    stmt = (
        select(Child.id)
        .where(
            Child.category == "orphan",
            Child.placement == "institution",
            Child.birth_date <= date(PLAN_YEAR - 18, 12, 31),
        )
        .order_by(Child.birth_date.desc(), Child.id)
        .limit(len(PLAN_ENTRIES))
    )
    ids = list((await session.execute(stmt)).scalars().all())
    if len(ids) < len(PLAN_ENTRIES):
        log.info(
            "subsidy demo: the 2024 placement plan needs %d orphans of the institute born in "
            "2006 or before; the ledger has %d",
            len(PLAN_ENTRIES),
            len(ids),
        )
        return
    body = PlanCreate(
        year=PLAN_YEAR,
        note="演示：2024年成年孤儿安置计划，7人（特困供养2人、社会化安置5人），安置补贴共75万元",
        entries=[
            EntryCreate(
                child_id=child_id,
                assessment="演示：专业评估认为具备相应安置条件",
                placement_type=kind,
                subsidy=amount,
            )
            for child_id, (kind, amount) in zip(ids, PLAN_ENTRIES, strict=True)
        ],
    )
    at = FixedClock(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))
    plan = await placements.create_plan(
        session, RequestContext.for_job(settings, at, principal=admin), body
    )
    await placements.approve_plan(
        session,
        RequestContext.for_job(settings, at, principal=leader),
        plan.id,
        PlanApprove(
            approval_reference="大兴区人民政府批复（演示）〔2024〕1号",
            approved_on=date(2024, 3, 15),
        ),
    )
    placing = RequestContext.for_job(settings, at, principal=admin)
    paying = RequestContext.for_job(
        settings, FixedClock(datetime(2024, 7, 10, 2, 0, tzinfo=UTC)), principal=admin
    )
    entries = await placements.plans_out(session, [plan])
    for entry in entries[0]["entries"]:
        await placements.place_entry(
            session, placing, plan.id, entry["id"], EntryPlace(placed_on=date(2024, 6, 30))
        )
        await placements.pay_entry(session, paying, plan.id, entry["id"])
