"""Test data for the subsidy API: ledger children written directly (the ledger owns the API)."""

from __future__ import annotations

import itertools
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

_rng = random.Random(7)
# ID numbers drawn in turn, not at random: two children of one birth date and gender in one test
# (there are 500 sequence numbers) never share one.
_sequence = itertools.count()


def keyring(settings: Settings) -> KeyRing:
    return KeyRing.from_settings(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )


def child_values(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """A valid child row (an orphan of village 1, born 2015, approved 2024-01-10)."""
    birth: date = overrides.pop("birth_date", date(2015, 3, 8))
    gender = overrides.pop("gender", "female")
    number = idnumber.make(birth, gender, sequence=next(_sequence))
    ring = keyring(settings)
    placement = overrides.get("placement", "dispersed")
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": f"测试儿童{_rng.randrange(10000):04d}",
        "id_number_enc": ring.encrypt(number, context=ID_CONTEXT),
        "id_number_hash": ring.lookup_hash(number),
        "id_number_masked": idnumber.mask(number),
        "gender": gender,
        "birth_date": birth,
        "category": "orphan",
        "placement": placement,
        "village_code": None if placement == "institution" else VILLAGE1,
        "approved_on": date(2024, 1, 10),
        "status": "active",
        "revoked_on": None,
        "parents": [],
        "guardians": [
            {"name": "测试监护人", "relation": "grandparent", "bank_account": "6222000011112222"}
        ],
        "household_assistance": "none",
        "insurance": {},
        "school_stage": "primary",
        "version": 1,
    }
    values.update(overrides)
    return values


async def make_child(session: AsyncSession, settings: Settings, **overrides: Any) -> Child:
    child = Child(**child_values(settings, **overrides))
    session.add(child)
    await session.flush()
    return child
