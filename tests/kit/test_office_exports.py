"""Exports an office can use (issue 29), opened with openpyxl as Excel would open them.

Each workbook: a title row with the district, the period and the generation time; a bold header
frozen under it; columns with widths; money as numbers shown `#,##0.00`; real dates; ID numbers
as text (never `1.10115E+17`); towns and villages by name with their codes in their own column;
Chinese labels for fields and values.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import httpx
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.spreadsheet import MONEY_FORMAT, TEXT_FORMAT
from tests.children.factories import create, institution_body, new_id
from tests.conftest import VILLAGE3, AuthHeaders
from tests.subsidies.factories import make_child


def header(ws: Worksheet) -> dict[str, int]:
    """The header row's labels → their column numbers, after checking the office layout."""
    title = ws.cell(1, 1)
    assert isinstance(title.value, str)
    assert "测试区" in title.value  # the district
    assert "生成于 2026-06-15 10:00" in title.value  # Beijing time of generation
    assert title.font.b
    assert ws.freeze_panes == "A3"
    cells = [c for c in ws[2] if c.value is not None]
    assert cells
    assert all(c.font.b for c in cells)
    for c in cells:
        width = ws.column_dimensions[c.column_letter].width
        assert width >= 6, (c.value, width)
    return {str(c.value): c.column for c in cells}


def find_row(ws: Worksheet, column: int, value: Any) -> int:
    return next(r for r in range(3, ws.max_row + 1) if ws.cell(r, column).value == value)


async def test_ledger_export_is_laid_out_for_an_office(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    idn = new_id(date(2013, 1, 2))
    child = await create(client, auth("admin"), id_number=idn, name="表格儿童")
    await create(client, auth("admin"), village_code=VILLAGE3)
    await client.post("/api/v1/children", json=institution_body(), headers=auth("admin"))
    r = await client.patch(
        f"/api/v1/children/{child['id']}",
        json={"school_name": "演示中学", "category": "de_facto_unsupported"},
        headers=auth("admin") | {"If-Match": '"1"'},
    )
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:  # the category needs other facts: the school alone then
        r = await client.patch(
            f"/api/v1/children/{child['id']}",
            json={"school_name": "演示中学"},
            headers=auth("admin") | {"If-Match": '"1"'},
        )
        assert r.status_code == 200, r.text
    x = await client.get("/api/v1/ledger/2026-06/export", headers=auth("admin"))
    assert x.status_code == 200
    wb = load_workbook(io.BytesIO(x.content))

    totals = wb["汇总"]
    cols = header(totals)
    assert "困境儿童工作台账" in str(totals["A1"].value)
    assert "2026-06" in str(totals["A1"].value)
    assert list(cols) == ["项目", "类别", "人数"]
    row = find_row(totals, 1, "合计")
    assert totals.cell(row, 3).value == 3
    assert totals.cell(row, 3).data_type == "n"

    register = wb["花名册"]
    cols = header(register)
    assert list(cols)[:3] == ["序号", "姓名", "身份证号码"]
    for name in ("镇街", "镇街代码", "村居", "村居代码", "出生日期", "批准日期"):
        assert name in cols
    row = find_row(register, cols["姓名"], "表格儿童")
    id_cell = register.cell(row, cols["身份证号码"])
    assert id_cell.data_type == "s"
    assert id_cell.number_format == TEXT_FORMAT
    assert id_cell.value == idn[:6] + "********" + idn[14:]
    assert register.column_dimensions[id_cell.column_letter].width >= 20
    born = register.cell(row, cols["出生日期"])
    assert isinstance(born.value, datetime)
    assert born.value.date() == date(2013, 1, 2)
    assert born.number_format == "yyyy-mm-dd"
    assert register.cell(row, cols["镇街"]).value == "测试一镇"
    assert register.cell(row, cols["镇街代码"]).value == "110115001"
    assert register.cell(row, cols["村居"]).value == "测试一村"
    assert register.cell(row, cols["村居代码"]).value == "110115001001"
    assert register.cell(row, cols["村居代码"]).data_type == "s"
    assert register.cell(row, cols["性别"]).value == "男"
    assert register.cell(row, cols["类别"]).value in ("孤儿", "事实无人抚养儿童")
    assert register.cell(row, cols["供养方式"]).value == "社会散居"
    institution = find_row(register, cols["供养方式"], "机构供养")
    assert register.cell(institution, cols["村居"]).value in ("", None)

    moves = wb["变动"]
    cols = header(moves)
    kinds = [moves.cell(r, 1).value for r in range(3, moves.max_row + 1)]
    assert kinds.count("新增") == 3
    assert kinds.count("变更") == 1
    changed = find_row(moves, 1, "变更")
    text = str(moves.cell(changed, cols["变更内容"]).value)
    assert "学校名称：测试小学 → 演示中学" in text
    assert "school_name" not in text
    assert moves.cell(changed, cols["村居"]).value == "测试一村"


async def test_payroll_export_has_money_as_numbers_and_text_ids(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    await make_child(session, settings)
    await client.post("/api/v1/subsidy/payrolls", json={"month": "2026-05"}, headers=auth("admin"))
    r = await client.get("/api/v1/subsidy/payrolls/2026-05/export", headers=auth("admin"))
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    sheet = wb.worksheets[0]
    cols = header(sheet)
    assert "2026-05" in str(sheet["A1"].value)
    assert "生活补贴发放表" in str(sheet["A1"].value)
    row = find_row(sheet, cols["姓名"], child.name)
    amount = sheet.cell(row, cols["金额（元）"])
    assert amount.data_type == "n"
    assert amount.value == 2650
    assert amount.number_format == MONEY_FORMAT
    for text_column in ("身份证号（脱敏）", "银行账号", "镇街代码"):
        cell = sheet.cell(row, cols[text_column])
        assert cell.data_type == "s"
        assert cell.number_format == TEXT_FORMAT
    assert sheet.cell(row, cols["银行账号"]).value == "6222000011112222"
    assert sheet.cell(row, cols["类别"]).value == "孤儿"
    assert sheet.cell(row, cols["发放类型"]).value == "正常发放"
    total = find_row(sheet, 1, "合计")
    assert sheet.cell(total, cols["金额（元）"]).value == 5300
    assert sheet.cell(total, cols["金额（元）"]).number_format == MONEY_FORMAT
    assert sheet.cell(total, 1).font.b

    summary = wb["汇总"]
    cols = header(summary)
    assert list(cols) == ["汇总方式", "名称", "笔数", "金额（元）"]
    by_category = find_row(summary, cols["名称"], "孤儿")
    assert summary.cell(by_category, cols["笔数"]).value == 2
    assert summary.cell(by_category, cols["金额（元）"]).number_format == MONEY_FORMAT
