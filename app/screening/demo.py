"""Demo screening data: 34,000 synthetic screened children across the demo villages.

Made-up people only (syllable names, ID numbers from `idnumber.make`), shaped like the
district's screening: mostly migrant children registered outside Beijing, ages 0–17 weighted
to the young, schooling by age, residence mostly more than 6 months before the screening, and
no left-behind children (parents are not working away), as in Daxing. The rows go through the
import's own path (validate → stage tuple → COPY → one merge per chunk), so start-up stays fast.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.clock import SystemClock, local_today
from app.kit.crypto import KeyRing
from app.kit.idnumber import Gender, make
from app.models import Area, ScreeningRecord
from app.screening.imports import merge
from app.screening.imports.prepare import FastCrypto, stage_tuple
from app.screening.imports.rows import ValidRow, validate_row
from app.screening.imports.runner import village_towns

DEMO_RECORDS: Final = 34_000
CHUNK: Final = 17_000
_SURNAMES: Final = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
_GIVEN: Final = "子梓浩宇轩然欣怡佳琪思涵雨泽一诺梦瑶俊杰博文晨曦若汐可馨嘉懿天佑昊家豪雅静婉清沐辰安语桐亦凡乐诗宏明华"
_HUKOU: Final = (
    "130102", "130203", "130304", "130406", "130521", "130602", "140105", "140202", "150102",
    "210102", "220102", "230102", "320102", "340102", "360102", "370102", "410102", "410203",
    "410305", "411102", "420102", "430102", "500101", "510104", "610102", "620102",
)  # fmt: skip
_SCHOOLS: Final = (
    (3, "学前", "幼儿园"),
    (6, "小学", "小学"),
    (12, "初中", "中学"),
    (15, "高中", "中学"),
)


def _school(age: int, rnd: random.Random) -> tuple[str, str]:
    if age < 3 or rnd.random() < 0.015:
        return "未入学", ""
    stage, kind = "学前", "幼儿园"
    for min_age, s, k in _SCHOOLS:
        if age >= min_age:
            stage, kind = s, k
    if stage == "高中" and rnd.random() < 0.3:
        stage, kind = "中职", "职业学校"
    return stage, f"演示第{rnd.randrange(1, 60)}{kind}"


def demo_rows(
    n: int, villages: list[str], *, seed: int, today: date
) -> list[dict[str, str | date | None]]:
    rnd = random.Random(seed)
    out: list[dict[str, str | date | None]] = []
    for _ in range(n):
        screened = today - timedelta(days=rnd.randrange(20, 400))
        age = min(int(rnd.triangular(0, 18, 6)), 17)
        birth = screened - timedelta(days=age * 365 + rnd.randrange(0, 365))
        gender: Gender = "male" if rnd.random() < 0.53 else "female"
        hukou = rnd.choice(_HUKOU)
        lived = (screened - birth).days
        if lived > 200 and rnd.random() < 0.93:
            since = screened - timedelta(
                days=183 + rnd.randrange(0, max(1, min(lived - 183, 4000)))
            )
        else:
            since = screened - timedelta(days=rnd.randrange(0, max(1, min(lived, 180))))
        r = rnd.random()
        accompanied = "父母双方" if r < 0.64 else "父母一方" if r < 0.94 else "其他监护人"
        school, school_name = _school(age, rnd)
        out.append(
            {
                "name": rnd.choice(_SURNAMES) + rnd.choice(_GIVEN) + rnd.choice(_GIVEN),
                "id_number": make(
                    birth, gender, division_code=hukou, rng=rnd, sequence=rnd.randrange(500)
                ),
                "gender": "男" if gender == "male" else "女",
                "hukou_code": hukou,
                "village_code": rnd.choice(villages),
                "residence_since": since,
                "accompanied_by": accompanied,
                "father_can_guard": "有",
                "mother_can_guard": "有",
                "guardian_name": rnd.choice(_SURNAMES) + rnd.choice(_GIVEN) + rnd.choice(_GIVEN),
                "guardian_phone": f"1{rnd.choice('3589')}{rnd.randrange(10**9):09d}",
                "school_status": school,
                "school_name": school_name,
                "health_status": rnd.choice(("良好", "良好", "良好", "一般", "慢性病")),
                "screened_on": screened,
            }
        )
    return out


async def load(session: AsyncSession, settings: Settings) -> None:
    """Load the demo screening records once (skipped when the district already has some)."""
    district_path = await session.scalar(
        select(Area.path).where(Area.code == settings.district_code)
    )
    towns = await village_towns(session, district_path) if district_path else {}
    if not towns:
        return
    prefix = f"{settings.district_code}%"
    exists = (
        await session.execute(
            select(ScreeningRecord.id).where(ScreeningRecord.village_code.like(prefix)).limit(1)
        )
    ).first()
    if exists is not None:
        return
    ring = FastCrypto(
        KeyRing.from_settings(
            settings.encryption_keys.get_secret_value(),
            settings.encryption_active_key_id,
            settings.hmac_key.get_secret_value(),
        )
    )
    clock = SystemClock()
    today = local_today(clock)
    await merge.ensure_stats_state(session, today)
    villages = sorted(towns)
    known = towns.__contains__
    seen: set[str] = set()
    seed = 0
    while len(seen) < DEMO_RECORDS:
        seed += 1
        want = min(CHUNK, DEMO_RECORDS - len(seen))
        records = []
        for i, raw in enumerate(demo_rows(want, villages, seed=seed, today=today)):
            row = validate_row(
                i + 2,
                raw,
                known_villages=known,
                district_code=settings.district_code,
                today=today,
            )
            if not isinstance(row, ValidRow):
                continue
            staged = stage_tuple(row, towns[row.village_code], ring)
            if staged[0] in seen:  # a made-up ID drawn twice
                continue
            seen.add(staged[0])
            records.append(staged)
        await merge.merge_records(session, records, import_id=None, now=clock.now())
