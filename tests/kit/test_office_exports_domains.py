"""The other packages' workbooks laid out for an office (issue 29), as `test_office_exports`
checks the ledger's and the payroll's: a title row with the district, the period and the
generation time; a bold header frozen under it; widths; money as numbers `#,##0.00`; real dates;
ID numbers as text; Chinese labels."""

from __future__ import annotations

import io
from datetime import date, datetime

import httpx
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.spreadsheet import MONEY_FORMAT, TEXT_FORMAT
from tests.conftest import AuthHeaders
from tests.insurance.factories import INS, YEAR, enrol, kid, schemes
from tests.kit.test_office_exports import find_row, header


async def test_insurance_submission_file_is_laid_out_for_an_office(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    q = {"year": YEAR, "scheme": "basic_medical"}
    await schemes(client, auth, years=(YEAR - 1, YEAR))
    a, a_id = await kid(session, settings)
    leaving, _ = await kid(session, settings, birth_date=date(2008, 12, 1))
    r = await enrol(client, auth, leaving, year=YEAR - 1, status="enrolled", policy_number="OLD-9")
    assert r.status_code == 201, r.text
    await client.post(f"{INS}/worklist/generate", json=q, headers=auth("admin"))
    r = await client.post(f"{INS}/submission-file", json=q, headers=auth("admin"))
    assert r.status_code == 200, r.text
    wb = load_workbook(io.BytesIO(r.content))

    sheet = wb["参保名单"]
    cols = header(sheet)
    assert "参保报送名单" in str(sheet["A1"].value)
    assert f"{YEAR} 年度" in str(sheet["A1"].value)
    assert list(cols)[:3] == ["序号", "姓名", "身份证号"]
    row = find_row(sheet, cols["身份证号"], a_id)
    id_cell = sheet.cell(row, cols["身份证号"])
    assert id_cell.data_type == "s"
    assert id_cell.number_format == TEXT_FORMAT
    assert sheet.column_dimensions[get_column_letter(cols["身份证号"])].width >= 20
    born = sheet.cell(row, cols["出生日期"])
    assert isinstance(born.value, datetime)
    assert born.value.date() == a.birth_date
    assert born.number_format == "yyyy-mm-dd"
    premium = sheet.cell(row, cols["保费（元）"])
    assert premium.data_type == "n"
    assert premium.value == 380
    assert premium.number_format == MONEY_FORMAT
    assert sheet.cell(row, cols["性别"]).value in ("男", "女")
    assert sheet.cell(row, cols["险种"]).value == "城乡居民基本医疗保险"
    total = find_row(sheet, 1, "合计")
    assert sheet.cell(total, cols["保费（元）"]).number_format == MONEY_FORMAT
    assert sheet.cell(total, 1).font.b

    stop = wb["停保名单"]
    cols = header(stop)
    assert list(cols) == ["序号", "姓名", "身份证号（脱敏）", "上年保单号", "停保原因"]
    row = find_row(stop, cols["上年保单号"], "OLD-9")
    masked = stop.cell(row, cols["身份证号（脱敏）"])
    assert masked.value == leaving.id_number_masked
    assert masked.data_type == "s"
    assert masked.number_format == TEXT_FORMAT
    assert stop.cell(row, cols["停保原因"]).value == "已满18周岁"
