"""A large file is prepared in a child process: the same chunks as in a thread, its failures
reported as the thread's would be, and the child gone when the import stops early."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from app.config import Settings
from app.screening.imports.prepare import PrepareContext, PreparedChunk
from app.screening.imports.producer import prepared_chunks
from app.screening.imports.table import NotATableError
from tests.screening.factories import TOWN_OF, csv_bytes, row


def _context(settings: Settings, path: Path) -> PrepareContext:
    return PrepareContext(
        path=str(path),
        villages=TOWN_OF,
        allowed_villages=None,
        area_name="大兴区",
        district_code=settings.district_code,
        today=date(2026, 6, 15),
        encryption_keys=settings.encryption_keys.get_secret_value(),
        active_key_id=settings.encryption_active_key_id,
        hmac_key=settings.hmac_key.get_secret_value(),
        chunk_rows=40,
    )


async def _chunks(ctx: PrepareContext, *, child: bool) -> list[PreparedChunk]:
    return [chunk async for chunk in prepared_chunks(ctx, child_process=child)]


def _summary(chunks: list[PreparedChunk]) -> list[tuple[int, int, int, int, int]]:
    # the payloads differ (fresh nonces and ids), so compare what they hold by their sizes
    return [(c.last_row, c.rows, c.staged, c.rejected, len(c.copy_data)) for c in chunks]


async def test_the_child_yields_the_chunks_a_thread_yields(
    settings: Settings, tmp_path: Path
) -> None:
    rows = [row() for _ in range(150)]
    rows[7]["village_code"] = "999999999999"  # rejected
    rows[90] = dict(rows[3])  # a duplicate of the fourth row: rejected, naming it
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes(rows))
    ctx = _context(settings, path)

    in_child = await _chunks(ctx, child=True)
    in_thread = await _chunks(ctx, child=False)

    assert _summary(in_child) == _summary(in_thread)
    assert sum(c.rows for c in in_child) == 150
    assert sum(c.staged for c in in_child) == 148
    errors = [e for c in in_child for e in c.errors]
    assert errors == [e for c in in_thread for e in c.errors]
    assert [(r, col) for r, col, _, _ in errors] == [(9, "village_code"), (92, "id_number")]
    assert "与第5行重复" in errors[1][2]


async def test_a_file_that_is_no_table_fails_the_same_way_in_the_child(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"\x00\x01\x02 not a table")
    for child in (True, False):
        with pytest.raises(NotATableError, match="不是文本表格"):
            await _chunks(_context(settings, path), child=child)


async def test_stopping_after_the_first_chunk_ends_the_child(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes([row() for _ in range(3000)]))  # more than the pipe holds
    chunks = prepared_chunks(_context(settings, path), child_process=True)
    first = await anext(chunks)
    assert first.rows > 0
    assert _parsing_children()  # the child waits to send the next chunks
    await chunks.aclose()  # as when a merge fails: the generator's cleanup kills the child
    assert _parsing_children() == []


def _parsing_children() -> list[int]:
    """This process's live `child` processes (from /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):  # gone meanwhile
            continue
        if parent == os.getpid() and b"app.screening.imports.child" in command:
            found.append(int(proc.name))
    return found
