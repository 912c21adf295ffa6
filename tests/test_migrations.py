"""Migrations: replicas starting at once migrate once; models and migrations agree."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from sqlalchemy import text

from app.config import Settings
from app.db import create_engine
from app.manage import scratch_database
from app.migrate import heads, upgrade


async def test_concurrent_upgrades_migrate_once(database_url: str, settings: Settings) -> None:
    async with scratch_database(database_url) as url:
        engines = [create_engine(url, settings) for _ in range(3)]
        try:
            await asyncio.gather(*(upgrade(e) for e in engines))
            async with engines[0].connect() as conn:
                versions = (
                    (await conn.execute(text("SELECT version_num FROM alembic_version")))
                    .scalars()
                    .all()
                )
                tables = (
                    await conn.execute(
                        text("SELECT count(*) FROM pg_tables WHERE tablename = 'audit_log'")
                    )
                ).scalar_one()
        finally:
            for e in engines:
                await e.dispose()
    assert set(versions) == heads()
    assert tables == 1


async def test_parent_facts_migration_flags_what_no_longer_holds(
    database_url: str, settings: Settings
) -> None:
    """0017: old facts carried over to the new shape; a child whose category no longer holds
    under 民发〔2019〕62号's precise rule is flagged for review, never re-classified."""
    from alembic import command
    from sqlalchemy.engine import Connection

    from app.migrate import alembic_config

    def to(revision: str) -> Callable[[Connection], None]:
        def run(connection: Connection) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)

        return run

    dead = {"relation": "father", "situation": "deceased", "since": "2020-01-01",
            "evidence": "死亡证明"}  # fmt: skip
    one_day = {"relation": "mother", "situation": "imprisoned", "since": "2024-01-01"}
    missing = {"relation": "mother", "situation": "declared_missing", "since": "2021-01-01"}
    rows = {
        "sentence": ("de_facto_unsupported", "active", [dead, one_day]),
        "orphan": ("orphan", "active", [dead, missing]),
        "revoked": ("de_facto_unsupported", "revoked", [dead, one_day]),
    }
    async with scratch_database(database_url) as url:
        engine = create_engine(url, settings)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(to("0016"))
                for name, (category, status, parents) in rows.items():
                    await conn.execute(
                        text(
                            "INSERT INTO children (id, name, id_number_enc, id_number_hash, "
                            "id_number_masked, gender, birth_date, category, placement, "
                            "approved_on, status, parents, guardians, household_assistance, "
                            "insurance, version) VALUES (gen_random_uuid(), :name, '\\x00', "
                            ":name, 'x', 'male', '2015-01-01', :category, 'institution', "
                            "'2025-01-01', :status, CAST(:parents AS jsonb), '[]', 'none', "
                            "'{}', 1)"
                        ),
                        {
                            "name": name,
                            "category": category,
                            "status": status,
                            "parents": json.dumps(parents, ensure_ascii=False),
                        },
                    )
                await conn.commit()
            await upgrade(engine)
            async with engine.connect() as conn:
                found = {
                    r.name: r
                    for r in await conn.execute(
                        text(
                            "SELECT name, category, parents, review_flags, reverify_on, version "
                            "FROM children"
                        )
                    )
                }
                illnesses = (
                    await conn.execute(
                        text(
                            "SELECT value FROM subsidy_standards WHERE key = 'serious_illness_list'"
                        )
                    )
                ).scalar_one()
        finally:
            await engine.dispose()
    sentence = found["sentence"]
    assert sentence.category == "de_facto_unsupported"  # not re-classified
    assert ("parents.1.term_months", "term_required") in {
        (f["field"], f["rule"]) for f in sentence.review_flags
    }
    assert sentence.reverify_on is not None
    assert sentence.parents[0]["evidence"]["note"] == "死亡证明"
    assert sentence.parents[0]["evidence"]["kind"] == "other"
    assert sentence.version == 2
    orphan = found["orphan"]
    assert orphan.review_flags == []
    assert orphan.reverify_on is None
    assert orphan.parents[1] == missing
    assert found["revoked"].review_flags == []
    assert "白血病" in illnesses
