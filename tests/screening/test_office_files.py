"""The screening files an office uses (issue 29): the error report and the upload template.

The template's ID-number column was not text, so Excel turned an 18-digit ID into
`1.10115E+17`; it had no dropdowns for the coded columns.

It was a CSV with English headers (`row,column,reason`), English column keys and no rejected
value. Now: an .xlsx by default (title row, frozen bold header, Chinese headers), or CSV in
UTF-8 (with BOM) or GB18030; each line has the row, the template's Chinese column name, the
value the file held and the reason.
"""

from __future__ import annotations

import csv
import io
import uuid

import httpx
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ScreeningImport, ScreeningImportError
from tests.conftest import DISTRICT, AuthHeaders, Base, area_path

HEADERS = ["行号", "列名", "填写内容", "错误原因"]


async def _import_with_errors(session: AsyncSession, base: Base) -> uuid.UUID:
    imp = ScreeningImport(
        id=uuid.uuid4(),
        status="done",
        file_name="三月摸排.xlsx",
        file_kind="xlsx",
        file_size=1,
        stored_name="x.upload",
        uploaded_by=base.users["admin"],
        uploaded_by_name="admin",
        area_code=DISTRICT,
        area_path=area_path(DISTRICT),
    )
    session.add(imp)
    await session.flush()
    session.add_all(
        [
            ScreeningImportError(
                import_id=imp.id,
                row_number=2,
                column="gender",
                reason="性别“男孩”无法识别，应为：男/女",
                value="男孩",
            ),
            ScreeningImportError(
                import_id=imp.id,
                row_number=5,
                column="village_code",
                reason="村居代码“110115009009”不是本区的村居",
                value="110115009009",
            ),
        ]
    )
    await session.flush()
    return imp.id


async def test_the_error_report_is_a_workbook_with_chinese_headers_and_the_rejected_value(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, base: Base
) -> None:
    import_id = await _import_with_errors(session, base)
    r = await client.get(f"/api/v1/screening/imports/{import_id}/errors", headers=auth("admin"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="errors-' in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    title = str(ws["A1"].value)
    assert "摸排导入错误报告" in title
    assert "三月摸排.xlsx" in title
    assert "测试区" in title
    assert ws.freeze_panes == "A3"
    assert [c.value for c in ws[2]] == HEADERS
    assert all(c.font.b for c in ws[2])
    assert ws.column_dimensions["D"].width >= 40
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert rows == [
        [2, "性别", "男孩", "性别“男孩”无法识别，应为：男/女"],
        [5, "现居住村居代码", "110115009009", "村居代码“110115009009”不是本区的村居"],
    ]
    code = ws.cell(4, 3)
    assert code.data_type == "s"  # a code stays text, never 1.10115E+11


async def test_the_error_report_as_csv_in_utf8_or_gb18030(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, base: Base
) -> None:
    import_id = await _import_with_errors(session, base)
    url = f"/api/v1/screening/imports/{import_id}/errors"
    utf8 = await client.get(url, params={"format": "csv"}, headers=auth("admin"))
    assert utf8.status_code == 200
    assert utf8.headers["content-type"] == "text/csv; charset=utf-8"
    assert utf8.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(utf8.content.decode("utf-8-sig"))))
    assert lines[0] == HEADERS
    assert lines[1] == ["2", "性别", "男孩", "性别“男孩”无法识别，应为：男/女"]
    gb = await client.get(
        url, params={"format": "csv", "encoding": "gb18030"}, headers=auth("admin")
    )
    assert gb.status_code == 200
    assert gb.headers["content-type"] == "text/csv; charset=gb18030"
    assert list(csv.reader(io.StringIO(gb.content.decode("gb18030")))) == lines
    bad = await client.get(url, params={"format": "pdf"}, headers=auth("admin"))
    assert bad.status_code == 422


async def test_the_xlsx_template_keeps_id_numbers_as_text_and_offers_dropdowns(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.get(
        "/api/v1/screening/template", params={"format": "xlsx"}, headers=auth("dir1")
    )
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    header = {str(c.value): get_column_letter(c.column) for c in ws[1] if c.column}
    assert ws.freeze_panes == "A2"
    for name in ("身份证号", "户籍地区划代码", "现居住村居代码", "监护人电话"):
        letter = header[name]
        assert ws.column_dimensions[letter].number_format == "@"
        for row in (3, 500, 1001):
            assert ws[f"{letter}{row}"].number_format == "@", (name, row)
    lists = {
        str(dv.sqref).split(":")[0].rstrip("0123456789"): dv.formula1
        for dv in ws.data_validations.dataValidation
        if dv.type == "list"
    }
    assert lists[header["性别"]] == '"男,女"'
    assert lists[header["随迁情况"]] == '"父母双方,父母一方,其他监护人,无"'
    assert lists[header["父亲有无监护能力"]] == '"有,无"'
    assert lists[header["就学状况"]] == '"未入学,学前,小学,初中,高中,中职,高职,本科"'
    assert lists[header["填报类别"]] == '"流动儿童,留守儿童,无"'
    assert header["身份证号"] not in lists
