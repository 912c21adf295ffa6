"""Demo institute care 养治教康 (synthetic): the ledger's residents (74 in the demo ledger) with a
care plan each, three months of care records, counselling by a demo counsellor, outings and
classes, and weekend tutoring by volunteers — one volunteer's record check out of date and one
not yet answered, so the art. 62 refusal can be seen.

Runs after the ledger's loader and only once (any care plan present → skip). The counsellor's
account `counsellor` (password: the demo password) carries a clear record check.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.passwords import hash_password
from app.auth.roles import Role
from app.children.rules import add_months
from app.config import Settings
from app.demo import DEMO_PASSWORD
from app.institution.counselling import NOTES_CONTEXT
from app.institution.repository import resident_clause
from app.kit import idempotency
from app.kit.clock import SystemClock, local_today
from app.kit.context import keyring_from_settings
from app.kit.demo_loader import already_loaded
from app.models import (
    CarePlan,
    CareRecord,
    Child,
    CounsellingSession,
    InstituteActivity,
    TutoringSession,
    User,
    Volunteer,
)

YOUTH_CENTRE = "区青年志愿者服务中心（演示）"
UNIVERSITY = "演示大学科学技术协会"
_GOALS = {
    "care": (["规律作息，个人卫生自理"], ["生活照料", "营养配餐"]),
    "treatment": (["按时复诊，慢性病控制平稳"], ["每月体检", "专科复诊"]),
    "education": (["完成本学年学业"], ["周末志愿辅导", "家校沟通"]),
    "rehabilitation": (["提高精细动作能力"], ["每周两次康复训练"]),
}
_RECORDS = (
    ("care", "daily_care", None, "生活照料：换季衣物整理"),
    ("treatment", "medical_appointment", None, "区医院儿科复诊"),
    ("treatment", "health_check", None, "季度体检，各项指标正常"),
    ("education", "school_meeting", None, "参加学校家长会"),
    ("rehabilitation", "rehabilitation_session", 45, "康复训练：精细动作"),
)
_OUTINGS = (
    ("outing", "观看电影", "区电影院"),
    ("outing", "春游：公园踏青", "区园林绿化局"),
    ("outing", "观看儿童剧", "区剧院"),
    ("outing", "京剧进福利院：《三岔口》", "区京剧团"),
    ("class", "科学小实验课堂", UNIVERSITY),
    ("festival_visit", "春节慰问", "区民政局"),
)


def _hash(row: dict[str, Any]) -> str:
    return idempotency.body_hash({k: str(v) for k, v in sorted(row.items())})


async def load(session: AsyncSession, settings: Settings) -> None:
    if await already_loaded(session, CarePlan):
        return
    residents = list(
        (
            await session.execute(
                select(Child.id, Child.birth_date).where(resident_clause()).order_by(Child.id)
            )
        ).all()
    )
    if not residents:
        return
    rng = random.Random(20261207)
    today = local_today(SystemClock())
    counsellor = await _counsellor(session, settings, today)
    staff = (
        await session.execute(
            select(User.id, User.username).where(User.role == Role.INSTITUTION_STAFF).limit(1)
        )
    ).first()
    staff_id, staff_name = (staff[0], staff[1]) if staff else (counsellor, "institute")
    ids = [r.id for r in residents]

    def own(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # the demo institute is the deployment's own district's
        return [r | {"district_code": settings.district_code} for r in rows]

    await session.execute(insert(CarePlan), _plans(ids, rng, today))
    await session.execute(insert(CareRecord), own(_records(ids, rng, today, staff_id, staff_name)))
    await session.execute(
        insert(CounsellingSession), own(_sessions(ids, rng, today, counsellor, settings))
    )
    await session.execute(insert(InstituteActivity), own(_activities(ids, rng, today, staff_id)))
    volunteers = own(_volunteers(today))
    await session.execute(insert(Volunteer), volunteers)
    schedulable = [v["id"] for v in volunteers if v["name"].endswith("（可排班）")]
    schoolchildren = [r.id for r in residents if today.year - r.birth_date.year >= 7]
    await session.execute(
        insert(TutoringSession),
        own(_tutoring(schedulable, schoolchildren, rng, today, staff_id)),
    )


async def _counsellor(session: AsyncSession, settings: Settings, today: date) -> uuid.UUID:
    found = (
        await session.execute(select(User.id).where(User.username == "counsellor"))
    ).scalar_one_or_none()
    if found is not None:
        return found
    user_id = uuid.uuid4()
    await session.execute(
        insert(User).values(
            id=user_id,
            username="counsellor",
            password_hash=hash_password(DEMO_PASSWORD),
            full_name="演示心理咨询师",
            role=Role.COUNSELLOR,
            area_code=settings.district_code,
            is_active=True,
            failed_logins=0,
            version=1,
            record_check_queried_on=today - timedelta(days=90),
            record_check_result="clear",
            record_check_reference="演示公查-0001",
        )
    )
    return user_id


def _plans(ids: list[uuid.UUID], rng: random.Random, today: date) -> list[dict[str, Any]]:
    """A plan each for this year; about one in six not reviewed for over six months."""
    return [
        {
            "id": uuid.uuid4(),
            "child_id": cid,
            "year": today.year,
            "domains": {d: {"goals": g, "services": s} for d, (g, s) in _GOALS.items()},
            "note": None,
            "reviewed_on": today - timedelta(days=rng.choice((20, 60, 100, 150, 170, 200))),
            "updated_by": "institute",
            "version": 1,
        }
        for cid in ids
    ]


def _records(
    ids: list[uuid.UUID], rng: random.Random, today: date, staff_id: uuid.UUID, staff: str
) -> list[dict[str, Any]]:
    rows = []
    for cid in ids:
        for domain, kind, minutes, notes in rng.sample(_RECORDS, 3):
            row = {
                "id": uuid.uuid4(),
                "child_id": cid,
                "domain": domain,
                "kind": kind,
                "recorded_on": today - timedelta(days=rng.randint(0, 85)),
                "minutes": minutes,
                "notes": notes,
                "staff_id": staff_id,
                "staff_name": staff,
            }
            rows.append(row | {"body_hash": _hash(row)})
    return rows


def _sessions(
    ids: list[uuid.UUID],
    rng: random.Random,
    today: date,
    counsellor: uuid.UUID,
    settings: Settings,
) -> list[dict[str, Any]]:
    """One-to-one sessions for most residents (a few none for three months), weekly groups."""
    ring = keyring_from_settings(settings)
    rows = []

    def session(children: list[uuid.UUID], held: date, minutes: int, risk: str | None) -> None:
        row = {
            "id": uuid.uuid4(),
            "mode": "one_to_one" if len(children) == 1 else "group",
            "counsellor_id": counsellor,
            "counsellor_name": "演示心理咨询师",
            "child_ids": children,
            "held_on": held,
            "minutes": minutes,
            "topics": ["情绪管理"] if len(children) == 1 else ["人际交往"],
            "summary": "情绪总体稳定，建议继续跟进",
            "confidential_notes_enc": ring.encrypt("（演示）保密记录", context=NOTES_CONTEXT),
            "risk": risk,
            "risk_child_ids": children if risk else [],
            "incident_ids": [],
            "recorded_by": counsellor,
        }
        rows.append(row | {"body_hash": _hash(row)})

    for i, cid in enumerate(ids):
        if i % 9 == 0:
            continue  # no session for three months: named in the report
        session([cid], today - timedelta(days=rng.randint(0, 80)), 50, None)
    session([ids[1]], today - timedelta(days=3), 60, "self_harm")
    start = add_months(today, -3)
    day = start
    while day <= today:
        session(rng.sample(ids, 6), day, 90, None)
        day += timedelta(days=7)
    return rows


def _activities(
    ids: list[uuid.UUID], rng: random.Random, today: date, staff_id: uuid.UUID
) -> list[dict[str, Any]]:
    rows = []
    for n, (kind, title, partner) in enumerate(_OUTINGS):
        row = {
            "id": uuid.uuid4(),
            "kind": kind,
            "title": title,
            "partner_organisation": partner,
            "held_on": today - timedelta(days=10 + 14 * n),
            "child_ids": rng.sample(ids, min(len(ids), 20)),
            "volunteer_ids": [],
            "photos": [f"demo://activities/{n + 1}.jpg"],
            "note": None,
            "recorded_by": staff_id,
        }
        rows.append(row | {"body_hash": _hash(row)})
    return rows


def _volunteers(today: date) -> list[dict[str, Any]]:
    """Six who may be scheduled, one whose query is out of date, one not answered yet."""
    rows = []
    for n in range(1, 9):
        org = YOUTH_CENTRE if n <= 5 else UNIVERSITY
        checked: dict[str, Any] = {
            "record_check_queried_on": today - timedelta(days=60 + 30 * n),
            "record_check_result": "clear",
            "record_check_reference": f"演示公查-{1000 + n}",
        }
        label = "（可排班）"
        if n == 7:
            checked["record_check_queried_on"] = today - timedelta(days=400)
            label = "（查询过期）"
        if n == 8:
            checked = dict.fromkeys(checked)
            label = "（待查询）"
        rows.append(
            {
                "id": uuid.uuid4(),
                "name": f"演示志愿者{n:02d}{label}",
                "organisation": org,
                "phone": None,
                "created_by": "institute",
                "version": 1,
                **checked,
            }
        )
    return rows


def _tutoring(
    volunteers: list[uuid.UUID],
    children: list[uuid.UUID],
    rng: random.Random,
    today: date,
    staff_id: uuid.UUID,
) -> list[dict[str, Any]]:
    """Weekend tutoring of the schoolchildren over the last eight weeks."""
    if not children or not volunteers:
        return []
    saturday = today - timedelta(days=(today.weekday() - 5) % 7)
    rows = []
    for week in range(8):
        row = {
            "id": uuid.uuid4(),
            "volunteer_ids": rng.sample(volunteers, 2),
            "child_ids": rng.sample(children, min(len(children), 12)),
            "held_on": saturday - timedelta(days=7 * week),
            "minutes": 120,
            "subject": rng.choice(("数学", "语文", "英语", "科学")),
            "recorded_by": staff_id,
        }
        rows.append(row | {"body_hash": _hash(row)})
    return rows
