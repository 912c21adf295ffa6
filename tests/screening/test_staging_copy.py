"""The binary COPY payload of a chunk stages exactly what asyncpg's own encoding stages, village
by village with ascending ids; the merge gives new records time-ordered ids."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.screening.imports import merge
from app.screening.imports.prepare import (
    ROW_COLUMNS,
    STAGE_COLUMNS,
    STAGE_NOT_NULL,
    STAGE_TYPES,
    RecordIds,
    encode_copy,
    stage_tuple,
)
from app.screening.imports.rows import ValidRow, age_on, validate_row
from app.screening.imports.table import RawRow
from tests.conftest import VILLAGE1, VILLAGE2, VILLAGE3
from tests.screening.factories import TOWN_OF, keyring, row


def _tuples() -> list[tuple[Any, ...]]:
    full = (
        bytes(range(32)),
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
    # NULL in every column that may be NULL (the others are never NULL: see STAGE_NOT_NULL)
    empty = tuple(
        v if c in STAGE_NOT_NULL else None for c, v in zip(ROW_COLUMNS, full, strict=True)
    )
    return [full, (*empty[:-1], 7)]


class _CountingIds(RecordIds):
    """The same ids every time: 1, 2, 3… (to compare two payloads byte for byte)."""

    def __init__(self) -> None:
        super().__init__()
        self.made = 0

    def next(self) -> bytes:
        self.made += 1
        return self.made.to_bytes(16)


async def _staged(session: AsyncSession) -> list[tuple[Any, ...]]:
    """The staging table's rows in the order the COPY wrote them (a fresh temporary table's
    physical order)."""
    rows = await session.execute(
        text(f"SELECT {', '.join(STAGE_COLUMNS)} FROM screening_stage ORDER BY ctid")  # noqa: S608
    )
    return [tuple(r) for r in rows]


async def _copy(session: AsyncSession, payload: bytes) -> list[tuple[Any, ...]]:
    await session.execute(text(merge._STAGE_DDL))
    await session.execute(text("TRUNCATE screening_stage"))
    raw = await merge.raw_connection(session)
    await raw.copy_to_table(
        "screening_stage", source=io.BytesIO(payload), columns=STAGE_COLUMNS, format="binary"
    )
    return await _staged(session)


async def test_binary_copy_payload_stages_the_same_values(session: AsyncSession) -> None:
    assert len(STAGE_TYPES) == len(STAGE_COLUMNS)
    records = _tuples()
    await session.execute(text(merge._STAGE_DDL))
    raw = await merge.raw_connection(session)

    # asyncpg's own encoder, given the ids the payload gets (1 and 2 here)
    with_ids = [(*r, uuid.UUID(int=i)) for i, r in enumerate(records, start=1)]
    await raw.copy_records_to_table("screening_stage", records=with_ids, columns=STAGE_COLUMNS)
    by_asyncpg = await _staged(session)
    payload = encode_copy(records, _CountingIds())
    # the second time, the repeating columns' fields come from the encoder's memory
    assert encode_copy(records, _CountingIds()) == payload
    by_payload = await _copy(session, payload)

    assert by_payload == by_asyncpg
    assert by_payload == with_ids


async def test_a_payload_lists_its_rows_village_by_village_with_ascending_ids(
    session: AsyncSession, settings: Settings
) -> None:
    ring = keyring(settings)
    staged = []
    # the file's order jumps between villages (each village's code starts with its town's)
    for number, code in enumerate([VILLAGE3, VILLAGE1, VILLAGE2, VILLAGE1, VILLAGE3] * 3, 2):
        checked = validate_row(number, row(village_code=code), known_villages=TOWN_OF.__contains__)
        assert isinstance(checked, ValidRow)
        staged.append(stage_tuple(checked, TOWN_OF[code], ring))

    rows = await _copy(session, encode_copy(staged))

    village = STAGE_COLUMNS.index("village_code")
    row_number = STAGE_COLUMNS.index("row_number")
    assert [r[village] for r in rows] == sorted(s[village] for s in staged)
    # each village's rows in the file's order, every row staged once, with all its values
    for code in TOWN_OF:
        numbers = [r[row_number] for r in rows if r[village] == code]
        assert numbers
        assert numbers == sorted(numbers)
    assert sorted(r[: len(ROW_COLUMNS)] for r in rows) == sorted(staged)
    ids = [r[STAGE_COLUMNS.index("id")] for r in rows]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_made_in_the_same_millisecond_still_ascend() -> None:
    ids = RecordIds()
    made = [uuid.UUID(bytes=ids.next()) for _ in range(20_000)]
    stamps = [m.int >> 80 for m in made]
    assert len(set(stamps)) < len(made) / 10  # many share a millisecond
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert {(m.version, m.variant) for m in made} == {(7, uuid.RFC_4122)}


async def test_new_records_get_time_ordered_uuid7_ids(
    session: AsyncSession, settings: Settings
) -> None:
    ring = keyring(settings)
    await merge.ensure_stats_state(session, date(2026, 6, 15))
    now = datetime(2026, 6, 15, 2, tzinfo=UTC)
    made: list[uuid.UUID] = []
    for batch in range(2):
        if batch:
            await asyncio.sleep(0.002)  # the second batch is merged at least a millisecond later
        before = time.time_ns() // 1_000_000
        staged = []
        for i in range(3):
            checked = validate_row(i + 2, row(), known_villages=TOWN_OF.__contains__)
            assert isinstance(checked, ValidRow)
            staged.append(stage_tuple(checked, TOWN_OF[checked.village_code], ring))
        # the ids are made as the payload is put together, within the merge call
        assert await merge.merge_records(session, staged, import_id=None, now=now) == (3, 0)
        after = time.time_ns() // 1_000_000
        got = sorted(
            (
                await session.execute(
                    text("SELECT id FROM screening_records WHERE identity_key = ANY(:k)"),
                    {"k": [s[0] for s in staged]},
                )
            ).scalars()
        )
        assert len(got) == 3
        for record_id in got:
            assert record_id.version == 7
            assert record_id.variant == uuid.RFC_4122
            # the first 48 bits: when the payload was put together, in Unix milliseconds
            assert before <= record_id.int >> 80 <= after
        made += got
    assert len(set(made)) == 6
    assert max(made[:3]) < min(made[3:])  # made later, sorted later


def test_stage_tuples_leave_no_not_null_column_empty(settings: Settings) -> None:
    # the fewest cells a valid row can have: no ID number, nothing optional
    raw: RawRow = {
        "name": "王小明",
        "birth_date": "2016-03-05",
        "village_code": "110115001001",
        "screened_on": "2026-06-01",
    }
    checked = validate_row(2, raw, known_villages=TOWN_OF.__contains__)
    assert isinstance(checked, ValidRow)
    staged = stage_tuple(checked, TOWN_OF[checked.village_code], keyring(settings))
    empty = {c for c, v in zip(ROW_COLUMNS, staged, strict=True) if v is None}
    assert empty
    assert not empty & STAGE_NOT_NULL
    encode_copy([staged])  # encodes


def _band(age: int) -> str:
    return next((band for end, band in merge.BAND_ENDS if age < end), "16+")


async def test_the_merges_age_bands_are_the_ages_rows_compute(session: AsyncSession) -> None:
    # every birthday boundary of every band, on a leap day, the day before and after it, and
    # on a 28 February of a common year (a 29 February birthday counts from 1 March)
    days = [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2025, 2, 28),
            date(2025, 3, 1), date(2026, 6, 15)]  # fmt: skip
    pairs: list[tuple[date, date]] = []
    for on in days:
        for years in (0, 1, 2, 3, 5, 6, 11, 12, 14, 15, 16, 17):
            for birth in (
                date(on.year - years, 2, 28),
                date(on.year - years, 3, 1),
                *([date(on.year - years, 2, 29)] if (on.year - years) % 4 == 0 else []),
                date(on.year - years, on.month, min(on.day, 28)),
                date(on.year - years, 6, 14),
                date(on.year - years, 6, 16),
            ):
                pairs.append((birth, on))
    pairs.append((date(2026, 6, 16), date(2026, 6, 15)))  # born after the day: 0-2
    band = merge.age_band_sql("p.birth", "p.on_day")
    result = await session.execute(
        text(
            f"SELECT p.birth, p.on_day, {band} FROM unnest(CAST(:b AS date[]), "  # noqa: S608
            "CAST(:o AS date[])) AS p(birth, on_day)"
        ),
        {"b": [b for b, _ in pairs], "o": [o for _, o in pairs]},
    )
    got = {(b, o): band for b, o, band in result.tuples()}
    assert len(got) == len(set(pairs)) > 300
    assert got == {(b, o): _band(age_on(b, o)) for b, o in pairs}
    assert {_band(age_on(b, o)) for b, o in pairs} == {"0-2", "3-5", "6-11", "12-14", "15", "16+"}
    # no day, no band (the statistics' primary key then refuses the row, loudly)
    no_day = merge.age_band_sql("DATE '2000-01-01'", "as_of", "screening_stats_state WHERE false")
    assert (await session.execute(text(f"SELECT {no_day}"))).scalar_one() is None
