"""The lean XLSX reader: shared and inline strings, numbers, date styles, gaps, 1904 dates."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from app.screening.imports.table import open_table
from app.screening.imports.xlsx import XlsxError, XlsxReader


def _openpyxl_book() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "出生日期", "电话", "比例", "摸排日期"])
    ws.append(["张三", date(2014, 7, 9), 13800000000, 0.5, datetime(2026, 6, 1, 9, 30)])
    ws.append(["张三", None, 42, None, None])  # a repeated shared string, empty cells
    ws.cell(row=5, column=1, value="隔一行")
    ws["B2"].number_format = "yyyy/m/d"
    ws["E2"].number_format = "yyyy-mm-dd hh:mm"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_reads_shared_strings_numbers_dates_and_gaps() -> None:
    reader = XlsxReader(io.BytesIO(_openpyxl_book()))
    rows = list(reader)
    assert rows[0] == ["姓名", "出生日期", "电话", "比例", "摸排日期"]
    assert rows[1] == ["张三", date(2014, 7, 9), "13800000000", "0.5", date(2026, 6, 1)]
    assert rows[2] == ["张三", None, "42"]
    assert rows[3] == []  # row 4 is missing from the sheet
    assert rows[4] == ["隔一行"]
    assert reader.sheet_consumed == reader.sheet_size


def _hand_made(sheet_xml: str, *, date1904: bool = False, styles: str = "") -> bytes:
    out = io.BytesIO()
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "xl/workbook.xml",
            f'<workbook {ns} {rel}><workbookPr date1904="{int(date1904)}"/>'
            '<sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/data.xml" Type="x"/></Relationships>',
        )
        z.writestr(
            "xl/worksheets/data.xml",
            f"<worksheet {ns}><sheetData>{sheet_xml}</sheetData></worksheet>",
        )
        if styles:
            z.writestr("xl/styles.xml", f"<styleSheet {ns}>{styles}</styleSheet>")
    return out.getvalue()


def test_inline_strings_booleans_custom_date_format_and_1904() -> None:
    styles = (
        '<numFmts count="1"><numFmt numFmtId="170" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
        '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="170"/><xf numFmtId="49"/></cellXfs>'
    )
    sheet = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="b"><v>1</v></c></row>'
        '<row r="2"><c r="A2" s="1"><v>0</v></c><c r="B2" s="2"><v>110115</v></c>'
        '<c r="C2" t="str"><v>公式</v></c><c r="D2"><v>1.5E+3</v></c></row>'
    )
    rows = list(XlsxReader(io.BytesIO(_hand_made(sheet, date1904=True, styles=styles))))
    assert rows[0] == ["name", None, "是"]
    assert rows[1] == [date(1904, 1, 1), "110115", "公式", "1500"]


def test_not_a_workbook() -> None:
    with pytest.raises(XlsxError):
        XlsxReader(io.BytesIO(b"PK\x03\x04 broken"))
    with pytest.raises(XlsxError):
        XlsxReader(
            io.BytesIO(_hand_made("<row></row>").replace(b"xl/workbook.xml", b"xl/workbook.xmx"))
        )


def test_parsing_uses_the_lean_reader_for_a_template_file(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "t.xlsx"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "现居住村居代码", "摸排日期", "出生日期"])
    ws.append(["李四", "110115001001", date(2026, 6, 1), "2014-01-02"])
    wb.save(path)
    with open_table(path) as table:
        assert table.header.kind == "xlsx"
        [(number, values)] = list(table)
        assert number == 2
        assert values == {
            "name": "李四",
            "village_code": "110115001001",
            "screened_on": date(2026, 6, 1),
            "birth_date": "2014-01-02",
        }
        assert table.progress() == 1.0
