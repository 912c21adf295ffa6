"""Builders for screening tests: rows, files (CSV in any encoding, XLSX), imports, records."""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal

import httpx
from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db import create_sessionmaker
from app.kit.clock import FixedClock
from app.kit.crypto import KeyRing
from app.kit.idnumber import Gender, make
from app.screening.imports import merge
from app.screening.imports.prepare import stage_tuple
from app.screening.imports.rows import ValidRow, validate_row
from app.screening.imports.template import EN_HEADERS, FIELDS, ZH_BY_FIELD
from app.worker.runner import Worker
from tests.conftest import TOWN1, TOWN2, VILLAGE1, VILLAGE2, VILLAGE3

_rng = random.SystemRandom()
_PROVINCES = ("41", "13", "32", "51", "42", "37", "61", "43")
TOWN_OF = {VILLAGE1: TOWN1, VILLAGE2: TOWN1, VILLAGE3: TOWN2}


def unique_name(prefix: str = "测") -> str:
    return prefix + uuid.uuid4().hex[:10]


def id_number(birth: date, gender: Gender = "female", division: str | None = None) -> str:
    return make(
        birth,
        gender,
        # a random county code: IDs stay unique across tests that commit
        division_code=division or f"{_rng.choice(_PROVINCES)}{_rng.randrange(101, 9999):04d}",
        sequence=_rng.randrange(500),
    )


def row(**overrides: Any) -> dict[str, Any]:
    """A valid migrant child's row (English field names), screened on 2026-06-01, age 10."""
    birth = overrides.pop("birth", date(2016, 3, 5))
    gender: Gender = overrides.pop("sex", "female")
    base: dict[str, Any] = {
        "name": unique_name(),
        "id_number": id_number(birth, gender),
        "gender": "女" if gender == "female" else "男",
        "birth_date": birth.isoformat(),
        "hukou_code": "410102",
        "village_code": VILLAGE1,
        "residence_since": "2025-01-01",
        "accompanied_by": "父母双方",
        "father_away_since": "",
        "mother_away_since": "",
        "father_can_guard": "有",
        "mother_can_guard": "有",
        "guardian_name": "家长",
        "guardian_phone": f"139{_rng.randrange(10**8):08d}",
        "school_status": "小学",
        "school_name": "测试小学",
        "health_status": "良好",
        "disability": "",
        "screened_on": "2026-06-01",
        "stated_classification": "流动儿童",
    }
    base.update(overrides)
    return base


def csv_bytes(
    rows: Sequence[dict[str, Any]],
    *,
    headers: Literal["en", "zh"] = "en",
    encoding: str = "utf-8",
    columns: Sequence[str] = FIELDS,
) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c if headers == "en" else ZH_BY_FIELD[c] for c in columns])
    for r in rows:
        writer.writerow(["" if r.get(c) is None else str(r.get(c, "")) for c in columns])
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[dict[str, Any]], *, headers: Literal["en", "zh"] = "zh") -> bytes:
    """An XLSX workbook (openpyxl, shared strings); `date` values become date cells."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([c if headers == "en" else ZH_BY_FIELD[c] for c in EN_HEADERS])
    for r in rows:
        ws.append([r.get(c) if r.get(c) != "" else None for c in EN_HEADERS])
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    filename: str = "摸排.csv",
) -> httpx.Response:
    return await client.post(
        "/api/v1/screening/imports", headers=headers, files={"file": (filename, content)}
    )


async def drain(engine: AsyncEngine, settings: Settings, clock: FixedClock) -> int:
    return await Worker(create_sessionmaker(engine), settings, clock).drain()


async def import_file(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
    content: bytes,
    filename: str = "摸排.csv",
) -> dict[str, Any]:
    """Upload (committed), run the worker, return the finished import's status body."""
    r = await upload(client, headers, content, filename)
    assert r.status_code == 202, r.text
    await drain(engine, settings, clock)
    status = await client.get(f"/api/v1/screening/imports/{r.json()['id']}", headers=headers)
    assert status.status_code == 200, status.text
    body: dict[str, Any] = status.json()
    return body


def keyring(settings: Settings) -> KeyRing:
    return KeyRing.from_settings(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )


async def load_records(
    session: AsyncSession, settings: Settings, rows: Sequence[dict[str, Any]]
) -> None:
    """Store rows straight through the merge (in the test's rolled-back transaction)."""
    ring = keyring(settings)
    today = date(2026, 6, 15)
    await merge.ensure_stats_state(session, today)
    staged = []
    for i, raw in enumerate(rows, start=2):
        checked = validate_row(
            i,
            {k: (v if v != "" else None) for k, v in raw.items()},
            known_villages=TOWN_OF.__contains__,
            today=today,
        )
        assert isinstance(checked, ValidRow), checked
        staged.append(stage_tuple(checked, TOWN_OF[checked.village_code], ring))
    await merge.merge_records(
        session, staged, import_id=None, now=datetime(2026, 6, 15, 2, tzinfo=UTC)
    )
