"""Migration 0017: existing history numbered by version where it accounts for every version, and
the phone edits' empty ledger states repaired."""

from __future__ import annotations

import json
import uuid
from typing import Any

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.db import create_engine
from app.manage import scratch_database
from app.migrate import alembic_config
from tests.conftest import make_settings

STATE = {"status": "active", "category": "orphan", "placement": "institution"}


def _upgrade(connection: Connection, target: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, target)


async def test_0017_numbers_the_history_and_repairs_the_phone_edits(database_url: str) -> None:
    async with scratch_database(database_url) as url:
        engine = create_engine(url, make_settings(url, db_pool_size=2))
        try:
            async with engine.begin() as conn:
                await conn.run_sync(_upgrade, "0016")
            whole, gap = uuid.uuid4(), uuid.uuid4()
            async with engine.begin() as conn:
                # the district (a deployment's first area): later migrations give children theirs
                await conn.execute(
                    text(
                        "INSERT INTO areas (code, name, level, path)"
                        " VALUES ('110115', '测试区', 'district', '110115/')"
                    )
                )
                for cid, version in ((whole, 3), (gap, 3)):
                    await conn.execute(
                        text(
                            "INSERT INTO children (id, name, id_number_enc, id_number_hash,"
                            " id_number_masked, gender, birth_date, category, placement,"
                            " approved_on, status, parents, guardians, household_assistance,"
                            " insurance, version) VALUES (:id, '测试', '\\x00', :h,"
                            " '110115********0000', 'male', '2015-01-01', 'orphan',"
                            " 'institution', '2025-01-01', 'active', '[]', '[]', 'none', '{}', :v)"
                        ),
                        {"id": cid, "h": uuid.uuid4().hex, "v": version},
                    )
                entries: list[tuple[uuid.UUID, str, str | None, dict[str, Any]]] = [
                    (whole, "created", None, STATE),
                    (whole, "changed", "phone edit", {}),
                    (whole, "changed", None, STATE),
                    (gap, "created", None, STATE),
                    (gap, "changed", None, STATE),  # version 3 was written without an entry
                ]
                for cid, kind, reason, state in entries:
                    await conn.execute(
                        text(
                            "INSERT INTO child_changes (id, child_id, kind, ledger_month,"
                            " changes, reason, state) VALUES (:id, :cid, :kind, '2026-06-01',"
                            " '[]', :reason, CAST(:state AS jsonb))"
                        ),
                        {
                            "id": uuid.uuid4(),
                            "cid": cid,
                            "kind": kind,
                            "reason": reason,
                            "state": json.dumps(state),
                        },
                    )
            async with engine.begin() as conn:
                await conn.run_sync(_upgrade, "heads")
            async with engine.connect() as conn:
                rows = (
                    await conn.execute(
                        text(
                            "SELECT child_id, version, state FROM child_changes"
                            " WHERE child_id IN (:a, :b) ORDER BY seq"
                        ),
                        {"a": whole, "b": gap},
                    )
                ).all()
        finally:
            await engine.dispose()
    assert [(r[0], r[1]) for r in rows] == [
        (whole, 1),
        (whole, 2),
        (whole, 3),
        (gap, None),
        (gap, None),
    ]
    assert rows[1][2] == STATE
