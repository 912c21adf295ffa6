"""Each classification rule and its boundaries, through upload → worker → records/errors."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.kit.clock import FixedClock
from tests.conftest import AuthHeaders
from tests.screening.factories import csv_bytes, id_number, import_file, row


async def _one(client: httpx.AsyncClient, h: dict[str, str], name: str) -> dict[str, Any]:
    r = await client.get("/api/v1/screening/records", headers=h, params={"q": name})
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    detail = await client.get(f"/api/v1/screening/records/{item['id']}", headers=h)
    out: dict[str, Any] = detail.json()
    return out


async def test_rules_and_boundaries(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
) -> None:
    h = auth("admin")
    six_months = row(residence_since="2025-12-01")  # screened 2026-06-01: exactly 6 months
    short = row(residence_since="2025-12-02")  # one day short
    age15 = row(birth=date(2010, 6, 2))  # 15 on 2026-06-01 (16 the next day)
    age16 = row(birth=date(2010, 6, 1))  # 16 on the screening day
    left = row(
        hukou_code="110115",
        accompanied_by="无",
        father_away_since="2025-12-01",
        mother_away_since="2025-11-01",
        stated_classification="留守儿童",
    )
    one_away_other_cannot = row(
        hukou_code="110115001",
        father_away_since="2025-01-01",
        mother_can_guard="无",
        stated_classification="留守儿童",
    )
    one_away_other_can = row(
        hukou_code="110115", father_away_since="2025-01-01", stated_classification="无"
    )
    after = row(residence_since="2026-07-01", stated_classification="")
    mismatch = row(birth_date="2016-03-06")  # the ID says 2016-03-05
    bad_check = row()
    bad_check["id_number"] = bad_check["id_number"][:17] + (
        "0" if bad_check["id_number"][17] != "0" else "1"
    )
    unknown_village = row(village_code="110115009009")
    no_id = row(id_number="", birth_date="2015/4/3", gender="男")
    rows = [
        six_months, short, age15, age16, left, one_away_other_cannot, one_away_other_can,
        after, mismatch, bad_check, unknown_village, no_id,
    ]  # fmt: skip
    body = await import_file(
        committed_client, h, committed_engine, settings, clock, csv_bytes(rows)
    )
    assert body["status"] == "done", body
    assert body["total_rows"] == 12
    assert body["rejected"] == 3
    assert body["inserted"] == 9
    # short, age16 (stated migrant), after (residence after screening)
    assert body["flagged"] == 3

    expect = {
        "six_months": (six_months, "migrant", []),
        "short": (short, "neither", ["stated_classification_mismatch"]),
        "age15": (age15, "migrant", []),
        "age16": (age16, "neither", ["stated_classification_mismatch"]),
        "left": (left, "left_behind", []),
        "one_away_other_cannot": (one_away_other_cannot, "left_behind", []),
        "one_away_other_can": (one_away_other_can, "neither", []),
        "after": (after, "neither", ["residence_after_screening"]),
        "no_id": (no_id, "migrant", []),
    }
    for label, (r, classification, flags) in expect.items():
        record = await _one(committed_client, h, r["name"])
        assert record["classification"] == classification, label
        assert [f["code"] for f in record["flags"]] == flags, label
    assert (await _one(committed_client, h, age15["name"]))["age_at_screening"] == 15
    assert (await _one(committed_client, h, no_id["name"]))["id_number"] is None

    errors = await committed_client.get(
        f"/api/v1/screening/imports/{body['id']}/errors", params={"format": "csv"}, headers=h
    )
    assert errors.status_code == 200
    assert errors.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig"))))
    assert lines[0] == ["行号", "列名", "填写内容", "错误原因"]
    by_row = {int(r): (c, reason) for r, c, _, reason in lines[1:]}
    assert by_row[10] == ("出生日期", "出生日期与身份证号不一致")
    assert by_row[11][0] == "身份证号"
    assert by_row[12][0] == "现居住村居代码"
    assert "110115009009" in by_row[12][1]


async def test_same_child_twice_in_a_file_rejects_the_second_naming_the_first(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
) -> None:
    h = auth("admin")
    first = row()
    no_id = row(id_number="", birth_date="2014-01-02")
    rows = [
        first,
        row(),
        dict(first, school_status="初中"),
        no_id,
        dict(no_id, health_status="一般"),
    ]
    body = await import_file(
        committed_client, h, committed_engine, settings, clock, csv_bytes(rows)
    )
    assert (body["inserted"], body["rejected"]) == (3, 2)
    errors = await committed_client.get(
        f"/api/v1/screening/imports/{body['id']}/errors", params={"format": "csv"}, headers=h
    )
    lines = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig"))))[1:]
    assert [[r, c, reason] for r, c, _, reason in lines] == [
        ["4", "身份证号", "与第2行重复"],
        ["6", "姓名", "与第5行重复"],
    ]
    # the first occurrence is the one stored
    r = await committed_client.get(
        "/api/v1/screening/records", headers=h, params={"q": first["id_number"]}
    )
    [record] = r.json()["items"]
    assert record["school_status"] == "primary"


async def test_id_search_finds_by_hmac_and_masks(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
) -> None:
    h = auth("admin")
    r = row(id_number=id_number(date(2016, 3, 5)))
    await import_file(committed_client, h, committed_engine, settings, clock, csv_bytes([r]))
    found = await committed_client.get(
        "/api/v1/screening/records", headers=h, params={"q": r["id_number"].lower()}
    )
    [item] = found.json()["items"]
    assert item["name"] == r["name"]
    assert item["id_number"] == r["id_number"][:6] + "********" + r["id_number"][14:]
    detail = await committed_client.get(f"/api/v1/screening/records/{item['id']}", headers=h)
    assert detail.json()["id_number"] == r["id_number"]  # a district admin reading one record
    leader = await committed_client.get(
        f"/api/v1/screening/records/{item['id']}", headers=auth("leader")
    )
    assert leader.json()["id_number"] == item["id_number"]
