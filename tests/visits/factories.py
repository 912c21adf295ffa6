"""Small factories for the visits and sync tests: child rows written directly (the ledger's
table is read-only to this domain) and valid visit bodies."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.children.projection import ID_CONTEXT
from app.config import Settings
from app.kit import idnumber
from app.kit.crypto import KeyRing
from app.models import Area, Child, User
from tests.conftest import NOW, VILLAGE1

_rng = random.Random()


def keyring(settings: Settings) -> KeyRing:
    return KeyRing.from_settings(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )


def child_row(
    settings: Settings,
    *,
    village: str | None = VILLAGE1,
    placement: str = "dispersed",
    approved_on: date = date(2025, 1, 10),
    revoked_on: date | None = None,
    name: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    birth = date(2010, 1, 1) + timedelta(days=_rng.randrange(0, 3000))
    gender = _rng.choice(["male", "female"])
    number = idnumber.make(birth, gender, rng=_rng)  # type: ignore[arg-type]
    ring = keyring(settings)
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": name or f"测试儿童{_rng.randrange(10000)}",
        "id_number_enc": ring.encrypt(number, context=ID_CONTEXT),
        "id_number_hash": ring.lookup_hash(number),
        "id_number_masked": idnumber.mask(number),
        "gender": gender,
        "birth_date": birth,
        "category": "orphan",
        "placement": placement,
        "village_code": village if placement == "dispersed" else None,
        "approved_on": approved_on,
        "status": "revoked" if revoked_on else "active",
        "revoked_on": revoked_on,
        "parents": [],
        "guardians": [{"name": "测试监护人", "relation": "grandparent", "phone": "13800000000"}],
        "household_assistance": "none",
        "insurance": {},
        "school_stage": "primary",
        "school_name": "测试小学",
        "version": 1,
    }
    row.update(extra)
    return row


async def make_child(
    session: AsyncSession | AsyncConnection, settings: Settings, **kw: Any
) -> uuid.UUID:
    row = child_row(settings, **kw)
    await session.execute(insert(Child), [row])
    return uuid.UUID(str(row["id"]))


def visit_body(child_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "child_id": str(child_id),
        "visited_at": (NOW - timedelta(days=1)).isoformat(),
        "mode": "home",
        "findings": {
            "living_conditions": {"rating": "good", "text": "住房整洁"},
            "support_received": {"rating": "good", "text": "补贴按时发放"},
            "schooling": {"rating": "fair", "text": "成绩一般"},
            "health": {"rating": "good", "text": ""},
        },
        "difficulties": [],
        "suspected_infringement": False,
        "notes": None,
    }
    body.update(overrides)
    return body


def at(iso: str) -> str:
    return datetime.fromisoformat(iso).isoformat()


async def make_town(
    session: AsyncSession, town: str, villages: list[str], district: str = "110115"
) -> None:
    """A town and its villages of one's own, so that counts are not shared with other tests."""
    from tests.conftest import area_path

    root = area_path(district)
    rows = [
        {
            "code": town,
            "name": f"临时镇{town[-3:]}",
            "level": "town",
            "parent_code": district,
            "path": f"{root}{town}/",
        }
    ] + [
        {
            "code": v,
            "name": f"临时村{v[-3:]}",
            "level": "village",
            "parent_code": town,
            "path": f"{root}{town}/{v}/",
        }
        for v in villages
    ]
    await session.execute(insert(Area), rows)


async def make_user(session: AsyncSession, username: str, role: str, area: str) -> uuid.UUID:
    uid = uuid.uuid4()
    await session.execute(
        insert(User).values(
            id=uid,
            username=username,
            password_hash="x",
            full_name=f"测试{username}",
            role=role,
            area_code=area,
            is_active=True,
            failed_logins=0,
            version=1,
        )
    )
    return uid
