"""Demo visits: a year of monthly visits for whatever demo children the ledger loaded.

Runs after the ledger's loader (it reads the children that exist; none → nothing to do) and
only once (any visit present → skip). Most villages reach 95–100 % each month; a few are
behind. Some visits record difficulties, whose follow-ups are in every state (older ones mostly
resolved or referred, recent ones open or in progress, a few overdue). Village centroids are
made up around Daxing, so that the far-location flag has something to compare with.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Role
from app.config import Settings
from app.kit import idempotency
from app.kit.clock import DISTRICT_TZ, month_of
from app.kit.demo_loader import already_loaded
from app.models import Area, AreaLocation, Child, FollowUp, User, Visit
from app.visits.repository import month_bounds
from app.visits.service import notes_hash

_TEXTS = {
    "living": "冬季取暖设施老化，需要协助更换",
    "medical": "孩子牙齿问题需要到医院复查",
    "education": "缺少学习用品，希望提供课外辅导",
    "guardianship": "祖父母年迈，监护能力下降",
    "psychological": "孩子近期情绪低落，建议心理疏导",
    "other": "户籍材料需要补办",
}
_NOTES = [
    "家中整洁，孩子精神状态良好。",
    "监护人照料到位，补贴按时到账。",
    "孩子在校表现良好，老师反映积极。",
    "近期身体健康，按时体检。",
    "与孩子单独交谈，无异常情况。",
]


async def load(session: AsyncSession, settings: Settings) -> None:
    if await already_loaded(session, Visit):
        return
    kids = (
        await session.execute(
            select(
                Child.id,
                Child.village_code,
                Child.placement,
                Child.approved_on,
                Child.revoked_on,
                Child.status,
            )
        )
    ).all()
    if not kids:
        return
    rng = random.Random(20260601)
    villages, towns = await _villages(session, settings)
    centres, lons = await _locations(session, rng, villages)
    visitors = await _visitors(session)
    behind = set(rng.sample(villages, k=max(1, len(villages) // 30))) if villages else set()
    now = datetime.now(UTC)
    this_month = month_of(now)
    months = [_add_months(this_month, -i) for i in range(12, -1, -1)]
    visits: list[dict[str, Any]] = []
    follow_ups: list[dict[str, Any]] = []
    for first in months:
        _, last = month_bounds(first)
        for cid, village, placement, approved_on, revoked_on, status in kids:
            if approved_on > first or (revoked_on is not None and revoked_on <= last):
                continue
            if status != "active" and revoked_on is None:
                continue
            area: str | None = village if placement == "dispersed" else None
            who = visitors.get(area)
            if who is None:
                continue
            p = 0.7 if area in behind else 0.985
            if first == this_month:
                p *= min(1.0, now.astimezone(DISTRICT_TZ).day / 25)
            if rng.random() > p:
                continue
            at = _random_time(rng, first, last, now)
            if at is None:
                continue
            visits.append(_visit(rng, cid, area, who, at, centres, lons))
            for d in visits[-1]["difficulties"]:
                follow_ups.append(_follow_up(rng, visits[-1], d, towns.get(area or ""), now))
    if visits:
        await session.execute(insert(Visit), visits)
    if follow_ups:
        await session.execute(insert(FollowUp), follow_ups)


async def _villages(
    session: AsyncSession, settings: Settings
) -> tuple[list[str], dict[str, str | None]]:
    """The district's villages, and every village's town."""
    villages = list(
        await session.scalars(
            select(Area.code).where(
                Area.level == "village", Area.path.startswith(settings.district_code + "/")
            )
        )
    )
    town_rows = await session.execute(
        select(Area.code, Area.parent_code).where(Area.level == "village")
    )
    towns: dict[str, str | None] = {code: parent for code, parent in town_rows.all()}
    return villages, towns


async def _locations(
    session: AsyncSession, rng: random.Random, villages: list[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """The villages' centres (latitudes, longitudes), placed in the district when none are."""
    if not await session.scalar(select(exists().where(AreaLocation.code.is_not(None)))):
        rows = [
            {"code": v, "lat": 39.60 + rng.random() * 0.25, "lon": 116.20 + rng.random() * 0.35}
            for v in villages
        ]
        if rows:
            await session.execute(insert(AreaLocation), rows)
    located = (
        await session.execute(select(AreaLocation.code, AreaLocation.lat, AreaLocation.lon))
    ).all()
    centres = {code: lat for code, lat, _ in located}
    lons = {code: lon for code, _, lon in located}
    return centres, lons


