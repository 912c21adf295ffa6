"""Demo data of the community activities (synthetic): in each demo village with children in
difficulty, one to three activities this year in its minors' venue, each with some of the
village's children and other children of the village; about one child in six took part in
none (the list of children without an activity is not empty). Skips what exists."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Role
from app.config import Settings
from app.kit.clock import DISTRICT_TZ
from app.kit.demo_loader import already_loaded
from app.kit.idempotency import body_hash
from app.models import Area, Child, CommunityActivity
from app.programmes.activities.schemas import ActivityCreate
from app.users import repository as users

TITLES = {
    "reading": "周末读书会",
    "study": "暑期作业辅导",
    "arts": "剪纸手工课",
    "sports": "趣味运动会",
    "festival": "六一游园会",
    "safety": "防溺水安全教育",
}


async def load(session: AsyncSession, settings: Settings) -> None:
    if await already_loaded(session, CommunityActivity):
        return
    today = datetime.now(UTC).astimezone(DISTRICT_TZ).date()
    rows = (
        await session.execute(
            select(Child.id, Child.village_code, Area.parent_code)
            .join(Area, Area.code == Child.village_code)
            .where(
                Child.status == "active",
                Child.placement == "dispersed",
                Child.district_code == settings.district_code,  # under a city too
            )
            .order_by(Child.id)
        )
    ).tuples()
    by_village: dict[str, list[uuid.UUID]] = defaultdict(list)
    towns: dict[str, str | None] = {}
    for child_id, village, town in rows:
        by_village[str(village)].append(child_id)
        towns[str(village)] = town
    directors = await users.usernames_by_area(session, Role.VILLAGE_DIRECTOR)
    rng = random.Random(20261201)
    left_out = {c for kids in by_village.values() for c in kids if rng.random() < 1 / 6}
    days = max((today - date(today.year, 1, 1)).days, 0)
    out: list[dict[str, Any]] = []
    for village, kids in sorted(by_village.items()):
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(sorted(TITLES))
            joined = [c for c in kids if c not in left_out and rng.random() < 0.8]
            body = ActivityCreate(
                id=uuid.uuid4(),
                village_code=village,
                held_on=date(today.year, 1, 1) + timedelta(days=rng.randint(0, days)),
                kind=kind,
                title=TITLES[kind],
                child_ids=joined,
                others=rng.randint(5, 30),
            )
            out.append(
                {
                    **body.model_dump(),
                    "town_code": towns[village],
                    "body_hash": body_hash(body.model_dump(mode="json")),
                    "created_at": datetime.combine(body.held_on, datetime.min.time(), UTC),
                    "created_by": directors.get(village, "demo-director"),
                }
            )
    if out:
        await session.execute(insert(CommunityActivity), out)
        await session.flush()
