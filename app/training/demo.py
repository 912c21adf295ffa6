"""Demo training cascade (synthetic): this year's two district sessions for the supervisors and
the institute, and each town's session for its village directors — the last three towns have
not held theirs yet, so the coverage shows them missing. Runs once (any session → skip)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Role
from app.config import Settings
from app.kit.clock import DISTRICT_TZ
from app.kit.demo_loader import already_loaded, demo_now
from app.models import Area, TrainingAttendance, TrainingSession, User
from app.training.service import new_code

TOWNS_MISSING = 3


def _on(today: date, days_ago: int) -> date:
    """A day this year, `days_ago` before today at most (never before 2 January)."""
    return max(date(today.year, 1, 2), today - timedelta(days=days_ago))


def _session(
    level: str, area: str, held_on: date, hours: str, topics: list[str], organiser: Any, title: str
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "level": level,
        "area_code": area,
        "title": title,
        "held_on": held_on,
        "hours": Decimal(hours),
        "topics": topics,
        "trainer": "区民政局儿童福利科（演示）"
        if level == "district"
        else "镇街儿童督导员（演示）",
        "place": "演示培训室",
        "link": None,
        "materials": [f"演示教材-{held_on.year}-{level}.pdf"],
        "code": new_code(),
        "organiser_id": organiser.id,
        "organiser_name": organiser.username,
        "created_at": datetime.now(UTC),
    }


async def load(session: AsyncSession, settings: Settings) -> None:
    if await already_loaded(session, TrainingSession):
        return
    district = settings.district_code
    admin = (
        (
            await session.execute(
                select(User).where(User.role == Role.DISTRICT_ADMIN, User.area_code == district)
            )
        )
        .scalars()
        .first()
    )
    if admin is None:
        return
    rng = random.Random(20261207)
    today = demo_now()[1]
    people = (
        await session.execute(
            select(User.id, User.username, User.role, Area.parent_code, Area.code)
            .join(Area, Area.code == User.area_code)
            .where(User.is_active.is_(True), Area.path.startswith(district + "/"))
            .order_by(User.username)
        )
    ).all()
    supervisors = {p.code: p for p in people if p.role == Role.TOWN_SUPERVISOR}
    institute = [p for p in people if p.role == Role.INSTITUTION_STAFF]
    sessions = [
        _session(
            "district", district, _on(today, 150), "6", ["mandatory_reporting", "policy_and_law",
            "home_visits"], admin, f"{today.year} 年度儿童督导员培训（演示）",
        ),
        _session(
            "district", district, _on(today, 60), "3", ["ledger_and_system", "child_safety"],
            admin, f"{today.year} 年度台账与系统操作培训（演示）",
        ),
    ]  # fmt: skip
    attendance: list[dict[str, Any]] = []

    def attend(sid: uuid.UUID, who: Any, status: str, by: str, at: date) -> None:
        attendance.append(
            {
                "id": uuid.uuid4(),
                "session_id": sid,
                "user_id": who.id,
                "status": status,
                "recorded_via": "code"
                if status == "present" and rng.random() < 0.6
                else "organiser",
                "recorded_by": by if status != "present" else who.username,
                "note": None,
                "recorded_at": datetime.combine(at, datetime.min.time(), tzinfo=DISTRICT_TZ),
            }
        )

    for s in sessions:
        for who in [*supervisors.values(), *institute]:
            roll = rng.random()
            status = "present" if roll < 0.9 else ("excused" if roll < 0.95 else "absent")
            attend(s["id"], who, status, admin.username, s["held_on"])
    towns = sorted(supervisors)
    for n, town in enumerate(towns[: max(0, len(towns) - TOWNS_MISSING)]):
        sup = supervisors[town]
        s = _session(
            "town", town, _on(today, 100 - n * 3), "4", ["mandatory_reporting", "home_visits"],
            sup, f"{today.year} 年度儿童主任培训（演示）",
        )  # fmt: skip
        sessions.append(s)
        for who in (p for p in people if p.role == Role.VILLAGE_DIRECTOR and p.parent_code == town):
            roll = rng.random()
            status = "present" if roll < 0.88 else ("excused" if roll < 0.95 else "absent")
            attend(s["id"], who, status, sup.username, s["held_on"])
    await session.execute(insert(TrainingSession), sessions)
    for i in range(0, len(attendance), 1000):
        await session.execute(insert(TrainingAttendance), attendance[i : i + 1000])
