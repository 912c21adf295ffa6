"""Demo data of the education aid (synthetic): this year's round with the women's federation
reproduces the seed — 272 children, 226,000.00 yuan, all disbursed (180 × 1,000 + 92 × 500).
Some of the ledger's children under 18, the rest children the federation names in the demo
villages; girls under 春蕾, boys under the boys' aid. Runs after the ledger; skips what exists."""

from __future__ import annotations

import logging
import random
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit import idnumber
from app.kit.clock import DISTRICT_TZ
from app.kit.context import keyring_from_settings
from app.kit.demo_loader import demo_now
from app.models import AidApplication, AidRound, Area, Child
from app.programmes.aid.service import ID_CONTEXT, ledger_applicant

log = logging.getLogger(__name__)

SEED_CHILDREN = 272
# 180 × 1,000.00 + 92 × 500.00 = 226,000.00 yuan (the seed: 272 children, 22.6万元).
AMOUNTS_FEN = [100_000] * 180 + [50_000] * 92
LEDGER_SHARE = 60  # ledger children among the 272; the others the federation names
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "子涵欣怡梓萱思远浩然一诺雨桐宇轩若汐明哲佳琪俊熙嘉怡沐辰语桐"
SCHOOLS = ("演示第一中学", "演示第二中学", "演示实验小学", "演示职业学校")


def round_name(year: int) -> str:
    return f"{year}年春蕾女童及困境男童教育帮扶"


async def _villages(session: AsyncSession, district: str) -> dict[str, str | None]:
    """The district's villages: village code → its town's code."""
    path = select(Area.path).where(Area.code == district).scalar_subquery()
    stmt = select(Area.code, Area.parent_code).where(
        Area.level == "village",
        Area.path.startswith(path),  # under a city too
    )
    return {code: town for code, town in (await session.execute(stmt)).tuples()}


async def _ledger_minors(session: AsyncSession, district: str, today: date) -> list[Child]:
    """The district's ledger children of school age (6 to 18), at most LEDGER_SHARE of them."""
    stmt = (
        select(Child)
        .where(
            Child.district_code == district,
            Child.status == "active",
            Child.birth_date > date(today.year - 18, today.month, 1),
            Child.birth_date <= date(today.year - 6, today.month, 1),
        )
        .order_by(Child.id)
        .limit(LEDGER_SHARE)
    )
    return list((await session.execute(stmt)).scalars().all())


def _ledger_rows(
    minors: list[Child], villages: dict[str, str | None], rng: random.Random
) -> list[dict[str, Any]]:
    """The applicants from the ledger: the child's own record."""
    return [
        ledger_applicant(
            child,
            villages.get(child.village_code or ""),
            child.school_name or rng.choice(SCHOOLS),
        )
        for child in minors
    ]


def _named_rows(
    rows: list[dict[str, Any]],
    villages: dict[str, str | None],
    settings: Settings,
    today: date,
    rng: random.Random,
) -> None:
    """Add the children the federation names (not on the ledger) until SEED_CHILDREN."""
    ring = keyring_from_settings(settings)
    keys = {row["person_key"] for row in rows}
    codes = sorted(villages)
    while len(rows) < SEED_CHILDREN:
        gender = rng.choice(("female", "female", "male"))
        birth = date(today.year - rng.randint(7, 17), rng.randint(1, 12), rng.randint(1, 28))
        number = idnumber.make(birth, gender, division_code=settings.district_code, rng=rng)  # type: ignore[arg-type]
        key = ring.lookup_hash(number)
        if key in keys:
            continue
        keys.add(key)
        village = rng.choice(codes)
        rows.append(
            {
                "child_id": None,
                "person_key": key,
                "child_name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                "child_gender": gender,
                "child_birth_date": birth,
                "child_id_number_enc": ring.encrypt(number, context=ID_CONTEXT),
                "child_id_number_masked": idnumber.mask(number),
                "school": rng.choice(SCHOOLS),
                "village_code": village,
                "town_code": villages[village],
            }
        )


def _disbursed(
    rows: list[dict[str, Any]], round_id: uuid.UUID, created: datetime, step: timedelta
) -> None:
    """Each application entered, approved and paid a `step` apart, with the seed's amounts."""
    for row, fen in zip(rows, AMOUNTS_FEN, strict=True):
        row.update(
            {
                "id": uuid.uuid4(),
                "round_id": round_id,
                "programme": "spring_bud"
                if row["child_gender"] == "female"
                else "boys_in_difficulty",
                "requested_fen": fen,
                "amount_fen": fen,
                "status": "disbursed",
                "created_at": created,
                "created_by": "demo-admin",
                "decided_at": created + step,
                "decided_by": "demo-leader",
                "disbursed_at": created + 2 * step,
                "disbursed_by": "demo-admin",
                "version": 1,
            }
        )
        row.setdefault("child_id_number_enc", None)


async def load(session: AsyncSession, settings: Settings) -> None:
    now, today = demo_now()
    name = round_name(today.year)
    found = await session.execute(
        select(AidRound.id).where(
            AidRound.district_code == settings.district_code,
            AidRound.year == today.year,
            AidRound.name == name,
        )
    )
    if found.first() is not None:
        return
    villages = await _villages(session, settings.district_code)
    if not villages:
        log.info("aid demo: no demo villages; the round is not loaded")
        return
    rng = random.Random(20260226)
    minors = await _ledger_minors(session, settings.district_code, today)
    round_id = uuid.uuid4()
    # entered, approved and paid within this year (a quarter, a half, three quarters of the way)
    start = datetime(today.year, 1, 1, tzinfo=DISTRICT_TZ)
    step = (now - start) / 4
    created = start + step
    session.add(
        AidRound(
            id=round_id,
            district_code=settings.district_code,  # the demo's district opens its round
            year=today.year,
            name=name,
            created_at=created,
            created_by="demo-admin",
        )
    )
    await session.flush()
    rows = _ledger_rows(minors, villages, rng)
    _named_rows(rows, villages, settings, today, rng)
    _disbursed(rows, round_id, created, step)
    await session.execute(insert(AidApplication), rows)
    await session.flush()
