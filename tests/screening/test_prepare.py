"""`prepare.prepare_chunks`: chunk sizes, resuming after a row, counts and payloads."""

from __future__ import annotations

import struct
from datetime import date
from pathlib import Path

import pytest

from app.config import Settings
from app.screening.imports import prepare
from app.screening.imports.prepare import PrepareContext, PreparedChunk, prepare_chunks
from app.screening.imports.table import Table
from tests.conftest import VILLAGE1
from tests.screening.factories import TOWN_OF, csv_bytes, row


def _context(settings: Settings, path: Path, **overrides: object) -> PrepareContext:
    values: dict[str, object] = {
        "path": str(path),
        "villages": TOWN_OF,
        "allowed_villages": None,
        "area_name": "测试区",
        "district_code": "110115",
        "today": date(2026, 6, 15),
        "encryption_keys": settings.encryption_keys.get_secret_value(),
        "active_key_id": settings.encryption_active_key_id,
        "hmac_key": settings.hmac_key.get_secret_value(),
    }
    values.update(overrides)
    return PrepareContext(**values)  # type: ignore[arg-type]


def _copy_tuples(chunk: PreparedChunk) -> int:
    """The number of tuples in a binary COPY payload (walking its fields)."""
    data = chunk.copy_data
    pos, count = 19, 0
    while True:
        (fields,) = struct.unpack_from("!h", data, pos)
        pos += 2
        if fields == -1:
            assert pos == len(data)
            return count
        for _ in range(fields):
            (size,) = struct.unpack_from("!i", data, pos)
            pos += 4 + max(size, 0)
        count += 1


@pytest.fixture
def small_first_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prepare, "FIRST_CHUNK_ROWS", 2)
    # a small file is read ahead whole at once: say "progress unknown", so chunks just grow
    monkeypatch.setattr(Table, "progress", lambda self: 0.0)


def test_chunk_sizes_grow_then_shrink_near_the_end() -> None:
    first = prepare.FIRST_CHUNK_ROWS
    assert prepare.next_chunk_rows(first, 50_000, first, 0.0) == 2 * first
    assert prepare.next_chunk_rows(40_000, 50_000, 100_000, 0.1) == 50_000
    assert prepare.next_chunk_rows(50_000, 50_000, 500_000, 0.5) == 50_000
    # 900,000 of about 1,000,000 rows read: half of the 100,000 left
    assert prepare.next_chunk_rows(50_000, 50_000, 900_000, 0.9) == 50_000
    assert prepare.next_chunk_rows(50_000, 50_000, 950_000, 0.95) == 25_000
    assert prepare.next_chunk_rows(25_000, 50_000, 990_000, 0.99) == first
    assert prepare.next_chunk_rows(first, 50_000, 999_000, 1.0) == first
    assert prepare.next_chunk_rows(4, 4, 8, 0.5) == 4  # never more than chunk_rows


def test_chunks_start_small_and_double_up_to_chunk_rows(
    settings: Settings, tmp_path: Path, small_first_chunk: None
) -> None:
    rows = [row(village_code=VILLAGE1) for _ in range(20)]
    rows[6]["birth_date"] = "not a date"  # row 8 of the file
    path = tmp_path / "s.csv"
    path.write_bytes(csv_bytes(rows))

    chunks = list(prepare_chunks(_context(settings, path, chunk_rows=5)))

    assert [c.rows for c in chunks] == [2, 4, 5, 5, 4]
    assert [c.last_row for c in chunks] == [3, 7, 12, 17, 21]
    assert [c.staged for c in chunks] == [2, 4, 4, 5, 4]
    assert [_copy_tuples(c) for c in chunks] == [c.staged for c in chunks]
    assert [c.rejected for c in chunks] == [0, 0, 1, 0, 0]
    assert [e[:2] for e in chunks[2].errors] == [(8, "birth_date")]


def test_resuming_skips_the_applied_rows_but_still_sees_their_children(
    settings: Settings, tmp_path: Path, small_first_chunk: None
) -> None:
    rows = [row(village_code=VILLAGE1) for _ in range(8)]
    rows.append(dict(rows[1]))  # row 10 repeats row 3, which an earlier attempt applied
    path = tmp_path / "s.csv"
    path.write_bytes(csv_bytes(rows))

    chunks = list(prepare_chunks(_context(settings, path, chunk_rows=4, skip_through_row=5)))

    # chunks of rows 2-3 (all applied: not yielded), 4-7 (rows 4-5 applied), 8-10
    assert [(c.last_row, c.rows, c.staged) for c in chunks] == [(7, 2, 2), (10, 3, 2)]
    idn = str(rows[1]["id_number"])
    # The rejected value rides beside the reason, an ID number masked.
    assert chunks[1].errors == [(10, "id_number", "与第3行重复", idn[:6] + "*" * 8 + idn[14:])]
