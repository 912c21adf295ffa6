"""Formula injection (issue 20): user text in every xlsx and CSV the service writes stays text.

A child named `=HYPERLINK("http://x","y")` became a live formula in the ledger export. Cells
starting with `=`, `+`, `-`, `@`, a tab or a carriage return are prefixed with `'` (OWASP's
CSV-injection rule); numbers, negative money included, stay numbers.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal

import httpx
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.spreadsheet import csv_field, safe_cell, safe_row
from app.models import ScreeningImport, ScreeningImportError
from tests.children.factories import create
from tests.conftest import DISTRICT, AuthHeaders, Base, area_path
from tests.subsidies.factories import make_child

LINK = '=HYPERLINK("http://x","y")'


def test_text_that_could_be_a_formula_is_quoted_and_numbers_stay_numbers() -> None:
    for bad in (LINK, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(bad) == "'" + bad
    assert safe_row(["张三", "", None, 5, -5, Decimal("-26.50"), 1.5, date(2026, 6, 1)]) == [
        "张三",
        "",
        None,
        5,
        -5,
        Decimal("-26.50"),
        1.5,
        date(2026, 6, 1),
    ]
    assert csv_field(LINK) == '"\'=HYPERLINK(""http://x"",""y"")"'
    assert csv_field("-1") == "'-1"
    assert csv_field(-1) == "-1"
    assert csv_field(None) == ""
    assert csv_field("a,b") == '"a,b"'


async def test_ledger_export_writes_a_formula_like_name_as_text(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    await create(client, auth("admin"), name=LINK)
    r = await client.get("/api/v1/ledger/2026-06/export", headers=auth("admin"))
    assert r.status_code == 200, r.text
    wb = load_workbook(io.BytesIO(r.content))
    names = [row[1] for row in wb["花名册"].iter_rows(min_row=2)]
    [cell] = [c for c in names if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cell.data_type == "s"
    assert cell.value == "'" + LINK
    [moved] = [
        row[1] for row in wb["变动"].iter_rows(min_row=2) if "HYPERLINK" in str(row[1].value)
    ]
    assert (moved.data_type, moved.value) == ("s", "'" + LINK)
    # The counts stay numbers.
    totals = {row[0].value: row[2] for row in wb["汇总"].iter_rows(min_row=3) if row[0].value}
    assert totals["合计"].data_type == "n"


async def test_payroll_export_writes_text_as_text_and_money_as_numbers(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings, guardians=[{"name": "@SUM(1+1)*cmd|'/C calc'!A0"}])
    await client.post("/api/v1/subsidy/payrolls", json={"month": "2026-05"}, headers=auth("admin"))
    r = await client.get("/api/v1/subsidy/payrolls/2026-05/export", headers=auth("admin"))
    assert r.status_code == 200, r.text
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    [mine] = [row for row in sheet.iter_rows(min_row=3) if row[1].value == child.name]
    guardian, amount = mine[3], mine[5]
    assert (guardian.data_type, guardian.value) == ("s", "'@SUM(1+1)*cmd|'/C calc'!A0")
    assert amount.data_type == "n"
    assert float(str(amount.value)) == 2650.0


async def test_error_report_csv_writes_a_formula_like_reason_as_text(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, base: Base
) -> None:
    # Reasons today begin with the column's name; the writer must not rely on it. The rows are
    # laid in the test's transaction, as an import would write them.
    imp = ScreeningImport(
        id=uuid.uuid4(),
        status="done",
        file_name="x.csv",
        file_kind="csv",
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
            ScreeningImportError(import_id=imp.id, row_number=2, column="name", reason=LINK),
            ScreeningImportError(import_id=imp.id, row_number=3, column="name", reason="-1+2"),
        ]
    )
    await session.flush()
    r = await client.get(
        f"/api/v1/screening/imports/{imp.id}/errors",
        params={"format": "csv"},
        headers=auth("admin"),
    )
    assert r.status_code == 200, r.text
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[1:] == [["2", "姓名", "", "'" + LINK], ["3", "姓名", "", "'-1+2"]]
