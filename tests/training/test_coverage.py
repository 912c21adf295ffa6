"""Coverage of the year per town and role (workers = trained + untrained; hours; those never
trained on mandatory reporting) and the certificates list."""

from __future__ import annotations

import io
from typing import Any

import httpx
from openpyxl import load_workbook

from app.kit.spreadsheet import TEXT_FORMAT
from tests.conftest import DISTRICT, TOWN1, TOWN2, AuthHeaders, Base
from tests.kit.test_office_exports import find_row, header
from tests.training.factories import attend, create

C = "/api/v1/training/coverage"


def _town(out: dict[str, Any], code: str) -> dict[str, Any]:
    return next(t for t in out["towns"] if t["code"] == code)


def _role(town: dict[str, Any], role: str) -> dict[str, Any]:
    return next(r for r in town["roles"] if r["role"] == role)


async def test_coverage_arithmetic(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    u = base.users
    # district session (3.5 h, mandatory reporting): sup1 present, sup2 absent, institute present
    d = await create(client, auth, "admin", level="district")
    assert (await attend(client, auth, d["id"], u["sup1"])).status_code == 201
    assert (await attend(client, auth, d["id"], u["sup2"], "absent")).status_code == 201
    assert (await attend(client, auth, d["id"], u["institute"])).status_code == 201
    # town 1's session for its directors (2 h, no mandatory reporting): dir1 present, dir2 excused
    t = await create(client, auth, "sup1", hours=2, topics=["home_visits"])
    assert (await attend(client, auth, t["id"], u["dir1"], by="sup1")).status_code == 201
    assert (await attend(client, auth, t["id"], u["dir2"], "excused", by="sup1")).status_code == 201
    # last year's session on mandatory reporting for dir2: counts for "ever", not for this year
    old = await create(client, auth, "sup1", held_on="2025-11-01", hours=1)
    assert (await attend(client, auth, old["id"], u["dir2"], by="sup1")).status_code == 201

    r = await client.get(C, params={"year": 2026}, headers=auth("admin"))
    assert r.status_code == 200, r.text
    out = r.json()
    # the base: town 1 sup1 dir1 dir2; town 2 sup2 dir3; the district institute protect counsel
    # caseworker (9 workers; admins, the leader and the auditor are not counted)
    assert out["workers"] == 9
    assert out["trained"] == 3  # sup1, institute, dir1
    assert out["untrained_count"] == 6
    assert out["hours"] == 3.5 + 3.5 + 2
    assert out["coverage"] == 0.3333
    assert out["towns_without_town_session"] == [TOWN2]
    town1 = _town(out, TOWN1)
    assert (town1["workers"], town1["trained"], town1["town_sessions"]) == (3, 2, 2 - 1)
    assert town1["untrained"] == [str(u["dir2"])]
    assert town1["hours"] == 5.5
    # dir1's town session had no mandatory reporting; dir2 had it last year
    assert town1["never_trained_on_mandatory_reporting"] == [str(u["dir1"])]
    directors = _role(town1, "village_director")
    assert (directors["workers"], directors["trained"], directors["hours"]) == (2, 1, 2)
    town2 = _town(out, TOWN2)
    assert (town2["workers"], town2["trained"], town2["coverage"]) == (2, 0, 0)
    assert set(town2["untrained"]) == {str(u["sup2"]), str(u["dir3"])}
    district = _town(out, DISTRICT)
    assert district["level"] == "district"
    assert district["workers"] == 4
    assert district["trained"] == 1
    assert {r["role"] for r in district["roles"]} == {
        "institution_staff",
        "protection_staff",
        "counsellor",
        "case_worker",
    }
    for town in out["towns"]:
        assert town["workers"] == town["trained"] + len(town["untrained"])
    # last year: only dir2 was trained
    last = (await client.get(C, params={"year": 2025}, headers=auth("leader"))).json()
    assert last["trained"] == 1
    assert _town(last, TOWN1)["never_trained_on_mandatory_reporting"] == [
        str(u["sup1"]),
        str(u["dir1"]),
    ]


async def test_a_supervisor_sees_their_own_town_only(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = (await client.get(C, params={"year": 2026}, headers=auth("sup2"))).json()
    assert [t["code"] for t in out["towns"]] == [TOWN2]
    assert out["workers"] == 2


async def test_the_year_is_required_and_bounded(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    for params in ({}, {"year": "x"}, {"year": 1999}, {"year": 2101}):
        r = await client.get(C, params=params, headers=auth("admin"))
        assert r.status_code == 422, params
        assert r.json()["errors"][0]["field"] == "year"


async def test_certificates_list_the_trained_workers(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    d = await create(client, auth, "admin", level="district", trainer="=HYPERLINK(1)")
    await attend(client, auth, d["id"], base.users["sup1"])
    await attend(client, auth, d["id"], base.users["sup2"], "absent")
    r = await client.get(
        "/api/v1/training/certificates", params={"year": 2026}, headers=auth("admin")
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = list(load_workbook(io.BytesIO(r.content)).worksheets[0].iter_rows(values_only=True))
    body = [row for row in rows[2:] if row[0] and str(row[0]).startswith("PX")]
    assert [(row[0], row[2], row[6], row[7]) for row in body] == [
        ("PX2026-00001", "sup1", 3.5, "是")
    ]
    # a supervisor's list is their town's
    r = await client.get(
        "/api/v1/training/certificates", params={"year": 2026}, headers=auth("sup2")
    )
    rows = list(load_workbook(io.BytesIO(r.content)).worksheets[0].iter_rows(values_only=True))
    assert not [row for row in rows if row[0] and str(row[0]).startswith("PX")]


async def test_certificates_are_laid_out_for_an_office(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    d = await create(client, auth, "admin", level="district")
    await attend(client, auth, d["id"], base.users["sup1"])
    r = await client.get(
        "/api/v1/training/certificates", params={"year": 2026}, headers=auth("admin")
    )
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    cols = header(sheet)  # the title (district, generation time), frozen bold header
    assert "年度儿童工作人员培训合格名单" in str(sheet["A1"].value)
    assert "2026 年度" in str(sheet["A1"].value)
    assert list(cols) == [
        "证书编号",
        "姓名",
        "账号",
        "角色",
        "所属镇街",
        "参训次数",
        "学时",
        "含强制报告培训",
    ]
    row = find_row(sheet, cols["证书编号"], "PX2026-00001")
    number = sheet.cell(row, cols["证书编号"])
    assert (number.data_type, number.number_format) == ("s", TEXT_FORMAT)
    assert sheet.cell(row, cols["账号"]).value == "sup1"
    assert sheet.cell(row, cols["参训次数"]).value == 1
    assert sheet.cell(row, cols["参训次数"]).data_type == "n"
    assert sheet.cell(row, cols["学时"]).value == 3.5
    assert sheet.cell(row, cols["所属镇街"]).value == "测试一镇"
    assert sheet.cell(row, cols["角色"]).value not in ("", None, "town_supervisor")
    total = find_row(sheet, 1, "合计")
    assert sheet.cell(total, 2).value == "1 人"
    assert sheet.cell(total, 1).font.b
