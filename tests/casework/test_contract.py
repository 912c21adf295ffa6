"""Contract monitoring: agencies, a month's hours against the hours bought, the invoice to the fen."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.casework.rules import month_invoice
from app.config import Settings
from app.kit.clock import FixedClock
from app.kit.spreadsheet import MONEY_FORMAT, TEXT_FORMAT
from tests.casework.factories import (
    case_in_service,
    child_on_assistance,
    make_agency,
    make_case_worker,
    service,
)
from tests.conftest import AuthHeaders
from tests.kit.test_office_exports import find_row, header


@pytest.mark.parametrize(
    ("minutes", "before", "bought", "rate_fen", "fen", "billable"),
    [
        (50, 0, 10, 10000, 8333, 50),  # 83.333… → 83.33
        (100, 0, 10, 10000, 16667, 100),  # 166.666… → 166.67
        (1, 0, 10, 3, 0, 1),  # 0.05 fen → 0.00
        (10, 0, 10, 3, 1, 10),  # 0.5 fen → half up: 0.01
        (90, 0, 10, 12345, 18518, 90),  # 185.175 → 185.18
        (120, 540, 10, 10000, 10000, 60),  # only 60 minutes of the contract remain
        (30, 600, 10, 10000, 0, 0),  # the contract is used up
    ],
)
def test_the_invoice_rounds_once_half_up_to_the_fen(
    minutes: int, before: int, bought: int, rate_fen: int, fen: int, billable: int
) -> None:
    inv = month_invoice(
        minutes_in_month=minutes,
        minutes_before=before,
        hours_bought=bought,
        hourly_rate_fen=rate_fen,
    )
    assert inv.invoice_fen == fen
    assert inv.minutes_billable == billable
    assert inv.minutes_over_contract == minutes - billable


async def test_create_an_agency_and_read_it(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    body = {
        "name": "测试阳光社工服务中心",
        "contract_from": "2026-01-01",
        "contract_to": "2026-12-31",
        "hours_bought": 600,
        "hourly_rate": "123.45",
    }
    r = await client.post("/api/v1/casework/agencies", json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    assert r.json()["hourly_rate"] == "123.45"
    aid = r.json()["id"]
    r = await client.get(f"/api/v1/casework/agencies/{aid}", headers=auth("leader"))
    assert r.status_code == 200
    assert r.headers["etag"]
    # the same name again: 409 naming the field
    r = await client.post("/api/v1/casework/agencies", json=body, headers=auth("admin"))
    assert r.status_code == 409
    assert r.json()["field"] == "name"
    # an Idempotency-Key replays
    key = {"Idempotency-Key": "agency-1"}
    other = body | {"name": "测试另一家机构"}
    first = await client.post("/api/v1/casework/agencies", json=other, headers=auth("admin") | key)
    again = await client.post("/api/v1/casework/agencies", json=other, headers=auth("admin") | key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"contract_from": "2026-13-01"}, "contract_from"),
        ({"contract_to": "2025-12-31"}, "contract_to"),
        ({"hours_bought": 0}, "hours_bought"),
        ({"hours_bought": "100"}, "hours_bought"),
        ({"hourly_rate": 120}, "hourly_rate"),
        ({"hourly_rate": "120.001"}, "hourly_rate"),
        ({"hourly_rate": "0.00"}, "hourly_rate"),
        ({"hourly_rate": "-5.00"}, "hourly_rate"),
        ({"hourly_rate": "abc"}, "hourly_rate"),
        ({"extra": 1}, "extra"),
    ],
)
async def test_bad_agency_input_names_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, change: dict[str, object], field: str
) -> None:
    body = {
        "name": "测试机构",
        "contract_from": "2026-01-01",
        "contract_to": "2026-12-31",
        "hours_bought": 600,
        "hourly_rate": "120.00",
    } | change
    r = await client.post("/api/v1/casework/agencies", json=body, headers=auth("admin"))
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert any(f == field or f.startswith(field) for f in fields), fields


async def test_a_month_against_the_contract_to_the_fen(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # 2 hours bought at 100.00/hour: May uses 100 minutes, June 50 + 40 (only 20 still paid)
    agency = await make_agency(session, hours_bought=2, hourly_rate_fen=10000)
    worker = auth(user_id=await make_case_worker(session, agency.id))
    clock.set(datetime.fromisoformat("2026-05-02T02:00:00+00:00"))
    child = await child_on_assistance(session, settings)
    case = await case_in_service(client, auth, child.id, worker, agency.id, on="2026-05-02")
    url = f"/api/v1/cases/{case['id']}/services"
    r = await client.post(url, json=service(served_on="2026-05-02", minutes=100), headers=worker)
    assert r.status_code == 201, r.text
    clock.set(datetime.fromisoformat("2026-06-15T02:00:00+00:00"))
    for minutes in (50, 40):
        r = await client.post(
            url, json=service(served_on="2026-06-10", minutes=minutes), headers=worker
        )
        assert r.status_code == 201, r.text

    may = (
        await client.get(
            f"/api/v1/casework/agencies/{agency.id}/months/2026-05", headers=auth("admin")
        )
    ).json()
    assert may["minutes_delivered"] == 100
    assert may["hours_delivered"] == "1.67"
    assert may["invoice_amount"] == "166.67"  # 100 × 100.00 ÷ 60, half up
    assert may["hours_bought"] == 2
    assert may["cases_open"] == 1

    june = (
        await client.get(f"/api/v1/casework/agencies/{agency.id}/months/2026-06", headers=worker)
    ).json()
    assert june["minutes_delivered"] == 90
    assert june["hours_delivered"] == "1.50"
    assert june["hours_delivered_before"] == "1.67"
    assert june["hours_billable"] == "0.33"  # 20 minutes left of the 2 hours
    assert june["hours_over_contract"] == "1.17"
    assert june["invoice_amount"] == "33.33"
    assert june["hours_remaining"] == "0.00"
    assert june["services"] == 2
    # the two months together never exceed hours bought × rate
    assert Decimal(may["invoice_amount"]) + Decimal(june["invoice_amount"]) == Decimal("200.00")

    july = (
        await client.get(
            f"/api/v1/casework/agencies/{agency.id}/months/2026-07", headers=auth("auditor")
        )
    ).json()
    assert (july["minutes_delivered"], july["invoice_amount"]) == (0, "0.00")

    r = await client.get(
        f"/api/v1/casework/agencies/{agency.id}/months/2026-06/export", headers=auth("admin")
    )
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if len(row) > 1}
    assert cells["本月结算金额（元）"] == 33.33
    assert cells["本月服务时数"] == "1.50"
    served = [row[4] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert sorted(int(str(m)) for m in served) == [40, 50]

    r = await client.get(
        f"/api/v1/casework/agencies/{agency.id}/months/2026-13", headers=auth("admin")
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "month"


async def test_services_outside_the_contract_are_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    agency = await make_agency(session, contract_to=date(2026, 6, 30))
    worker = auth(user_id=await make_case_worker(session, agency.id))
    child = await child_on_assistance(session, settings)
    case = await case_in_service(client, auth, child.id, worker, agency.id)
    url = f"/api/v1/cases/{case['id']}/services"
    for served_on in ("2026-06-16", "2026-06-14", "2026-07-01", "2026-13-01"):
        r = await client.post(url, json=service(served_on=served_on), headers=worker)
        assert r.status_code == 422, served_on
        assert r.json()["errors"][0]["field"] == "served_on"
    for bad, field in (
        ({"mode": "email"}, "mode"),
        ({"goal_id": "not-a-uuid"}, "goal_id"),
        ({"notes": "x" * 10001}, "notes"),
        ({"disclosure": "yes"}, "disclosure"),
        ({"id": "1"}, "id"),
    ):
        r = await client.post(url, json=service(**bad), headers=worker)
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["field"] == field


async def test_the_month_export_is_laid_out_for_an_office(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    agency = await make_agency(session, hours_bought=2, hourly_rate_fen=10000)
    worker = auth(user_id=await make_case_worker(session, agency.id))
    child = await child_on_assistance(session, settings)
    case = await case_in_service(client, auth, child.id, worker, agency.id)
    url = f"/api/v1/cases/{case['id']}/services"
    r = await client.post(url, json=service(served_on="2026-06-15", minutes=50), headers=worker)
    assert r.status_code == 201, r.text
    r = await client.get(
        f"/api/v1/casework/agencies/{agency.id}/months/2026-06/export", headers=auth("admin")
    )
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    cols = header(sheet)  # the title (district, generation time), frozen bold header
    assert "精准帮扶服务结算表" in str(sheet["A1"].value)
    assert "2026-06" in str(sheet["A1"].value)
    assert list(cols) == ["项目", "数值"]
    invoice = sheet.cell(find_row(sheet, 1, "本月结算金额（元）"), 2)
    assert invoice.data_type == "n"
    assert invoice.value == 83.33
    assert invoice.number_format == MONEY_FORMAT
    rate = sheet.cell(find_row(sheet, 1, "小时单价（元）"), 2)
    assert (rate.value, rate.number_format) == (100, MONEY_FORMAT)
    table = find_row(sheet, 1, "序号")
    labels = [sheet.cell(table, c).value for c in range(1, 7)]
    assert labels == ["序号", "服务日期", "儿童", "方式", "分钟", "个案编号"]
    assert all(sheet.cell(table, c).font.b for c in range(1, 7))
    first = table + 1
    served = sheet.cell(first, 2)
    assert isinstance(served.value, datetime)
    assert served.value.date() == date(2026, 6, 15)
    assert served.number_format == "yyyy-mm-dd"
    assert sheet.cell(first, 3).value == child.name
    assert sheet.cell(first, 5).value == 50
    case_cell = sheet.cell(first, 6)
    assert (case_cell.value, case_cell.data_type) == (case["id"], "s")
    assert case_cell.number_format == TEXT_FORMAT
    assert sheet.column_dimensions["F"].width >= 36
