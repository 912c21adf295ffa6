"""The binary COPY payload of a chunk stages exactly what asyncpg's own encoding stages."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.screening import merge
from app.screening.staging import STAGE_COLUMNS, STAGE_TYPES, encode_copy


def _tuples() -> list[tuple[Any, ...]]:
    full = (
        "a" * 64,
        "a" * 64,
        b"v1:k1:\x00\xff binary",
        "110101********0012",
        "王小明\t(tab) \\ back\nslash 𠀀",
        "female",
        date(2014, 3, 5),
        "130102",
        "110115001001",
        "110115001",
        date(1999, 12, 31),
        "one_parent",
        date(2000, 1, 1),
        date(2100, 12, 31),
        True,
        False,
        "监护人",
        "13800000000",
        "primary",
        "第一小学",
        "良好",
        "visual",
        2,
        date(2026, 6, 15),
        "migrant",
        "neither",
        '[{"code": "x", "message": "与填报类别不一致"}]',
        True,
        123_456,
    )
    empty = (*[None] * (len(STAGE_COLUMNS) - 1), 7)
    return [full, empty]


async def _staged(session: AsyncSession) -> list[tuple[Any, ...]]:
    rows = await session.execute(
        text(f"SELECT {', '.join(STAGE_COLUMNS)} FROM screening_stage ORDER BY row_number")  # noqa: S608
    )
    return [tuple(r) for r in rows]


async def test_binary_copy_payload_stages_the_same_values(session: AsyncSession) -> None:
    assert len(STAGE_TYPES) == len(STAGE_COLUMNS)
    records = _tuples()
    await session.execute(text(merge._STAGE_DDL))
    raw = await merge.raw_connection(session)

    await raw.copy_records_to_table("screening_stage", records=records, columns=STAGE_COLUMNS)
    by_asyncpg = await _staged(session)
    await session.execute(text("TRUNCATE screening_stage"))
    await raw.copy_to_table(
        "screening_stage",
        source=io.BytesIO(encode_copy(records)),
        columns=STAGE_COLUMNS,
        format="binary",
    )
    by_payload = await _staged(session)

    assert by_payload == by_asyncpg
    assert by_payload == sorted(records, key=lambda r: r[-1])
