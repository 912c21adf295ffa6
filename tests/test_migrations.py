"""Migrations: replicas starting at once migrate once; models and migrations agree."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import date, datetime

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import String, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from app.config import Settings
from app.db import create_engine
from app.manage import scratch_database
from app.migrate import alembic_config, heads, upgrade


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


FEB_28 = datetime.fromisoformat("2026-02-28T12:00:00+08:00")


def _upgrade_to(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def test_situations_of_existing_reports_are_inferred_and_marked(
    database_url: str, settings: Settings
) -> None:
    """Reports filed before situations existed get them from their kinds, marked inferred; the
    child's gender and age come from the ledger, else from the facts given inline."""
    revision = "incident_situations"
    before = ScriptDirectory.from_config(alembic_config()).get_revision(revision).down_revision
    assert isinstance(before, str)
    district, user = "110115", uuid.uuid4()
    girl, boy = uuid.uuid4(), uuid.uuid4()
    ids = {name: uuid.uuid4() for name in ("girl", "boy", "stranger", "teen", "draft", "empty")}
    async with scratch_database(database_url) as url:
        engine = create_engine(url, settings)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(_upgrade_to, before)
                await conn.commit()
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO areas (code, name, level, path) "
                        "VALUES (:c, '测试区', 'district', :p)"
                    ),
                    {"c": district, "p": district + "/"},
                )
                await conn.execute(
                    text(
                        "INSERT INTO users (id, username, password_hash, full_name, role, "
                        "area_code, is_active, failed_logins, version) VALUES (:id, 'm', 'x', "
                        "'报告人', 'district_admin', :a, true, 0, 1)"
                    ),
                    {"id": user, "a": district},
                )
                for cid, sex, born in (
                    (girl, "female", date(2012, 3, 1)),
                    (boy, "male", date(2012, 1, 1)),
                ):
                    await conn.execute(
                        text(
                            "INSERT INTO children (id, name, id_number_enc, id_number_hash, "
                            "id_number_masked, gender, birth_date, category, placement, "
                            "approved_on, status, parents, guardians, household_assistance, "
                            "insurance, version) VALUES (:id, '儿童', '\\x00', :h, '110115****', "
                            ":g, :b, 'orphan', 'institution', '2025-01-01', "
                            "'active', '[]', '[]', 'none', '{}', 1)"
                        ),
                        {"id": cid, "h": cid.hex, "g": sex, "b": born},
                    )
                rows = [
                    # a girl of the ledger, 13 on the day of discovery (14 when filed, today)
                    (ids["girl"], "reported", girl, None, None, ["sexual_abuse"], FEB_28),
                    (ids["boy"], "closed", boy, None, None, ["sexual_abuse", "begging"], None),
                    # inline facts: a girl of 15 (approximate age as given)
                    (ids["stranger"], "reported", None, "female", 15, ["minor_pregnancy"], None),
                    (
                        ids["teen"],
                        "reported",
                        None,
                        "female",
                        15,
                        ["sexual_abuse", "minor_pregnancy"],
                        None,
                    ),
                    (ids["draft"], "draft", girl, None, None, ["neglect"], None),
                    (ids["empty"], "draft", girl, None, None, [], None),
                ]
                for iid, status, child_id, gender, age, kinds, discovered in rows:
                    await conn.execute(
                        text(
                            "INSERT INTO incidents (id, status, outcome, child_id, child_name, "
                            "child_gender, child_age, kinds, discovered_at, immediate_danger, "
                            "urgent, reporter_id, reporter_name, interventions, version) VALUES "
                            "(:id, :s, :o, :c, "
                            ":n, :g, :age, :k, :d, false, false, :u, '报告人', "
                            "'[]', 1)"
                        ).bindparams(bindparam("k", type_=ARRAY(String()))),
                        {
                            "id": iid,
                            "s": status,
                            "o": "substantiated" if status == "closed" else None,
                            "c": child_id,
                            "n": None if child_id else "某儿童",
                            "g": gender,
                            "age": age,
                            "k": kinds,
                            "d": discovered,
                            "u": user,
                        },
                    )
            async with engine.connect() as conn:
                await conn.run_sync(_upgrade_to, revision)
                await conn.commit()
            async with engine.connect() as conn:
                found = {
                    r.id: (list(r.situations), r.situations_inferred, r.version)
                    for r in await conn.execute(
                        text("SELECT id, situations, situations_inferred, version FROM incidents")
                    )
                }
        finally:
            await engine.dispose()
    assert found == {
        ids["girl"]: (["girl_under_14_sexual_assault_or_pregnancy"], True, 2),
        ids["boy"]: (["organised_begging", "other_serious_harm"], True, 2),
        ids["stranger"]: (["other_serious_harm"], True, 2),
        ids["teen"]: (["girl_14_plus_pregnancy_after_assault"], True, 2),
        ids["draft"]: (["abandonment_or_no_care"], True, 2),
        ids["empty"]: ([], False, 1),
    }


async def test_parent_facts_migration_flags_what_no_longer_holds(
    database_url: str, settings: Settings
) -> None:
    """0017: old facts carried over to the new shape; a child whose category no longer holds
    under 民发〔2019〕62号's precise rule is flagged for review, never re-classified."""
    from alembic import command

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
                # the district (a deployment's first area): later migrations give children theirs
                await conn.execute(
                    text(
                        "INSERT INTO areas (code, name, level, path)"
                        " VALUES ('110115', '测试区', 'district', '110115/')"
                    )
                )
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
