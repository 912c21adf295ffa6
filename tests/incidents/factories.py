"""Small builders for incident tests: ledger children (written directly) and report bodies."""

from __future__ import annotations

import random
import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.children.projection import ID_CONTEXT
from app.config import Settings
from app.kit import idnumber
from app.kit.crypto import KeyRing
from app.models import Child
from tests.conftest import VILLAGE1


def keyring(settings: Settings) -> KeyRing:
    return KeyRing.from_settings(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )


async def make_child(
    session: AsyncSession,
    settings: Settings,
    *,
    village: str | None = VILLAGE1,
    gender: idnumber.Gender = "female",
    birth: date | None = None,
    name: str = "测试儿童",
    placement: str = "dispersed",
    id_number: str | None = None,
    **extra: Any,
) -> Child:
    """A ledger child, its ID number encrypted as the service does (the children's context).

    With `id_number` its hash is the real one (screening records of that number are the same
    child's); without, a random number whose hash is made unique across test runs."""
    rng = random.Random(uuid.uuid4().int)
    born = birth or date(2012 + rng.randrange(6), 1 + rng.randrange(12), 1 + rng.randrange(28))
    idn = id_number or idnumber.make(born, gender, rng=rng)
    if id_number is not None:
        parsed = idnumber.parse(id_number, today=date(2026, 6, 15))
        born, gender = parsed.birth_date, parsed.gender
    ring = keyring(settings)
    child = Child(
        id=uuid.uuid4(),
        name=name,
        id_number_enc=ring.encrypt(idn, context=ID_CONTEXT),
        id_number_hash=ring.lookup_hash(idn if id_number else idn + uuid.uuid4().hex),
        id_number_masked=idnumber.mask(idn),
        gender=gender,
        birth_date=born,
        category="orphan",
        placement=placement,
        village_code=village if placement == "dispersed" else None,
        approved_on=date(2025, 1, 1),
        status="active",
        parents=[],
        guardians=[{"name": "测试监护人", "relation": "grandmother"}],
        household_assistance="none",
        school_stage="primary",
        school_name="测试小学",
        disability=None,
        insurance={"basic_medical": True},
        version=1,
        **extra,
    )
    session.add(child)
    await session.commit()
    return child


def report(child_id: uuid.UUID | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "situations": ["injuries_suggesting_violence"],
        "kinds": ["physical_abuse"],
        "description": "孩子手臂多处淤青，自述被继父殴打",
        "discovered_at": "2026-06-15T09:30:00+08:00",
        "location": "测试一村村委会",
        "immediate_danger": False,
    }
    if child_id is not None:
        body["child_id"] = str(child_id)
    body.update(overrides)
    return body


def stranger(**overrides: Any) -> dict[str, Any]:
    """A minor not on the ledger."""
    facts: dict[str, Any] = {"name": "流浪儿童甲", "age": 9, "gender": "male"}
    facts.update(overrides)
    return facts
