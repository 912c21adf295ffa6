"""Imports through the API: upload → 202 → the worker → status, errors CSV, records, history."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.kit.clock import FixedClock
from app.screening.imports import merge
from tests.conftest import VILLAGE2, VILLAGE3, AuthHeaders
from tests.screening.factories import csv_bytes, import_file, row


@pytest.fixture
def upload_settings(settings: Settings, tmp_path: Any) -> Settings:
    return settings


async def _records(
    client: httpx.AsyncClient, headers: dict[str, str], q: str
) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/screening/records", headers=headers, params={"q": q})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_import_counts_reimport_and_history(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
) -> None:
    h = auth("admin")
    rows = [row(), row(), row(village_code=VILLAGE3)]
    body = await import_file(
        committed_client, h, committed_engine, settings, clock, csv_bytes(rows)
    )
    assert body["status"] == "done"
    assert (body["total_rows"], body["inserted"], body["updated"], body["unchanged"]) == (
        3,
        3,
        0,
        0,
    )
    assert (body["rejected"], body["flagged"], body["progress"]) == (0, 0, 1.0)

    again = await import_file(
        committed_client, h, committed_engine, settings, clock, csv_bytes(rows)
    )
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 3)

    rows[1]["school_status"] = "初中"
    rows[1]["school_name"] = "测试中学"
    changed = await import_file(
        committed_client, h, committed_engine, settings, clock, csv_bytes(rows)
    )
    assert (changed["inserted"], changed["updated"], changed["unchanged"]) == (0, 1, 2)

    [record] = await _records(committed_client, h, rows[1]["name"])
    assert record["school_status"] == "junior_secondary"
    detail = await committed_client.get(f"/api/v1/screening/records/{record['id']}", headers=h)
    assert detail.status_code == 200
    history = {c["field"]: (c["old_value"], c["new_value"]) for c in detail.json()["history"]}
    assert history == {
        "school_status": ("primary", "junior_secondary"),
        "school_name": ("测试小学", "测试中学"),
    }
    assert all(c["import_id"] == changed["id"] for c in detail.json()["history"])

    # one chunk with a new child, a changed one and unchanged ones
    rows.append(row(village_code=VILLAGE2))
    rows[0]["school_name"] = "另一小学"
    mixed = await import_file(
        committed_client, h, committed_engine, settings, clock, csv_bytes(rows)
    )
    assert (mixed["inserted"], mixed["updated"], mixed["unchanged"]) == (1, 1, 2)
    [new] = await _records(committed_client, h, rows[3]["name"])
    assert new["village_code"] == VILLAGE2
    [first] = await _records(committed_client, h, rows[0]["name"])
    assert first["school_name"] == "另一小学"


async def _planner_count(engine: AsyncEngine) -> tuple[float, int]:
    """The records the planner's statistics count, and the records there are."""
    async with engine.connect() as conn:
        counted, there = (
            await conn.execute(
                text(
                    "SELECT (SELECT reltuples FROM pg_class "
                    "WHERE oid = 'screening_records'::regclass), "
                    "(SELECT count(*) FROM screening_records)"
                )
            )
        ).one()
    return float(counted), int(there)


async def test_an_import_that_writes_many_records_refreshes_the_planner_statistics(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = auth("admin")
    # under the thresholds (three rows here stand for "a few" against "many"): not analysed
    monkeypatch.setattr(merge, "ANALYZE_MIN_ROWS", 4)
    monkeypatch.setattr(merge, "ANALYZE_MIN_SHARE", 0.0)
    first = await import_file(
        committed_client, h, committed_engine, settings, clock, csv_bytes([row() for _ in range(3)])
    )
    assert first["inserted"] == 3
    counted, there = await _planner_count(committed_engine)
    assert counted != there

    more = await import_file(
        committed_client, h, committed_engine, settings, clock, csv_bytes([row() for _ in range(4)])
    )
    assert more["inserted"] == 4
    counted, there = await _planner_count(committed_engine)
    assert counted == there
