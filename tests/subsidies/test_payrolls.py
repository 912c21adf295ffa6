"""Payroll runs: totals, one run per month, approval freezing, adjustments, retroactive standards,
roles, the lines' keyset pages and the bank-transfer export."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Child, PayrollLine, PayrollRun
from tests.conftest import TOWN1, TOWN2, VILLAGE3, AuthHeaders
from tests.subsidies.factories import make_child

P = "/api/v1/subsidy/payrolls"


async def _ledger(session: AsyncSession, settings: Settings) -> dict[str, Child]:
    """Three children paid in 2026-05 and three who are not."""
    return {
        "orphan": await make_child(session, settings),
        "disabled": await make_child(
            session, settings, category="poor_family_disabled", village_code=VILLAGE3
        ),
        "institute": await make_child(
            session, settings, category="de_facto_unsupported", placement="institution"
        ),
        # approved in May: paid from June
        "new": await make_child(session, settings, approved_on=date(2026, 5, 3)),
        # revoked in April: not paid in May
        "revoked": await make_child(
            session, settings, status="revoked", revoked_on=date(2026, 4, 30)
        ),
        # 18 in April 2026
        "adult": await make_child(session, settings, birth_date=date(2008, 4, 2)),
    }


async def _lines(client: httpx.AsyncClient, auth: AuthHeaders, month: str, **params: Any) -> Any:
    r = await client.get(
        f"{P}/{month}/lines", params=params | {"limit": 500}, headers=auth("admin")
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_payroll_lines_and_totals(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    kids = await _ledger(session, settings)
    r = await client.post(P, json={"month": "2026-05"}, headers=auth("admin"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["month"] == "2026-05"
    assert body["status"] == "draft"
    assert body["line_count"] == 3
    assert body["total_amount"] == "6360.00"
    by_cat = {c["category"]: (c["line_count"], c["amount"]) for c in body["totals"]["by_category"]}
    assert by_cat == {
        "orphan": (1, "2650.00"),
        "poor_family_disabled": (1, "1060.00"),
        "de_facto_unsupported": (1, "2650.00"),
    }
    by_town = {t["town_code"]: (t["town_name"], t["amount"]) for t in body["totals"]["by_town"]}
    assert by_town == {
        TOWN1: ("测试一镇", "2650.00"),
        TOWN2: ("测试二镇", "1060.00"),
        None: ("区儿童福利院", "2650.00"),
    }
    lines = await _lines(client, auth, "2026-05")
    paid = {line["child_id"] for line in lines}
    assert paid == {str(kids[k].id) for k in ("orphan", "disabled", "institute")}
    line = next(x for x in lines if x["child_id"] == str(kids["disabled"].id))
    assert line["amount"] == "1060.00"
    assert line["kind"] == "regular"
    assert line["facts"]["category"] == "poor_family_disabled"
    assert line["facts"]["approved_on"] == "2024-01-10"
    assert [p["key"] for p in line["parameters"]] == [
        "living_allowance.standard",
        "living_allowance.poor_family_ratio",
    ]
    assert line["payee"]["id_number_masked"] == kids["disabled"].id_number_masked
    assert line["payee"]["bank_account"] == "6222000011112222"

    got = await client.get(f"{P}/2026-05", headers=auth("auditor"))
    assert got.status_code == 200
    assert got.json()["total_amount"] == "6360.00"


async def test_second_run_for_a_month_is_409_naming_it(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await make_child(session, settings)
    first = await client.post(P, json={"month": "2026-05"}, headers=auth("admin"))
    again = await client.post(P, json={"month": "2026-05"}, headers=auth("admin"))
    assert again.status_code == 409
    problem = again.json()
    assert problem["code"] == "payroll_exists"
    assert problem["existing"] == {"id": first.json()["id"], "month": "2026-05", "status": "draft"}
    count = await session.scalar(
        select(func.count())
        .select_from(PayrollLine)
        .join(PayrollRun)
        .where(PayrollRun.month == date(2026, 5, 1))
    )
    assert count == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "2026-5"}, "month"),
        ({"month": "2026-07"}, "month"),  # the future (today is 2026-06-15)
        ({}, "month"),
        ({"month": "2026-05", "extra": 1}, "extra"),
    ],
)
async def test_bad_payroll_input_is_422_naming_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, body: Any, field: str
) -> None:
    r = await client.post(P, json=body, headers=auth("admin"))
    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await session.scalar(select(func.count()).select_from(PayrollRun)) == 0


@pytest.mark.parametrize("who", ["leader", "auditor", "institute", "sup1", "dir1"])
async def test_only_district_admins_run_payrolls(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    r = await client.post(P, json={"month": "2026-05"}, headers=auth(who))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_payroll_needs_a_token_and_refuses_agencies(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    assert (await client.post(P, json={"month": "2026-05"})).status_code == 401
    r = await client.post(P, json={"month": "2026-05"}, headers=auth(agency="police"))
    assert r.status_code == 403


@pytest.mark.parametrize("who", ["admin", "auditor", "institute", "sup1", "dir1"])
async def test_only_the_leader_approves(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    await client.post(P, json={"month": "2026-05"}, headers=auth("admin"))
    r = await client.post(f"{P}/2026-05/approve", headers=auth(who))
    assert r.status_code == 403
    assert (await client.get(f"{P}/2026-05", headers=auth("admin"))).json()["status"] == "draft"


@pytest.mark.parametrize("who", ["institute", "sup1", "dir1"])
async def test_town_village_and_institute_read_nothing_of_payrolls(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    await client.post(P, json={"month": "2026-05"}, headers=auth("admin"))
    for path in ("", "/lines", "/export"):
        r = await client.get(f"{P}/2026-05{path}", headers=auth(who))
        assert r.status_code == 403, path


async def test_unknown_month_is_404(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    assert (await client.get(f"{P}/2026-01", headers=auth("admin"))).status_code == 404
    r = await client.get(f"{P}/2026-1x", headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "month"


async def test_approval_freezes_the_month_and_changes_become_adjustments(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    a = await make_child(session, settings)
    b = await make_child(session, settings, category="poor_family_seriously_ill")
    late = await make_child(session, settings, approved_on=date(2026, 4, 10))
    assert (
        await client.post(P, json={"month": "2026-04"}, headers=auth("admin"))
    ).status_code == 201
    approved = await client.post(
        f"{P}/2026-04/approve", json={"note": "同意"}, headers=auth("leader")
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == "leader"
    before = await _lines(client, auth, "2026-04")
    assert {x["child_id"] for x in before} == {str(a.id), str(b.id)}
    a_line = next(x for x in before if x["child_id"] == str(a.id))

    # The ledger changes afterwards: a's revocation dated back to March, the late child's
    # approval corrected to February, b's category changed (counts from now on only).
    a.status, a.revoked_on = "revoked", date(2026, 3, 20)
    late.approved_on = date(2026, 2, 10)
    b.category = "orphan"
    await session.flush()

    assert (await client.post(f"{P}/2026-04/recompute", headers=auth("admin"))).status_code == 409
    again = await client.post(f"{P}/2026-04/approve", headers=auth("leader"))
    assert again.status_code == 409
    assert again.json()["code"] == "payroll_not_draft"
    assert await _lines(client, auth, "2026-04") == before  # frozen

    may = await client.post(P, json={"month": "2026-05"}, headers=auth("admin"))
    assert may.status_code == 201
    assert may.json()["adjustment_count"] == 2
    assert may.json()["adjustment_amount"] == "0.00"  # -2650.00 + 2650.00
    adjustments = await _lines(client, auth, "2026-05", kind="adjustment")
    by_child = {x["child_id"]: x for x in adjustments}
    minus = by_child[str(a.id)]
    assert minus["amount"] == "-2650.00"
    assert minus["for_month"] == "2026-04"
    assert minus["original_line_id"] == a_line["id"]
    assert "撤销日期 无 → 2026-03-20" in minus["reason"]
    plus = by_child[str(late.id)]
    assert plus["amount"] == "2650.00"
    assert plus["original_line_id"] is None
    assert "原未发放" in plus["reason"]
    regular = await _lines(client, auth, "2026-05", kind="regular")
    b_line = next(x for x in regular if x["child_id"] == str(b.id))
    assert b_line["amount"] == "2650.00"  # the new category from May on; April not re-paid
    assert str(b.id) not in by_child

    # Recomputing the draft gives the same adjustments, never a second set.
    redo = await client.post(f"{P}/2026-05/recompute", headers=auth("admin"))
    assert redo.status_code == 200
    assert redo.json()["line_count"] == may.json()["line_count"]
    # Approving May settles April: June has no adjustment left.
    assert (await client.post(f"{P}/2026-05/approve", headers=auth("leader"))).status_code == 200
    june = await client.post(P, json={"month": "2026-06"}, headers=auth("admin"))
    assert june.json()["adjustment_count"] == 0


async def test_an_illness_list_in_a_paid_month_needs_no_retroactive(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await make_child(session, settings)
    await client.post(P, json={"month": "2026-04"}, headers=auth("admin"))
    assert (await client.post(f"{P}/2026-04/approve", headers=auth("leader"))).status_code == 200
    listed = {
        "key": "serious_illness_list",
        "value": ["白血病", "尿毒症"],
        "effective_from": "2026-04-01",
        "reference": "测试：区重病目录",
    }
    r = await client.post("/api/v1/subsidy/standards", json=listed, headers=auth("admin"))
    assert r.status_code == 201, r.text  # a list of names changes no amount
    assert r.json()["adjusted_months"] == []
    assert r.json()["value"] == ["白血病", "尿毒症"]


async def test_retroactive_standard_adjusts_the_paid_months(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    orphan = await make_child(session, settings)
    ill = await make_child(session, settings, category="poor_family_seriously_ill")
    await client.post(P, json={"month": "2026-04"}, headers=auth("admin"))
    await client.post(f"{P}/2026-04/approve", headers=auth("leader"))
    new = {
        "key": "living_allowance.standard",
        "value": "2800.00",
        "effective_from": "2026-04-01",
        "reference": "测试：新标准",
    }
    refused = await client.post("/api/v1/subsidy/standards", json=new, headers=auth("admin"))
    assert refused.status_code == 409
    assert refused.json()["code"] == "month_already_paid"
    assert refused.json()["paid_months"] == ["2026-04"]
    ok = await client.post(
        "/api/v1/subsidy/standards", json=new | {"retroactive": True}, headers=auth("admin")
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["retroactive"] is True
    assert ok.json()["adjusted_months"] == ["2026-04"]
    assert sorted(x["amount"] for x in await _lines(client, auth, "2026-04")) == [
        "1060.00",
        "2650.00",
    ]

    may = await client.post(P, json={"month": "2026-05"}, headers=auth("admin"))
    assert may.status_code == 201
    body = may.json()
    assert body["regular_amount"] == "3920.00"  # 2800.00 + 1120.00 (40 % follows the standard)
    assert body["adjustment_amount"] == "210.00"  # 150.00 + 60.00 for April
    adjustments = {
        x["child_id"]: x for x in await _lines(client, auth, "2026-05", kind="adjustment")
    }
    assert adjustments[str(orphan.id)]["amount"] == "150.00"
    assert adjustments[str(ill.id)]["amount"] == "60.00"
    assert "标准追溯调整" in adjustments[str(ill.id)]["reason"]
    assert "2800.00" in adjustments[str(ill.id)]["reason"]


async def test_draft_recompute_and_approval_order(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await make_child(session, settings)
    await client.post(P, json={"month": "2026-04"}, headers=auth("admin"))
    await client.post(P, json={"month": "2026-05"}, headers=auth("admin"))
    early = await client.post(f"{P}/2026-05/approve", headers=auth("leader"))
    assert early.status_code == 409
    assert early.json()["pending_month"] == "2026-04"
    await make_child(session, settings, category="poor_family_disabled")
    redo = await client.post(f"{P}/2026-04/recompute", headers=auth("admin"))
    assert redo.status_code == 200
    assert redo.json()["line_count"] == 2
    assert redo.json()["total_amount"] == "3710.00"
    assert redo.json()["status"] == "draft"


async def test_lines_keyset_pages(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    for _ in range(3):
        await make_child(session, settings)
    await client.post(P, json={"month": "2026-05"}, headers=auth("admin"))
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        r = await client.get(f"{P}/2026-05/lines", params=params, headers=auth("leader"))
        assert r.status_code == 200
        seen += [x["id"] for x in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 3
    assert seen == sorted(set(seen))
    bad = await client.get(f"{P}/2026-05/lines", params={"cursor": "!!"}, headers=auth("admin"))
    assert bad.status_code == 422


async def test_export_is_a_bank_transfer_sheet(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    await make_child(session, settings, guardians=[{"name": "无账号监护人"}])
    await client.post(P, json={"month": "2026-05"}, headers=auth("admin"))
    r = await client.get(f"{P}/2026-05/export", headers=auth("auditor"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = rows[1]
    assert header[:6] == ["序号", "姓名", "身份证号（脱敏）", "监护人", "银行账号", "金额（元）"]
    mine = next(row for row in rows if row[1] == child.name)
    assert mine[2] == child.id_number_masked
    assert "*" in str(mine[2])
    assert mine[3] == "测试监护人"
    assert mine[4] == "6222000011112222"
    assert float(str(mine[5])) == 2650.0
    no_account = next(row for row in rows if row[3] == "无账号监护人")
    assert no_account[4] in ("", None)
    assert no_account[10] == "账号未登记"
    assert rows[-1][0] == "合计"
    assert float(str(rows[-1][5])) == 5300.0


async def test_the_fast_facts_text_is_the_facts_json(
    session: AsyncSession, settings: Settings
) -> None:
    import json

    from app.subsidies.payroll.compute import _facts, _facts_json

    for child in (
        await make_child(session, settings),
        await make_child(
            session,
            settings,
            placement="institution",
            school_stage="not_in_school",
            status="revoked",
            revoked_on=date(2026, 1, 5),
        ),
    ):
        assert json.loads(_facts_json(child)) == _facts(child)