async def _visitors(session: AsyncSession) -> dict[str | None, tuple[uuid.UUID, str]]:
    """Who visits: each village's director, and the institute's staff (area None)."""
    visitors: dict[str | None, tuple[uuid.UUID, str]] = {}
    for uid, username, role, user_area in (
        await session.execute(select(User.id, User.username, User.role, User.area_code))
    ).tuples():
        if role == Role.VILLAGE_DIRECTOR:
            visitors[user_area] = (uid, username)
        elif username == "institute" and role == Role.INSTITUTION_STAFF:
            visitors[None] = (uid, username)
    return visitors


def _add_months(first: date, n: int) -> date:
    m = first.year * 12 + first.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def _random_time(rng: random.Random, first: date, last: date, now: datetime) -> datetime | None:
    day = first + timedelta(days=rng.randrange(0, (last - first).days + 1))
    local = datetime.combine(day, time(rng.randrange(8, 18), rng.randrange(0, 60)), DISTRICT_TZ)
    at = local.astimezone(UTC)
    return at if at <= now else None


def _visit(
    rng: random.Random,
    child_id: uuid.UUID,
    village: str | None,
    who: tuple[uuid.UUID, str],
    at: datetime,
    lats: dict[str, float],
    lons: dict[str, float],
) -> dict[str, Any]:
    def finding() -> dict[str, str]:
        rating = rng.choices(["good", "fair", "poor"], weights=[80, 17, 3])[0]
        return {"rating": rating, "text": "" if rating == "good" else "需持续关注"}

    difficulties = []
    if rng.random() < 0.08:
        kind = rng.choice(list(_TEXTS))
        difficulties.append({"kind": kind, "text": _TEXTS[kind]})
    notes = rng.choice(_NOTES)
    lat = lon = None
    if village in lats and rng.random() < 0.6:
        lat = lats[village] + rng.uniform(-0.004, 0.004)
        lon = lons[village] + rng.uniform(-0.004, 0.004)
    vid = uuid.uuid4()
    row: dict[str, Any] = {
        "id": vid,
        "child_id": child_id,
        "visited_at": at,
        "visit_month": month_of(at),
        "mode": "home" if village else "institution",
        "findings": {
            "living_conditions": finding(),
            "support_received": finding(),
            "schooling": finding(),
            "health": finding(),
        },
        "difficulties": difficulties,
        "suspected_infringement": rng.random() < 0.002,
        "notes": notes,
        "notes_hash": notes_hash(notes),
        "lat": lat,
        "lon": lon,
        "photos": [],
        "village_code": village,
        "visitor_id": who[0],
        "visitor_name": who[1],
        "created_at": at + timedelta(hours=rng.randrange(0, 48)),
        "updated_at": at + timedelta(hours=rng.randrange(0, 48)),
    }
    row["body_hash"] = idempotency.body_hash({"demo": str(vid)})
    return row


def _follow_up(
    rng: random.Random, visit: dict[str, Any], d: dict[str, str], town: str | None, now: datetime
) -> dict[str, Any]:
    arrived: datetime = visit["created_at"]
    due_on = arrived.astimezone(DISTRICT_TZ).date() + timedelta(days=15)
    age = (now - arrived).days
    if age > 60:
        status = rng.choices(["resolved", "referred", "in_progress"], weights=[80, 15, 5])[0]
    elif age > 15:
        status = rng.choices(
            ["resolved", "referred", "in_progress", "open"], weights=[50, 10, 25, 15]
        )[0]
    else:
        status = rng.choice(["open", "in_progress"])
    history = []
    if status != "open":
        history.append(
            {"from": "open", "to": "in_progress", "at": arrived.isoformat(), "by": "demo"}
        )
    if status in ("resolved", "referred"):
        history.append(
            {"from": "in_progress", "to": status, "at": arrived.isoformat(), "by": "demo"}
        )
    return {
        "id": uuid.uuid4(),
        "visit_id": visit["id"],
        "child_id": visit["child_id"],
        "town_code": town,
        "kind": d["kind"],
        "text": d["text"],
        "status": status,
        "due_on": due_on,
        "resolution": "已协调镇民政科落实" if status == "resolved" else None,
        "referred_to": "区残联" if status == "referred" else None,
        "history": history,
        "version": 1 + len(history),
    }
