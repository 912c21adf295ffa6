"""Uploads of .xls and .ods through python-calamine, .xlsx as before (issue 29).

An old `.xls` upload was refused as "unknown encoding" (it was read as CSV). The kind is sniffed
from the content: OLE2 → xls, an OpenDocument zip → ods, another zip → xlsx. Calamine reads .xls
and .ods; .xlsx keeps the streaming reader and its limits (calamine holds a sheet in memory).
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from app.screening.imports.table import NotATableError, TableLimitError, open_table, sniff_kind
from app.screening.imports.template import FIELDS, ZH_HEADERS
from tests.screening.factories import row, xlsx_bytes

DATE_FIELDS = ("birth_date", "residence_since", "screened_on")


def ods_bytes(rows: list[dict[str, Any]]) -> bytes:
    """A minimal OpenDocument spreadsheet: the Chinese header, then the rows (dates as dates)."""

    def cell(field: str | None, value: Any) -> str:
        if field in DATE_FIELDS and value:
            return (
                f'<table:table-cell office:value-type="date" office:date-value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        if value in ("", None):
            return "<table:table-cell/>"
        return (
            f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}'
            "</text:p></table:table-cell>"
        )

    lines = [
        "<table:table-row>" + "".join(cell(None, h) for h in ZH_HEADERS) + "</table:table-row>"
    ]
    for r in rows:
        lines.append(
            "<table:table-row>" + "".join(cell(f, r.get(f)) for f in FIELDS) + "</table:table-row>"
        )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="摸排">'
        + "".join(lines)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def test_the_kind_is_sniffed_from_the_content() -> None:
    assert sniff_kind(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100) == "xls"
    assert sniff_kind(ods_bytes([])[:200]) == "ods"
    assert sniff_kind(xlsx_bytes([row()])[:200]) == "xlsx"
    assert sniff_kind("姓名,身份证号".encode()) == "csv"


def test_an_ods_file_is_read_with_its_dates(tmp_path: Path) -> None:
    rows = [row(), row(village_code="110115002001")]
    path = tmp_path / "screening.ods"
    path.write_bytes(ods_bytes(rows))
    with open_table(path) as table:
        assert table.header.kind == "ods"
        got = list(table)
    assert [n for n, _ in got] == [2, 3]
    first = got[0][1]
    assert first["name"] == rows[0]["name"]
    assert first["id_number"] == rows[0]["id_number"]
    assert first["birth_date"] == date(2016, 3, 5)
    assert got[1][1]["village_code"] == "110115002001"


def test_an_xlsx_file_is_still_read(tmp_path: Path) -> None:
    rows = [row(), row()]
    path = tmp_path / "screening.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    with open_table(path) as table:
        assert table.header.kind == "xlsx"
        got = [r for _, r in table]
    assert [r["name"] for r in got] == [r["name"] for r in rows]
    assert [r["id_number"] for r in got] == [r["id_number"] for r in rows]


def test_a_broken_xls_is_refused_as_a_workbook_not_as_an_encoding(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000)
    with pytest.raises(NotATableError) as caught:
        open_table(path)
    assert "XLS" in str(caught.value)
    assert "编码" not in str(caught.value)


def test_an_ods_zip_bomb_is_refused_by_the_xlsx_limits(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        z.writestr("content.xml", b" " * (20 * 1024 * 1024), compress_type=zipfile.ZIP_DEFLATED)
    path = tmp_path / "bomb.ods"
    path.write_bytes(buf.getvalue())
    with pytest.raises(TableLimitError) as caught:
        open_table(path)
    assert caught.value.limit == "xlsx_max_ratio"
