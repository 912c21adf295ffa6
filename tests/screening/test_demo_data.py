"""Demo screening data: 34,000 synthetic records over the demo villages, no left-behind child."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo
from app.config import Settings
from app.kit.crypto import KeyRing
from app.models import ScreeningRecord, User
from app.screening import demo as screening_demo
from app.screening.imports.prepare import FastCrypto
from tests.conftest import make_settings


async def test_demo_screening_records(session: AsyncSession, database_url: str) -> None:
    settings = make_settings(database_url, district_code="110113", demo_data=True)
    await session.execute(update(User).values(username=User.username + "-base"))
    await demo.load(session, settings)
    in_demo = ScreeningRecord.village_code.like("110113%")
    result = await session.execute(
        select(ScreeningRecord.classification, func.count())
        .where(in_demo)
        .group_by(ScreeningRecord.classification)
    )
    counts = {c: int(n) for c, n in result.tuples().all()}
    assert sum(counts.values()) == screening_demo.DEMO_RECORDS
    assert "left_behind" not in counts
    assert counts["migrant"] > 0.8 * screening_demo.DEMO_RECORDS
    towns = (
        await session.execute(
            select(func.count(func.distinct(ScreeningRecord.town_code))).where(in_demo)
        )
    ).scalar_one()
    assert towns == 20
    await screening_demo.load(session, settings)  # idempotent
    total = (
        await session.execute(select(func.count()).select_from(ScreeningRecord).where(in_demo))
    ).scalar_one()
    assert total == screening_demo.DEMO_RECORDS


def test_fast_crypto_matches_the_key_ring(settings: Settings) -> None:
    ring = KeyRing.from_settings(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )
    fast = FastCrypto(ring)
    for value in ("11011520100101001x", " 110115201001010011 ", "NBP|张三|2014-01-02|139"):
        # the hex form is what other domains store and look records up by
        assert fast.lookup_digest(value) == bytes.fromhex(ring.lookup_hash(value))
    assert ring.decrypt(fast.encrypt("110115201001010011")) == "110115201001010011"


def test_fast_crypto_nonces_are_fresh_across_batches(settings: Settings) -> None:
    ring = KeyRing.from_settings(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )
    fast = FastCrypto(ring)
    prefix = len(b"v1:" + ring.active_key_id.encode() + b":")
    # more than one batch of nonces, so the refill is crossed
    sealed = [fast.encrypt("110115201001010011") for _ in range(5000)]
    nonces = {s[prefix : prefix + 12] for s in sealed}
    assert len(nonces) == len(sealed)
    assert all(len(n) == 12 for n in nonces)
    assert {ring.decrypt(s) for s in sealed[4090:4100]} == {"110115201001010011"}
