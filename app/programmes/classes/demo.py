"""Demo parents' classes 智慧父母: this year's classes of the 关工委's experts (education,
psychology, law), in the schools of a few towns and online for the whole district, each with the
ledger families of its area that came and a count of other participants.

Runs after the ledger's loader and only once (any class present → skip).
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.demo_loader import already_loaded, demo_now
from app.models import Area, Child, ParentClass, ParentClassAttendance

TOPICS = (
    ("education", "如何陪伴孩子完成家庭作业"),
    ("psychology", "读懂青春期孩子的情绪"),
    ("law", "未成年人保护法与家庭监护责任"),
    ("psychology", "亲子沟通的五个小方法"),
    ("education", "隔代教养的误区"),
    ("law", "预防校园欺凌：家长能做什么"),
)
BY = "demo"


async def load(session: AsyncSession, settings: Settings) -> None:
    if await already_loaded(session, ParentClass):
        return
    rng = random.Random(20260601)
    now, today = demo_now()
    towns = list(
        (
            await session.execute(
                select(Area.code)
                .where(Area.level == "town", Area.parent_code == settings.district_code)
                .order_by(Area.code)
                .limit(4)
            )
        ).scalars()
    )
    kids = (
        await session.execute(
            select(Child.id, Child.approved_on, Area.parent_code)
            .join(Area, Area.code == Child.village_code)
            .where(Child.status == "active", Child.placement == "dispersed")
            .order_by(Child.id)
        )
    ).all()
    if not towns or not kids:
        return
    classes: list[dict[str, Any]] = []
    attendance: list[dict[str, Any]] = []
    for i, (field, topic) in enumerate(TOPICS):
        online = i % 3 == 2
        town = None if online else towns[i % len(towns)]
        held_on = max(today - timedelta(days=15 + 25 * i), today.replace(month=1, day=1))
        class_id = uuid.uuid4()
        classes.append(
            {
                "id": class_id,
                "topic": topic,
                "expert_field": field,
                "mode": "online" if online else "school",
                "held_on": held_on,
                "place": None if online else f"演示镇第{i + 1}中心小学",
                "link": f"https://meeting.example.org/daxing/{i + 1}" if online else None,
                "town_code": town,
                "others_count": rng.randrange(10, 60),
                "created_at": now,
                "created_by": BY,
                "district_code": settings.district_code,
            }
        )
        eligible = [
            k for k in kids if k.approved_on <= held_on and (town is None or k.parent_code == town)
        ]
        for k in rng.sample(eligible, min(len(eligible), rng.randrange(3, 9))):
            attendance.append(
                {"class_id": class_id, "child_id": k.id, "recorded_by": BY, "created_at": now}
            )
    await session.execute(insert(ParentClass), classes)
    if attendance:
        await session.execute(insert(ParentClassAttendance), attendance)
