"""Migration 0024_programmes_districts: the rounds opened before the city get a district — the
district of the account that opened the round, else the one most of its applicants live in,
else the root district (the lowest-coded one, the deployment's first)."""

from __future__ import annotations

import uuid

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.config import Settings
from app.db import create_engine
from app.manage import scratch_database
from app.migrate import alembic_config

AREAS = (
    ("110100", "测试市", "city", None, "110100/"),
    ("110115", "测试区", "district", "110100", "110100/110115/"),
    ("110116", "测试乙区", "district", "110100", "110100/110116/"),
    ("110116001", "乙区一镇", "town", "110116", "110100/110116/110116001/"),
    ("110116001001", "乙区一村", "village", "110116001", "110100/110116/110116001/110116001001/"),
)


def _upgrade_to(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def test_existing_rounds_get_the_district_of_their_creator_or_applicants(
    database_url: str, settings: Settings
) -> None:
    by_creator, by_applicants, unknown = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with scratch_database(database_url) as url:
        engine = create_engine(url, settings)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(_upgrade_to, "0023_city_inst_prog")
                await conn.commit()
            async with engine.begin() as conn:
                for code, name, level, parent, path in AREAS:
                    await conn.execute(
                        text(
                            "INSERT INTO areas (code, name, level, parent_code, path) "
                            "VALUES (:c, :n, :l, :p, :path)"
                        ),
                        {"c": code, "n": name, "l": level, "p": parent, "path": path},
                    )
                await conn.execute(
                    text(
                        "INSERT INTO users (id, username, password_hash, full_name, role, "
                        "area_code, is_active, failed_logins, version) VALUES (:id, 'admin_b', "
                        "'x', '乙区管理员', 'district_admin', '110116', true, 0, 1)"
                    ),
                    {"id": uuid.uuid4()},
                )
                for rid, name, creator in (
                    (by_creator, "甲", "admin_b"),
                    (by_applicants, "乙", "someone-gone"),
                    (unknown, "丙", None),
                ):
                    await conn.execute(
                        text(
                            "INSERT INTO aid_rounds (id, year, name, created_at, created_by) "
                            "VALUES (:id, 2026, :n, now(), :by)"
                        ),
                        {"id": rid, "n": name, "by": creator},
                    )
                await conn.execute(
                    text(
                        "INSERT INTO aid_applications (id, round_id, person_key, child_name, "
                        "child_gender, child_birth_date, child_id_number_masked, village_code, "
                        "programme, requested_fen, status, created_at, version) VALUES (:id, "
                        ":r, 'k', '儿童', 'female', '2013-01-01', '110116********001X', "
                        "'110116001001', 'spring_bud', 100, 'submitted', now(), 1)"
                    ),
                    {"id": uuid.uuid4(), "r": by_applicants},
                )
            async with engine.connect() as conn:
                await conn.run_sync(_upgrade_to, "0024_programmes_districts")
                await conn.commit()
            async with engine.connect() as conn:
                rows = await conn.execute(text("SELECT id, district_code FROM aid_rounds"))
                found = {rid: code for rid, code in rows.all()}
                nullable = (
                    await conn.execute(
                        text(
                            "SELECT is_nullable FROM information_schema.columns "
                            "WHERE table_name = 'aid_rounds' AND column_name = 'district_code'"
                        )
                    )
                ).scalar_one()
        finally:
            await engine.dispose()
    assert found == {by_creator: "110116", by_applicants: "110116", unknown: "110115"}
    assert nullable == "NO"
