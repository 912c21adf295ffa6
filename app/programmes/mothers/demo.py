"""Demo caring mothers 爱心妈妈: a dozen volunteers of the towns' women's federations, each with
a clear art. 62 record check (one expired, one without a check yet: they show why a pairing is
refused), pairings with children of the demo ledger who wished for one, their contacts (some
pairings silent for over two months), one ended pairing, and a few children still waiting.

Runs after the ledger's loader and only once (any caring mother present → skip). Synthetic names
(演示妈妈…) and made-up phone numbers and references.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.demo_loader import already_loaded, demo_now
from app.kit.idempotency import body_hash
from app.models import (
    CaringMother,
    CaringMotherContact,
    CaringMotherPairing,
    CaringMotherWish,
    Child,
)

MOTHERS = 12
PAIRED = 16
WAITING = 5
BY = "demo"


def _mother(i: int, today: date, rng: random.Random) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": f"演示妈妈{i + 1:02d}",
        "organisation": f"演示镇{i % 5 + 1}妇联",
        "phone": f"1390000{i:04d}",
        "created_at": datetime.now(UTC),
        "created_by": BY,
        "record_check_queried_on": today - timedelta(days=rng.randrange(30, 300)),
        "record_check_result": "clear",
        "record_check_reference": f"演示查询-{i + 1:04d}",
    }
    if i == MOTHERS - 2:  # queried long ago: out of date
        row["record_check_queried_on"] = today - timedelta(days=500)
    if i == MOTHERS - 1:  # not queried yet
        for col in ("record_check_queried_on", "record_check_result", "record_check_reference"):
            row[col] = None
    return row


async def _candidates(session: AsyncSession, district: str, today: date) -> list[Any]:
    """Children of the demo ledger at home (dispersed) and enrolled for 200 days at least."""
    stmt = (
        select(Child.id, Child.approved_on)
        .where(
            Child.status == "active",
            Child.placement == "dispersed",
            Child.village_code.like(district + "%"),
            Child.approved_on <= today - timedelta(days=200),
        )
        .order_by(Child.id)
    )
    return list((await session.execute(stmt)).all())


def _pairing(
    n: int,
    mothers: list[dict[str, Any]],
    child_id: uuid.UUID,
    since: date,
    today: date,
    now: datetime,
) -> dict[str, Any]:
    """The `n`th pairing (the first one ended), with one of the mothers whose check is clear."""
    ended = n == 0
    return {
        "id": uuid.uuid4(),
        "mother_id": mothers[n % (MOTHERS - 2)]["id"],  # only the mothers cleared
        "child_id": child_id,
        "since": since,
        "consent_child": True,
        "consent_guardian": True,
        "status": "ended" if ended else "active",
        "ended_on": today - timedelta(days=20) if ended else None,
        "end_reason": "孩子随家人迁往外区" if ended else None,
        "created_at": now,
        "created_by": BY,
    }


def _contacts(
    n: int, pairing: dict[str, Any], today: date, now: datetime, rng: random.Random
) -> list[dict[str, Any]]:
    """A pairing's contacts every three to five weeks from a week after it began."""
    # every third pairing has gone quiet: its last contact is over two months old
    last = today - timedelta(days=75 if n % 3 == 1 else 5)
    if pairing["status"] == "ended":
        last = min(last, today - timedelta(days=20))
    contacts: list[dict[str, Any]] = []
    day = pairing["since"] + timedelta(days=7)
    while day <= last:
        mode = rng.choice(("visit", "phone", "online"))
        facts = {"contacted_on": day.isoformat(), "mode": mode, "notes": "陪伴学习、谈心"}
        contacts.append(
            {
                "id": uuid.uuid4(),
                "pairing_id": pairing["id"],
                "contacted_on": day,
                "mode": mode,
                "notes": facts["notes"],
                "body_hash": body_hash(facts),
                "recorded_by_id": uuid.UUID(int=0),
                "recorded_by": BY,
                "created_at": now,
            }
        )
        day += timedelta(days=rng.randrange(20, 35))
    return contacts


async def load(session: AsyncSession, settings: Settings) -> None:
    if await already_loaded(session, CaringMother):
        return
    rng = random.Random(20261224)
    now, today = demo_now()
    kids = await _candidates(session, settings.district_code, today)
    if len(kids) < PAIRED + WAITING:
        return
    rng.shuffle(kids)
    mothers = [
        _mother(i, today, rng) | {"district_code": settings.district_code} for i in range(MOTHERS)
    ]
    await session.execute(insert(CaringMother), mothers)
    pairings: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    wishes: list[dict[str, Any]] = []
    for n, (child_id, approved_on) in enumerate(kids[: PAIRED + WAITING]):
        wished = max(approved_on, today - timedelta(days=rng.randrange(150, 200)))
        wishes.append(
            {
                "child_id": child_id,
                "wished_on": wished,
                "note": "孩子和祖母都希望有爱心妈妈陪伴",
                "recorded_by": BY,
                "created_at": now,
            }
        )
        if n >= PAIRED:
            continue  # still waiting for a caring mother
        since = wished + timedelta(days=rng.randrange(5, 30))
        pairings.append(_pairing(n, mothers, child_id, since, today, now))
        contacts += _contacts(n, pairings[-1], today, now, rng)
    await session.execute(insert(CaringMotherWish), wishes)
    await session.execute(insert(CaringMotherPairing), pairings)
    if contacts:
        await session.execute(insert(CaringMotherContact), contacts)
