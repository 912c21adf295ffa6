"""Active discovery 主动发现: import, cross-match by ID HMAC, candidates, enrol, dismiss."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit import idnumber
from tests.children.factories import create, new_id
from tests.conftest import VILLAGE1, VILLAGE3, AuthHeaders
from tests.screening.factories import load_records
from tests.screening.factories import row as screening_row

IMPORT = "/api/v1/discovery/households/import"
CANDIDATES = "/api/v1/discovery/candidates"
HEADER = "household_id,assistance_type,village_code,name,id_number,relation,disability_kind,disability_grade,disability_certificate_no,serious_illness,situation,situation_since"


def row(hh: str, name: str, idn: str, relation: str, *, village: str = VILLAGE1,
        assistance: str = "低保", dis: tuple[str, str] = ("", ""), ill: str = "",
        situation: str = "", since: str = "") -> str:  # fmt: skip
    return f"{hh},{assistance},{village},{name},{idn},{relation},{dis[0]},{dis[1]},{'C-' + hh if dis[0] else ''},{ill},{situation},{since}"


class Household:
    def __init__(self) -> None:
        self.disabled_child = new_id(date(2016, 1, 1))
        self.healthy_child = new_id(date(2017, 1, 1))
        self.father = new_id(date(1985, 1, 1), "male")
        self.mother = new_id(date(1987, 1, 1), "female")
        self.prison_child = new_id(date(2012, 5, 5), "female")
        self.enrolled = new_id(date(2014, 4, 4))
        self.namesake = new_id(date(2014, 4, 4))

    def csv(self, *, grade: str = "2") -> str:
        rows = [
            HEADER,
            row("H1", "户主甲", new_id(date(1980, 1, 1)), "户主"),
            row("H1", "残疾儿童", self.disabled_child, "子女", dis=("肢体", grade)),
            row("H1", "健康儿童", self.healthy_child, "子女"),
            row("H2", "父亲乙", self.father, "head", village=VILLAGE3, assistance="low_income",
                situation="imprisoned", since="2024-01-01"),
            row("H2", "母亲乙", self.mother, "spouse", village=VILLAGE3, assistance="low_income",
                situation="imprisoned", since="2023-01-01"),
            row("H2", "服刑家庭儿童", self.prison_child, "child", village=VILLAGE3, assistance="low_income"),
            row("H3", "同名儿童", self.enrolled, "子女", dis=("视力", "1")),
            row("H4", "同名儿童", self.namesake, "子女", dis=("视力", "1")),
        ]  # fmt: skip
        return "\n".join(rows) + "\n"


async def upload(client: httpx.AsyncClient, headers: dict[str, str], text: str) -> httpx.Response:
    return await client.post(
        IMPORT, files={"file": ("list.csv", text.encode(), "text/csv")}, headers=headers
    )


async def candidates(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    r = await client.get(CANDIDATES, params=params, headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_import_cross_matches_minors_by_id_not_by_name(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    hh = Household()
    await create(client, auth("admin"), id_number=hh.enrolled, name="同名儿童")
    r = await upload(client, auth("admin"), hh.csv())
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["rows"] == 8
    assert result["households"] == 4
    assert result["minors"] == 5
    assert result["already_enrolled"] == 1
    assert result["candidates_new"] == 3
    assert result["not_qualifying"] == 1
    found = {c["id_number"]: c for c in await candidates(client, auth("admin"))}
    assert set(found) == {
        idnumber.mask(x) for x in (hh.disabled_child, hh.prison_child, hh.namesake)
    }
    disabled = found[idnumber.mask(hh.disabled_child)]
    assert [x["category"] for x in disabled["reasons"]] == ["poor_family_disabled"]
    assert "低保" in disabled["reasons"][0]["reason"]
    assert "残疾证" in disabled["reasons"][0]["reason"]
    prison = found[idnumber.mask(hh.prison_child)]
    assert [x["category"] for x in prison["reasons"]] == ["de_facto_unsupported"]
    assert "服刑在押" in prison["reasons"][0]["reason"]
    # the namesake of an enrolled child, with another ID number, is a different child
    assert found[idnumber.mask(hh.namesake)]["name"] == "同名儿童"
    # jurisdiction: the director of VILLAGE3 sees only H2's child
    mine = await candidates(client, auth("dir3"))
    assert [c["id_number"] for c in mine] == [idnumber.mask(hh.prison_child)]
    assert (await client.get(CANDIDATES, headers=auth("institute"))).status_code == 403
    assert (await client.get(CANDIDATES, headers=auth(agency="police"))).status_code == 403


async def test_dismissed_stay_dismissed_unless_facts_change(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    hh = Household()
    await upload(client, auth("admin"), hh.csv())
    target = next(
        c for c in await candidates(client, auth("admin"))
        if c["id_number"] == idnumber.mask(hh.disabled_child)
    )  # fmt: skip
    url = f"{CANDIDATES}/{target['id']}/dismiss"
    assert (await client.post(url, json={"reason": ""}, headers=auth("admin"))).status_code == 422
    assert (await client.post(url, json={"reason": "x"}, headers=auth("dir1"))).status_code == 403
    r = await client.post(url, json={"reason": "残疾证已注销"}, headers=auth("admin"))
    assert r.status_code == 200
    assert r.json()["status"] == "dismissed"
    assert (await client.post(url, json={"reason": "x"}, headers=auth("admin"))).status_code == 409
    again = (await upload(client, auth("admin"), hh.csv())).json()
    assert again["still_dismissed"] == 1
    assert again["candidates_new"] == 0
    open_ids = [c["id"] for c in await candidates(client, auth("admin"))]
    assert target["id"] not in open_ids
    dismissed = await candidates(client, auth("admin"), status="dismissed")
    assert [c["dismiss_reason"] for c in dismissed] == ["残疾证已注销"]
    changed = (await upload(client, auth("admin"), hh.csv(grade="1"))).json()
    assert changed["candidates_reopened"] == 1
    assert target["id"] in [c["id"] for c in await candidates(client, auth("admin"))]


async def test_enrolling_a_candidate_creates_a_linked_child(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    hh = Household()
    await upload(client, auth("admin"), hh.csv())
    target = next(
        c for c in await candidates(client, auth("admin"))
        if c["id_number"] == idnumber.mask(hh.disabled_child)
    )  # fmt: skip
    url = f"{CANDIDATES}/{target['id']}/enroll"
    bad = await client.post(
        url, json={"category": "orphan", "approved_on": "2026-06-01"}, headers=auth("admin")
    )
    assert bad.status_code == 422
    assert (
        await client.post(
            url,
            json={"category": "poor_family_disabled", "approved_on": "2026-06-01"},
            headers=auth("dir1"),
        )
    ).status_code == 403
    r = await client.post(
        url,
        json={"category": "poor_family_disabled", "approved_on": "2026-06-01"},
        headers=auth("admin"),
    )
    assert r.status_code == 201, r.text
    child = r.json()
    assert child["village_code"] == VILLAGE1
    assert child["household_assistance"] == "subsistence"
    assert child["disability"]["grade"] == 2
    enrolled = await candidates(client, auth("admin"), status="enrolled")
    assert [c["child_id"] for c in enrolled] == [child["id"]]
    assert target["id"] not in [c["id"] for c in await candidates(client, auth("admin"))]
    assert (
        await client.post(
            url,
            json={"category": "poor_family_disabled", "approved_on": "2026-06-01"},
            headers=auth("admin"),
        )
    ).status_code == 409
    # a re-import now finds the child on the ledger
    assert (await upload(client, auth("admin"), hh.csv())).json()["already_enrolled"] == 1


async def test_xlsx_upload_with_chinese_headers(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["户编号", "救助类型", "村居代码", "姓名", "身份证号码", "与户主关系", "重病"])
    idn = new_id(date(2015, 9, 9))
    ws.append(["X1", "特困", VILLAGE1, "重病儿童", idn, "子女", "白血病"])
    buf = io.BytesIO()
    wb.save(buf)
    r = await client.post(
        IMPORT, files={"file": ("list.xlsx", buf.getvalue(), "application/octet-stream")},
        headers=auth("admin"),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["candidates_new"] == 1
    [c] = await candidates(client, auth("admin"))
    assert c["reasons"][0]["category"] == "poor_family_seriously_ill"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (HEADER + "\n" + row("H1", "甲", "110115201503040030", "子女"), "id_number"),
        (
            HEADER + "\n" + row("H1", "甲", "110115201503040035", "子女", village="110115001"),
            "village_code",
        ),
        (HEADER + "\n" + row("H1", "甲", "110115201503040035", "朋友"), "relation"),
        (
            HEADER + "\n" + row("H1", "甲", "110115201503040035", "子女", assistance="无"),
            "assistance_type",
        ),
        ("household_id,name\nH1,甲\n", "assistance_type"),
        ("", "file"),
    ],
)
async def test_bad_files_name_row_and_column(
    client: httpx.AsyncClient, auth: AuthHeaders, text: str, field: str
) -> None:
    r = await upload(client, auth("admin"), text)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await candidates(client, auth("admin")) == []


async def test_import_authorization_and_media_type(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    text = Household().csv()
    assert (await upload(client, auth("dir1"), text)).status_code == 403
    assert (await upload(client, {}, text)).status_code == 401
    r = await client.post(IMPORT, json={"x": 1}, headers=auth("admin"))
    assert r.status_code == 415
    r = await client.post(
        IMPORT, content=text.encode(), headers=auth("admin") | {"Content-Type": "text/csv"}
    )
    assert r.status_code == 200


async def test_old_mac_line_endings_import_and_garbage_is_a_422(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    """Bare CR line ends (old Excel for Mac) are lines, not an error; bytes that are no table
    at all get a 422 naming what is missing, never a 500."""
    text = Household().csv().replace("\n", "\r")
    r = await upload(client, auth("admin"), text)
    assert r.status_code == 200, r.text
    r = await client.post(
        IMPORT,
        content=b"i\xc2\x8eq\xf4\x8e\xb5\xbf9}\xf3\xa1\x89\x89\r\xc2\xbbN\xc2\xa0",
        headers=auth("admin") | {"Content-Type": "text/csv"},
    )
    assert r.status_code == 422, r.text
    assert "household_id" in [e["field"] for e in r.json()["errors"]]


async def test_a_disability_found_in_the_migrant_screening_counts(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    """A child the household list shows without a disability, screened with one (监测摸排)."""
    child = new_id(date(2015, 2, 2), "male")
    await load_records(
        session,
        settings,
        [
            screening_row(
                name="摸排儿童",
                id_number=child,
                birth=date(2015, 2, 2),
                sex="male",
                hukou_code="110115",
                disability="肢体二级",
                stated_classification="",
            )
        ],
    )
    text = "\n".join(
        [
            HEADER,
            row("H9", "户主丙", new_id(date(1979, 1, 1)), "户主"),
            row("H9", "摸排儿童", child, "子女"),
            row("H9", "另一儿童", new_id(date(2013, 3, 3)), "子女"),
        ]
    )
    r = await upload(client, auth("admin"), text + "\n")
    assert r.status_code == 200, r.text
    assert r.json()["candidates_new"] == 1
    [found] = await candidates(client, auth("admin"))
    assert found["id_number"] == idnumber.mask(child)
    assert [x["category"] for x in found["reasons"]] == ["poor_family_disabled"]
    assert "监测摸排" in found["reasons"][0]["reason"]
    assert found["facts"]["disability"] == {"kind": "physical", "grade": 2, "source": "screening"}
    assert found["facts"]["screening"]["screened_on"] == "2026-06-01"
