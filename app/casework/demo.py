"""Demo case work 精准帮扶 and screening referrals 监测摸排转介.

Two contracted agencies for the current year, two case workers each (`cw1a`, `cw1b`, `cw2a`,
`cw2b`, the demo password), a dozen cases of demo ledger children in every status (services
over the past months, reviews, one overdue), and a few hundred screening referrals: the demo's
compulsory-age children not in school referred to education, a few uninsured ones to health,
in every state (pending, overdue and escalated, acknowledged, finished with each outcome).
Runs after the ledger's and the screening's loaders, once (any agency present → skip).
No webhook deliveries are made: the demo's agency clients have no webhook.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.passwords import hash_password
from app.auth.roles import Role
from app.casework import rules
from app.config import Settings
from app.kit.clock import DISTRICT_TZ, SystemClock, local_today
from app.kit.demo_loader import already_loaded
from app.models import (
    ASSESSMENT_DOMAINS,
    Case,
    CaseGoal,
    CaseReview,
    CaseService,
    CaseStep,
    CaseworkAgency,
    Child,
    Referral,
    ScreeningRecord,
    User,
)
from app.screening.referrals.findings import COMPULSORY_AGES
from app.screening.repository import birth_on_or_before

CASES = 12
UNINSURED = 40
# (status, months ago opened): open, assessed, in service (one review overdue), closed
_CASE_PLAN = (
    ("open", 0),
    ("open", 0),
    ("assessed", 1),
    ("assessed", 1),
    ("in_service", 2),
    ("in_service", 3),
    ("in_service", 4),
    ("in_service", 5),  # its review is overdue
    ("in_service", 2),
    ("in_service", 3),
    ("closed", 5),
    ("closed", 4),
)
_GOALS = (
    ("education", "按时到校，学业跟上", "学业辅导", "home_visit"),
    ("psychological", "情绪稳定，能表达感受", "心理疏导", "office"),
    ("family_relations", "改善与监护人的关系", "家庭会谈", "home_visit"),
    ("living", "家中生活物资充足", "链接慈善资源", "phone"),
)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), DISTRICT_TZ)


async def load(session: AsyncSession, settings: Settings) -> None:
    if await already_loaded(session, CaseworkAgency):
        return
    today = local_today(SystemClock())
    rnd = random.Random(25)
    agencies = [
        CaseworkAgency(
            id=uuid.uuid4(),
            name=name,
            contract_from=date(today.year, 1, 1),
            contract_to=date(today.year, 12, 31),
            hours_bought=hours,
            hourly_rate_fen=rate,
            created_by="admin",
            district_code=settings.district_code,
            version=1,
        )
        for name, hours, rate in (
            ("大兴区阳光社会工作服务中心（演示）", 2000, 12000),
            ("大兴区同心社工事务所（演示）", 1500, 11050),
        )
    ]
    session.add_all(agencies)
    await session.flush()
    workers = await _workers(session, settings, agencies)
    await _cases(session, agencies, workers, today, rnd)
    await _referrals(session, settings, today, rnd)
    await session.flush()


async def _workers(
    session: AsyncSession, settings: Settings, agencies: list[CaseworkAgency]
) -> dict[uuid.UUID, list[User]]:
    from app.demo import DEMO_PASSWORD

    pw = hash_password(DEMO_PASSWORD)
    out: dict[uuid.UUID, list[User]] = {}
    for n, agency in enumerate(agencies, start=1):
        out[agency.id] = [
            User(
                id=uuid.uuid4(),
                username=f"cw{n}{s}",
                password_hash=pw,
                full_name=f"演示社工{n}{s.upper()}",
                role=Role.CASE_WORKER,
                area_code=settings.district_code,
                agency_id=agency.id,
                is_active=True,
                failed_logins=0,
                version=1,
            )
            for s in ("a", "b")
        ]
        session.add_all(out[agency.id])
    await session.flush()
    return out


async def _cases(
    session: AsyncSession,
    agencies: list[CaseworkAgency],
    workers: dict[uuid.UUID, list[User]],
    today: date,
    rnd: random.Random,
) -> None:
    children = (
        (
            await session.execute(
                select(Child)
                .where(Child.status == "active", Child.placement == "dispersed")
                .order_by(Child.id)
                .limit(CASES)
            )
        )
        .scalars()
        .all()
    )
    for i, (child, (status, months)) in enumerate(zip(children, _CASE_PLAN, strict=False)):
        agency = agencies[i % 2]
        worker = workers[agency.id][i % 4 // 2]
        opened = max(agency.contract_from, today - timedelta(days=30 * months + 3))
        assistance = rules.social_assistance(
            status=child.status,
            category=child.category,
            household_assistance=child.household_assistance,
        )
        case = Case(
            id=uuid.uuid4(),
            child_id=child.id,
            agency_id=agency.id,
            status="open",
            reason=rnd.choice(("学业困难，情绪低落", "监护能力不足，生活照料欠缺", "亲子关系紧张")),
            assistance=assistance,
            override_reason=None if assistance else "演示：经区民政局研究同意",
            area_code=child.village_code,
            district_code=agency.district_code,
            opened_on=opened,
            opened_by="admin",
            version=1,
        )
        session.add(case)
        await session.flush()
        steps = [("open", opened)]
        if status != "open":
            case.assessment = {
                d: {"score": rnd.randint(2, 5), "notes": "演示评估"} for d in ASSESSMENT_DOMAINS
            }
            case.assessed_on = min(today, opened + timedelta(days=5))
            steps.append(("assessed", case.assessed_on))
        if status in ("in_service", "closed"):
            await _service_work(session, case, worker, today, rnd, overdue=i == 7)
            steps.append(("in_service", case.plan_set_on or opened))
        if status == "closed":
            case.closed_on = today - timedelta(days=2)
            case.outcome = ("goals_met", "partly_met")[i % 2]
            case.closing_note = "演示结案"
            steps.append(("closed", case.closed_on))
        case.status = status
        previous = None
        for to, day in steps:
            session.add(
                CaseStep(
                    case_id=case.id,
                    from_status=previous,
                    to_status=to,
                    at=_at(day),
                    actor_id=worker.id,
                    actor_name=worker.username if to != "open" else "admin",
                )
            )
            previous = to
    await session.flush()


async def _service_work(
    session: AsyncSession,
    case: Case,
    worker: User,
    today: date,
    rnd: random.Random,
    *,
    overdue: bool,
) -> None:
    """A plan, services every week or two since it, a review every 3 months (one overdue)."""
    assert case.assessed_on is not None
    plan_on = min(today, case.assessed_on + timedelta(days=5))
    case.plan_set_on = plan_on
    goals = []
    for position, (domain, title, what, mode) in enumerate(rnd.sample(_GOALS, 2)):
        goal = CaseGoal(
            id=uuid.uuid4(),
            case_id=case.id,
            position=position,
            domain=domain,
            title=title,
            planned_services=[{"description": what, "mode": mode, "frequency": "每两周一次"}],
            progress="in_progress",
            retired=False,
        )
        goals.append(goal)
    session.add_all(goals)
    await session.flush()
    day = plan_on
    while day <= today:
        goal = rnd.choice(goals)
        session.add(
            CaseService(
                id=uuid.uuid4(),
                case_id=case.id,
                agency_id=case.agency_id,
                worker_id=worker.id,
                served_on=day,
                minutes=rnd.choice((45, 60, 90, 120)),
                mode=goal.planned_services[0]["mode"],
                goal_id=goal.id,
                notes="演示服务记录",
                disclosure=False,
            )
        )
        day += timedelta(days=rnd.choice((7, 10, 14)))
    last = plan_on
    review_on = rules.next_review_due(plan_on, 3)
    while review_on <= today and not overdue:
        session.add(
            CaseReview(
                id=uuid.uuid4(),
                case_id=case.id,
                reviewed_on=review_on,
                progress=[
                    {"goal_id": str(g.id), "progress": "in_progress", "note": "演示"} for g in goals
                ],
                summary="演示回顾",
                reviewer_id=worker.id,
                reviewer_name=worker.username,
            )
        )
        last = review_on
        review_on = rules.next_review_due(review_on, 3)
    case.next_review_due = rules.next_review_due(last, 3)


async def _referrals(
    session: AsyncSession, settings: Settings, today: date, rnd: random.Random
) -> None:
    low, high = COMPULSORY_AGES
    out_of_school = (
        (
            await session.execute(
                select(ScreeningRecord.id).where(
                    ScreeningRecord.school_status == "not_in_school",
                    ScreeningRecord.birth_date <= birth_on_or_before(today, low),
                    ScreeningRecord.birth_date > birth_on_or_before(today, high + 1),
                )
            )
        )
        .scalars()
        .all()
    )
    others = (
        (
            await session.execute(
                select(ScreeningRecord.id).order_by(ScreeningRecord.id).limit(UNINSURED)
            )
        )
        .scalars()
        .all()
    )
    rows: list[Referral] = []
    subjects: list[tuple[Any, str, str, str]] = [
        (rid, "out_of_school", "education", "enrolled") for rid in out_of_school
    ] + [(rid, "uninsured", "health", "insured") for rid in others]
    now = datetime.now(DISTRICT_TZ)
    days = settings.screening_referral_ack_days
    for rid, finding, agency, resolved in subjects:
        referred = now - timedelta(days=rnd.randrange(0, 60), hours=rnd.randrange(0, 24))
        due = referred + timedelta(days=days)
        r = rnd.random()
        ref = Referral(
            id=uuid.uuid4(),
            screening_record_id=rid,
            finding=finding,
            agency=agency,
            status="pending",
            urgent=False,
            referred_at=referred,
            ack_due_at=due,
            created_by="admin",
            note="演示：监测摸排发现，请协助办理",
        )
        if due <= now and r < 0.15:
            ref.escalated_at = due
        elif due > now or r >= 0.15:
            if due <= now or r < 0.5:
                ref.status = "acknowledged"
                ref.acknowledged_at = min(now, referred + timedelta(days=rnd.randrange(0, days)))
                ref.acknowledged_by = f"演示{agency}"
            if ref.status == "acknowledged" and referred < now - timedelta(days=20) and r < 0.9:
                ref.status = "completed"
                ref.outcome = resolved if r < 0.75 else rnd.choice(("not_found", "moved_away"))
                ref.resolved_at = referred + timedelta(days=rnd.randrange(days, 20))
                ref.outcome_note = "演示办结"
        rows.append(ref)
    session.add_all(rows)
    await session.flush()
