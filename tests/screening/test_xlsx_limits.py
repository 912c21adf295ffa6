"""XLSX bombs: a workbook over the reader's limits is refused naming the limit, at flat memory.

The two bombs of the attack (issue 20): a 1.7 KB workbook whose second row is
`<row r="10000000">` (700 MB, 16 s before) and a 300 KB workbook holding one 300 MB shared
string (716 MB before). Each is built here with zipfile, small, and refused at upload.
"""

from __future__ import annotations

import io
import random
import string
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.kit.clock import FixedClock
from app.screening.imports.table import TableLimitError, open_table
from app.screening.imports.template import EN_HEADERS
from app.screening.imports.xlsx import XlsxError, XlsxLimitExceeded, XlsxLimits, XlsxReader
from tests.conftest import AuthHeaders
from tests.screening.factories import import_file, row, upload

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_MB = 1024 * 1024


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _column(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else "A" + chr(ord("A") + i - 26)


def _row_xml(number: int, values: list[str]) -> str:
    cells = "".join(_inline(f"{_column(i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def _header_xml() -> str:
    return _row_xml(1, list(EN_HEADERS))


def _data_xml(number: int) -> str:
    r = row()
    return _row_xml(number, [str(r.get(c, "")) for c in EN_HEADERS])


def _workbook(
    sheet_xml: str = "",
    *,
    shared: Callable[[zipfile.ZipFile], None] | None = None,
    sheet_writer: Callable[[Any], None] | None = None,
) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "xl/workbook.xml",
            f'<workbook {_NS} {_REL}><sheets><sheet name="s" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="x"/></Relationships>',
        )
        if shared is not None:
            shared(z)
        if sheet_writer is not None:
            with z.open("xl/worksheets/sheet1.xml", "w") as f:
                sheet_writer(f)
        else:
            z.writestr(
                "xl/worksheets/sheet1.xml",
                f"<worksheet {_NS}><sheetData>{sheet_xml}</sheetData></worksheet>",
            )
    return out.getvalue()


def _row_bomb() -> bytes:
    """The attack's row bomb: a header, then row 10,000,000."""
    return _workbook(_header_xml() + '<row r="10000000"><c r="A10000000"><v>1</v></c></row>')


def _shared_string_bomb(size: int = 300 * _MB) -> bytes:
    """One shared string of `size` characters, deflated (streamed: never whole in memory)."""

    def shared(z: zipfile.ZipFile) -> None:
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(f'<sst {_NS} count="1" uniqueCount="1"><si><t>'.encode())
            piece = b"A" * _MB
            for _ in range(size // _MB):
                f.write(piece)
            f.write(b"</t></si></sst>")

    return _workbook(_header_xml() + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>', shared=shared)


def _peak_while(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        action()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def _raising(kind: type[Exception], action: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        with pytest.raises(kind):
            action()

    return run


def _read_all(content: bytes, limits: XlsxLimits | None = None) -> Callable[[], object]:
    def action() -> None:
        reader = XlsxReader(io.BytesIO(content), *(() if limits is None else (limits,)))
        try:
            for _ in reader:
                pass
        finally:
            reader.close()

    return action


# ----------------------------------------------------------------------------- the reader


def test_row_bomb_is_refused_at_flat_memory(tmp_path: Path) -> None:
    content = _row_bomb()
    assert len(content) < 2048
    with pytest.raises(XlsxLimitExceeded) as caught:
        _read_all(content)()
    assert caught.value.limit == "xlsx_max_rows"
    # The same through the table reader the import uses, measured: a few MB at most.
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(content)

    def parse() -> None:
        with open_table(path) as table:
            for _ in table:
                pass

    with pytest.raises(TableLimitError) as table_error:
        parse()
    assert table_error.value.limit == "xlsx_max_rows"
    assert "xlsx_max_rows" in str(table_error.value)
    peak = _peak_while(_raising(TableLimitError, parse))
    assert peak < 4 * _MB, peak


def test_gap_of_rows_is_refused_and_missing_rows_cost_nothing() -> None:
    sheet = _header_xml() + '<row r="20002"><c r="A20002"><v>1</v></c></row>'
    with pytest.raises(XlsxLimitExceeded) as caught:
        _read_all(_workbook(sheet))()
    assert caught.value.limit == "xlsx_max_row_gap"
    # Within the limit, many gaps in one piece of XML are yielded lazily (flat memory).
    gaps = "".join(
        f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(2, 2 * 10**5, 9999)
    )
    content = _workbook(gaps)
    rows: list[int] = [0]

    def count() -> None:
        for _ in XlsxReader(io.BytesIO(content)):
            rows[0] += 1

    peak = _peak_while(count)
    assert rows[0] == list(range(2, 2 * 10**5, 9999))[-1]
    assert peak < 4 * _MB, peak


def test_rows_must_ascend() -> None:
    sheet = '<row r="9000"><c r="A9000"><v>1</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>'
    with pytest.raises(XlsxLimitExceeded) as caught:
        _read_all(_workbook(sheet))()
    assert caught.value.limit == "xlsx_row_order"


def test_shared_string_bomb_is_refused_by_its_ratio_and_by_its_length() -> None:
    content = _shared_string_bomb()
    assert len(content) < 400 * 1024
    peak = _peak_while(_raising(XlsxLimitExceeded, lambda: XlsxReader(io.BytesIO(content))))
    with pytest.raises(XlsxLimitExceeded) as caught:
        XlsxReader(io.BytesIO(content))
    assert caught.value.limit == "xlsx_max_ratio"
    assert peak < 4 * _MB, peak
    # Past the directory check, the string itself is refused as it streams in.
    lenient = XlsxLimits(max_ratio=10**9, max_shared_strings_bytes=10**10)
    peak = _peak_while(
        _raising(XlsxLimitExceeded, lambda: XlsxReader(io.BytesIO(content), lenient))
    )
    with pytest.raises(XlsxLimitExceeded) as caught:
        XlsxReader(io.BytesIO(content), lenient)
    assert caught.value.limit == "xlsx_max_string_chars"
    assert peak < 4 * _MB, peak


def test_long_inline_string_huge_column_and_cell_count() -> None:
    noise = "".join(random.choices(string.ascii_letters, k=40_000))
    with pytest.raises(XlsxLimitExceeded) as caught:
        _read_all(_workbook(_row_xml(1, ["name", noise])))()
    assert caught.value.limit == "xlsx_max_string_chars"
    with pytest.raises(XlsxLimitExceeded) as caught:
        _read_all(_workbook('<row r="1"><c r="ZZZZZZZZ1"><v>1</v></c></row>'))()
    assert caught.value.limit == "xlsx_max_columns"
    with pytest.raises(XlsxLimitExceeded) as caught:
        _read_all(_workbook(_header_xml() + _data_xml(2)), XlsxLimits(max_cells=30))()
    assert caught.value.limit == "xlsx_max_cells"


def test_declared_sizes_and_member_count() -> None:
    # A member uncompressing past the total (declared) is refused before it is read.
    big = _workbook(_header_xml() + _data_xml(2))
    with pytest.raises(XlsxLimitExceeded) as caught:
        XlsxReader(io.BytesIO(big), XlsxLimits(max_uncompressed_bytes=1000))
    assert caught.value.limit == "xlsx_max_uncompressed_bytes"

    # A styles part of millions of formats (held as a table) is refused before it is read.
    def styles(z: zipfile.ZipFile) -> None:
        z.writestr("xl/styles.xml", f"<styleSheet {_NS}><cellXfs>" + "<xf/>" * 200_000)

    with pytest.raises(XlsxLimitExceeded) as caught:
        XlsxReader(io.BytesIO(_workbook(shared=styles)), XlsxLimits(max_part_bytes=100_000))
    assert caught.value.limit == "xlsx_max_part_bytes"
    # A directory of thousands of members is refused before zipfile builds it.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(1001):
            z.writestr(f"x/{i}.xml", "")
    with pytest.raises(XlsxLimitExceeded) as caught:
        XlsxReader(io.BytesIO(out.getvalue()))
    assert caught.value.limit == "xlsx_max_members"


def test_a_lying_size_header_is_not_believed() -> None:
    """The directory says the sheet is 100 bytes; it inflates to far more: refused, not read."""
    sheet = _header_xml() + "".join(_data_xml(n) for n in range(2, 200))
    content = bytearray(_workbook(sheet))
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        real = info.file_size
    # Patch the uncompressed size in the local header and in the central directory.
    packed = real.to_bytes(4, "little")
    assert content.count(packed) >= 2
    content = content.replace(packed, (100).to_bytes(4, "little"))
    with pytest.raises(XlsxError, match="CRC"):
        _read_all(bytes(content))()


# -------------------------------------------------------------------------------- the API


async def test_upload_of_the_two_bombs_is_refused_with_the_limit(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await upload(client, auth("admin"), _row_bomb(), "bomb.xlsx")
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert (body["code"], body["limit"], body["maximum"]) == (
        "file_limit_exceeded",
        "xlsx_max_rows",
        1_048_576,
    )
    assert "xlsx_max_rows" in body["detail"]
    assert "行号 10000000" in body["detail"]

    r = await upload(client, auth("admin", lang="en"), _shared_string_bomb(), "bomb.xlsx")
    assert r.status_code == 422, r.text
    body = r.json()
    assert (body["code"], body["limit"]) == ("file_limit_exceeded", "xlsx_max_ratio")
    assert body["detail"].startswith("The file exceeds the safety limit xlsx_max_ratio")
    assert body["errors"][0]["field"] == "file"


async def test_limit_met_past_the_first_rows_fails_the_import_naming_it(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # The upload reads the first rows only (the first 64 KiB of the sheet's XML): the gap,
    # after 400 rows, is met by the import.
    sheet = _header_xml() + "".join(_data_xml(n) for n in range(2, 402)) + _data_xml(30_000)
    body = await import_file(
        committed_client,
        auth("admin"),
        committed_engine,
        settings,
        clock,
        _workbook(sheet),
        "gap.xlsx",
    )
    assert body["status"] == "failed"
    assert "xlsx_max_row_gap" in body["error"], body["error"]


async def test_discovery_household_list_bomb_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(
        "/api/v1/discovery/households/import",
        headers=auth("admin"),
        files={"file": ("list.xlsx", _row_bomb(), "application/octet-stream")},
    )
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["limit"]) == ("file_limit_exceeded", "xlsx_max_rows")
