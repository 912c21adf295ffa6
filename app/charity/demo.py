"""Demo charity project funds (synthetic): a handful of applications in each state, the
charity association's two demo clients (one decides, the other pays: four eyes). Runs once
(any application → skip)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Role
from app.config import Settings
from app.kit.demo_loader import already_loaded, demo_now
from app.kit.secrets import hash_client_secret
from app.models import AgencyClient, CharityApplication, CharityDisbursement, Child, User

DECIDER, PAYER = "演示慈善协会", "演示慈善协会财务"
Spec = tuple[str, str, str, list[tuple[str, int]], int, list[int], int]
# (service type, title, status, budget lines in yuan, approved yuan, paid instalments in yuan,
#  days from today the period ends)
_SPECS: tuple[Spec, ...] = (
    ("psychological_support", "困境儿童心理疏导小组", "submitted",
     [("专业社工服务费", 6000), ("活动物资", 2000)], 0, [], 200),
    ("living_help", "冬季生活物资帮扶", "submitted", [("物资采购", 15000)], 0, [], 120),
    ("capacity_building", "儿童主任能力提升工作坊", "returned", [("讲师费", 5000)], 0, [], 90),
    ("rights_protection", "未成年人权益保障宣传", "forwarded",
     [("宣传材料", 3000), ("场地", 1000)], 0, [], 150),
    ("professional_training", "督导员专业培训", "forwarded", [("培训费", 9000)], 0, [], 180),
    ("living_help", "助学生活补助", "declined", [("补助", 50000)], 0, [], 60),
    ("psychological_support", "个案心理辅导", "approved",
     [("咨询师服务费", 12000), ("测评工具", 3000)], 12000, [6000], 100),
    ("rights_protection", "法律援助进村居", "approved", [("律师服务费", 8000)], 8000, [4000], -45),
    ("capacity_building", "暑期成长营", "reported",
     [("营地费用", 20000), ("交通", 4000)], 22000, [11000, 11000], -60),
    ("living_help", "春节慰问帮扶", "reported", [("慰问物资", 10000)], 10000, [10000], -120),
)  # fmt: skip


async def _clients(session: AsyncSession, district: str) -> None:
    for client_id, name in (("demo-charity", DECIDER), ("demo-charity-finance", PAYER)):
        if await session.scalar(select(exists().where(AgencyClient.client_id == client_id))):
            continue
        await session.execute(
            insert(AgencyClient).values(
                id=uuid.uuid4(),
                client_id=client_id,
                name=name,
                agency="charity",
                area_code=district,
                scopes=["charity:write"],
                secret_hash=hash_client_secret(f"{client_id}-secret"),
                is_active=True,
                version=1,
            )
        )


async def _applicants(session: AsyncSession, district: str) -> tuple[list[Any], str | None]:
    """The district's town supervisors (username, town), and its district admin's username."""
    sups = (
        await session.execute(
            select(User.username, User.area_code)
            .where(User.role == Role.TOWN_SUPERVISOR, User.area_code.like(district + "%"))
            .order_by(User.area_code)
        )
    ).all()
    admin = await session.scalar(
        select(User.username).where(User.role == Role.DISTRICT_ADMIN, User.area_code == district)
    )
    return list(sups), admin


def _application(
    n: int, spec: Spec, applicant: Any, admin: str, today: date, at: datetime
) -> dict[str, Any]:
    """The application row of spec `n`, with its review and decision as its status has them."""
    kind, title, status, budget, approved, instalments, ends_in = spec
    username, town = applicant
    period_to = today + timedelta(days=ends_in)
    lines: list[dict[str, Any]] = [
        {"item": item, "amount_fen": yuan * 100} for item, yuan in budget
    ]
    reviewed = status != "submitted"
    forwarded = status not in ("submitted", "returned")
    decided = status in ("declined", "approved", "reported")
    return {
        "id": uuid.uuid4(),
        "applicant_area_code": town,
        "applicant_unit": None,
        "service_type": kind,
        "title": f"{title}（演示）",
        "target_group": "困境儿童及其家庭",
        "planned_beneficiaries": 20 + n * 5,
        "budget": lines,
        "requested_fen": sum(int(b["amount_fen"]) for b in lines),
        "period_from": period_to - timedelta(days=180),
        "period_to": period_to,
        "status": status,
        "created_at": at - timedelta(days=10),
        "created_by": username,
        "reviewed_at": at - timedelta(days=7) if reviewed else None,
        "reviewed_by": admin if reviewed else None,
        "review_note": "预算依据不足，请补充后重新申请" if status == "returned" else None,
        "forwarded_at": at - timedelta(days=7) if forwarded else None,
        "decided_at": at - timedelta(days=3) if decided else None,
        "decided_by": DECIDER if decided else None,
        "decision_note": None,
        "approved_fen": approved * 100 if approved else None,
        "disbursed_fen": sum(instalments) * 100,
        "reported_at": None,
        "reported_by": None,
        "beneficiaries_reached": None,
        "ledger_child_ids": None,
        "spending": None,
        "spent_fen": None,
        "report_summary": None,
        "version": 1,
    }


def _final_report(
    n: int, spec: Spec, username: str, kids: list[uuid.UUID], at: datetime
) -> dict[str, Any]:
    """The final report's columns of a `reported` project: each budget line spent evenly."""
    budget, instalments = spec[3], spec[5]
    spend: list[dict[str, Any]] = [
        {"item": item, "amount_fen": min(yuan * 100, sum(instalments) * 100 // len(budget))}
        for item, yuan in budget
    ]
    return {
        "reported_at": at,
        "reported_by": username,
        "beneficiaries_reached": 18 + n,
        "ledger_child_ids": [str(k) for k in kids[:3]],
        "spending": spend,
        "spent_fen": sum(int(s["amount_fen"]) for s in spend),
        "report_summary": "项目按计划完成（演示）",
    }


def _instalments(
    n: int, app: dict[str, Any], instalments: list[int], today: date, at: datetime
) -> list[dict[str, Any]]:
    """The instalments paid on an application, a month apart from the start of its period."""
    return [
        {
            "id": uuid.uuid4(),
            "application_id": app["id"],
            "amount_fen": yuan * 100,
            "paid_on": min(today, app["period_from"] + timedelta(days=30 * (i + 1))),
            "reference": f"DEMO-{n:02d}-{i + 1}",
            "recorded_at": at - timedelta(days=2),
            "recorded_by": PAYER,
        }
        for i, yuan in enumerate(instalments)
    ]


async def load(session: AsyncSession, settings: Settings) -> None:
    await _clients(session, settings.district_code)
    if await already_loaded(session, CharityApplication):
        return
    district = settings.district_code
    sups, admin = await _applicants(session, district)
    if not sups or admin is None:
        return
    kids = list(
        (
            await session.execute(
                select(Child.id).where(Child.village_code.like(district + "%")).limit(6)
            )
        ).scalars()
    )
    now, today = demo_now()
    apps: list[dict[str, Any]] = []
    paid: list[dict[str, Any]] = []
    for n, spec in enumerate(_SPECS):
        applicant = sups[n % len(sups)]
        at = now - timedelta(days=30 - n)
        row = _application(n, spec, applicant, admin, today, at)
        if row["status"] == "reported":
            row |= _final_report(n, spec, applicant[0], kids, at)
        apps.append(row)
        paid += _instalments(n, row, spec[5], today, at)
    await session.execute(insert(CharityApplication), apps)
    if paid:
        await session.execute(insert(CharityDisbursement), paid)
