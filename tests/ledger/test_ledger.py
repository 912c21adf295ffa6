"""The monthly ledger: totals, movements, stability of a past month, closing, the xlsx."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from app.kit.clock import FixedClock
from tests.children.factories import child_body, create, institution_body, new_id, parent
from tests.conftest import VILLAGE3, AuthHeaders

URL = "/api/v1/ledger"


async def ledger(client: httpx.AsyncClient, auth: AuthHeaders, month: str) -> dict[str, Any]:
    r = await client.get(f"{URL}/{month}", headers=auth("admin"))
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def test_totals_and_movements_of_the_month(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    a = await create(client, auth("admin"))
    await create(client, auth("admin"), village_code=VILLAGE3)
    await client.post("/api/v1/children", json=institution_body(), headers=auth("admin"))
    await client.patch(
        f"/api/v1/children/{a['id']}",
        json={"school_name": "新学校"},
        headers=auth("admin") | {"If-Match": '"1"'},
    )
    june = await ledger(client, auth, "2026-06")
    t = june["totals"]
    assert t["total"] == 3
    assert t["by_category"]["orphan"] == 3
    assert t["by_placement"] == {"dispersed": 2, "institution": 1}
    assert [(x["town_code"], x["count"]) for x in t["by_town"]] == [
        ("110115001", 1),
        ("110115002", 1),
    ]
    assert t["by_town"][0]["town_name"] == "测试一镇"
    assert len(june["additions"]) == 3
    assert len(june["changes"]) == 1
    assert june["changes"][0]["changes"] == [
        {"field": "school_name", "from": "测试小学", "to": "新学校"}
    ]
    assert june["closed"] is False
    may = await ledger(client, auth, "2026-05")
    assert may["totals"]["total"] == 0
    assert may["additions"] == []


async def test_a_past_month_reads_the_same_tomorrow(
    client: httpx.AsyncClient, auth: AuthHeaders, clock: FixedClock
) -> None:
    a = await create(client, auth("admin"))
    before = await ledger(client, auth, "2026-06")
    clock.set(datetime(2026, 7, 3, 2, tzinfo=UTC))
    await client.post(
        f"/api/v1/children/{a['id']}/revoke",
        json={"reason": "moved_away", "effective_on": "2026-07-01"},
        headers=auth("admin"),
    )
    await create(client, auth("admin"), category="de_facto_unsupported", parents=[
        parent("father", "imprisoned", "2024-01-01", term_months=36),
        parent("mother", "deceased", "2023-01-01"),
    ])  # fmt: skip
    await client.patch(
        f"/api/v1/children/{a['id']}", json={"name": "改名"},
        headers=auth("admin") | {"If-Match": '"2"'},
    )  # fmt: skip
    after = await ledger(client, auth, "2026-06")
    assert after == before
    july = await ledger(client, auth, "2026-07")
    assert july["totals"]["total"] == 1
    assert july["totals"]["by_category"]["de_facto_unsupported"] == 1
    assert [m["child_id"] for m in july["revocations"]] == [a["id"]]
    assert len(july["additions"]) == 1
    assert (await client.get(f"{URL}/2026-08", headers=auth("admin"))).status_code == 422


async def test_closing_freezes_and_late_corrections_land_next_month(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    a = await create(client, auth("admin"))
    r = await client.post(f"{URL}/2026-06/close", headers=auth("leader"))
    assert r.status_code == 403
    r = await client.post(f"{URL}/2026-06/close", headers=auth("admin"))
    assert r.status_code == 200
    assert r.json()["closed"] is True
    frozen = await ledger(client, auth, "2026-06")
    assert frozen["closed"] is True
    assert frozen["closed_by"] == "admin"
    # a correction made while June is closed counts in July, flagged as late
    await client.patch(
        f"/api/v1/children/{a['id']}",
        json={"category": "de_facto_unsupported", "parents": [
            parent("father", "imprisoned", "2024-01-01", term_months=36),
            parent("mother", "deceased", "2023-01-01"),
        ], "reason": "更正类别"},
        headers=auth("admin") | {"If-Match": '"1"'},
    )  # fmt: skip
    b = await client.post("/api/v1/children", json=child_body(), headers=auth("admin"))
    assert b.status_code == 201
    assert await ledger(client, auth, "2026-06") == frozen
    h = (await client.get(f"/api/v1/children/{a['id']}/history", headers=auth("admin"))).json()
    assert h[-1]["ledger_month"] == "2026-07"
    clock_july = await client.get(f"{URL}/2026-07", headers=auth("admin"))
    assert clock_july.status_code == 422  # July has not begun yet
    assert (await client.post(f"{URL}/2026-06/close", headers=auth("admin"))).status_code == 409
    assert (await client.post(f"{URL}/2026-09/close", headers=auth("admin"))).status_code == 422
    assert (await client.post(f"{URL}/June/close", headers=auth("admin"))).status_code == 422


async def test_late_corrections_are_visible_in_the_next_month(
    client: httpx.AsyncClient, auth: AuthHeaders, clock: FixedClock
) -> None:
    a = await create(client, auth("admin"))
    assert (await client.post(f"{URL}/2026-06/close", headers=auth("admin"))).status_code == 200
    await client.patch(
        f"/api/v1/children/{a['id']}", json={"school_name": "更正学校"},
        headers=auth("admin") | {"If-Match": '"1"'},
    )  # fmt: skip
    clock.set(datetime(2026, 7, 2, 2, tzinfo=UTC))
    july = await ledger(client, auth, "2026-07")
    assert [m["late"] for m in july["changes"]] == [True]
    assert july["totals"]["total"] == 1


@pytest.mark.parametrize(
    ("user", "status"),
    [("dir1", 403), ("sup1", 403), ("institute", 403), ("leader", 200), ("auditor", 200)],
)
async def test_who_reads_the_ledger(
    client: httpx.AsyncClient, auth: AuthHeaders, user: str, status: int
) -> None:
    assert (await client.get(f"{URL}/2026-06", headers=auth(user))).status_code == status
    assert (await client.get(f"{URL}/2026-06/export", headers=auth(user))).status_code == status


async def test_bad_month_and_no_token(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    for bad in ("2026-13", "2026-6", "abc"):
        r = await client.get(f"{URL}/{bad}", headers=auth("admin"))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "month"
    assert (await client.get(f"{URL}/2026-06")).status_code == 401


async def test_export_opens_with_openpyxl_and_holds_the_totals(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    idn = new_id(date(2013, 1, 2))
    await create(client, auth("admin"), id_number=idn, name="表格儿童")
    await create(client, auth("admin"), village_code=VILLAGE3)
    await client.post("/api/v1/children", json=institution_body(), headers=auth("admin"))
    r = await client.get(f"{URL}/2026-06/export", headers=auth("admin"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["汇总", "花名册", "变动"]
    totals = {
        (row[0], row[1] or ""): row[2]
        for row in wb["汇总"].iter_rows(min_row=3, values_only=True)
        if row[0]
    }
    assert totals[("合计", "")] == 3
    assert totals[("按类别", "孤儿")] == 3
    assert totals[("按供养方式", "社会散居")] == 2
    assert totals[("按供养方式", "机构供养")] == 1
    assert totals[("按镇街", "测试二镇")] == 1
    register = list(wb["花名册"].iter_rows(min_row=2, values_only=True))
    assert register[0][:3] == ("序号", "姓名", "身份证号码")
    assert len(register) == 4
    row = next(r for r in register if r[1] == "表格儿童")
    assert row[2] == idn[:6] + "********" + idn[14:]
    moves = list(wb["变动"].iter_rows(min_row=2, values_only=True))
    assert moves[0][0] == "变动类型"
    assert [m[0] for m in moves[1:]] == ["新增", "新增", "新增"]
