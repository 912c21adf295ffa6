"""The area tree of a city: each caller reads its own part; the city admin imports districts and
their trees, a district admin only its own district's towns and villages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Area
from tests.conftest import (
    CITY,
    DISTRICT,
    DISTRICT_B,
    TOWN1,
    TOWN_B,
    VILLAGE1,
    VILLAGE_B,
    AuthHeaders,
    area_path,
)

IMPORT = "/api/v1/areas/import"
NEW_DISTRICT, NEW_TOWN, NEW_VILLAGE = "110117", "110117001", "110117001001"


def csv(*lines: str) -> dict[str, Any]:
    body = "code,name,level,parent_code\n" + "".join(line + "\n" for line in lines)
    return {"files": {"file": ("areas.csv", body.encode(), "text/csv")}}


async def codes(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> set[str]:
    r = await client.get("/api/v1/areas", params={"limit": 200, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return {a["code"] for a in r.json()["items"]}


async def paths(session: AsyncSession, *wanted: str) -> dict[str, str]:
    stmt = select(Area.code, Area.path).where(Area.code.in_(wanted))
    return dict((await session.execute(stmt)).tuples().all())


@pytest.mark.parametrize("who", ["admin", "leader", "auditor", "sup1", "dir1", "protect"])
async def test_a_district_caller_reads_its_own_district_only(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    seen = await codes(client, auth(who))
    assert {DISTRICT, TOWN1, VILLAGE1} <= seen
    assert not seen & {CITY, DISTRICT_B, TOWN_B, VILLAGE_B}
    assert await codes(client, auth(who), parent_code=DISTRICT_B) == set()


@pytest.mark.parametrize("who", ["admin_b", "sup_b", "dir_b", "protect_b"])
async def test_district_b_reads_its_own_tree_only(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    assert await codes(client, auth(who)) == {DISTRICT_B, TOWN_B, VILLAGE_B}


@pytest.mark.parametrize("who", ["city_admin", "city_viewer"])
async def test_the_city_reads_the_whole_tree(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    seen = await codes(client, auth(who))
    assert {CITY, DISTRICT, DISTRICT_B, TOWN1, TOWN_B, VILLAGE1, VILLAGE_B} <= seen
    r = await client.get("/api/v1/areas", params={"level": "city"}, headers=auth(who))
    assert r.json()["items"] == [
        {"code": CITY, "name": "测试市", "level": "city", "parent_code": None}
    ]
    assert await codes(client, auth(who), level="district") == {DISTRICT, DISTRICT_B}


async def test_city_admin_imports_a_district_and_its_tree(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    r = await client.post(
        IMPORT,
        headers=auth("city_admin"),
        **csv(
            f"{NEW_VILLAGE},丙区一村,village,{NEW_TOWN}",
            f"{NEW_DISTRICT},测试丙区,district,{CITY}",
            f"{NEW_TOWN},丙区一镇,town,{NEW_DISTRICT}",
            f"{TOWN_B},乙区一镇（更名）,town,{DISTRICT_B}",
        ),
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"total_rows": 4, "inserted": 3, "updated": 1, "unchanged": 0}
    assert await paths(session, NEW_DISTRICT, NEW_TOWN, NEW_VILLAGE) == {
        NEW_DISTRICT: f"{CITY}/{NEW_DISTRICT}/",
        NEW_TOWN: f"{CITY}/{NEW_DISTRICT}/{NEW_TOWN}/",
        NEW_VILLAGE: f"{CITY}/{NEW_DISTRICT}/{NEW_TOWN}/{NEW_VILLAGE}/",
    }
    # the new district is nobody's business in the two others
    assert NEW_DISTRICT not in await codes(client, auth("admin"))
    assert NEW_DISTRICT not in await codes(client, auth("admin_b"))


async def test_in_a_city_a_district_names_the_city_as_parent(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(
        IMPORT,
        headers=auth("city_admin", lang="en"),
        **csv(f"{NEW_DISTRICT},测试丙区,district,", f"110118,测试丁区,district,{DISTRICT}"),
    )
    assert r.status_code == 422
    assert sorted(e["field"] for e in r.json()["errors"]) == [
        "row 2: parent_code",
        "row 3: parent_code",
    ]


async def test_district_admin_imports_its_own_towns_and_villages(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    r = await client.post(
        IMPORT,
        headers=auth("admin_b"),
        **csv("110116002,乙区二镇,town,110116", "110116002001,乙区二镇一村,village,110116002"),
    )
    assert r.status_code == 200, r.text
    assert (await paths(session, "110116002001"))["110116002001"] == (
        area_path(DISTRICT_B) + "110116002/110116002001/"
    )


@pytest.mark.parametrize(
    "line",
    [
        f"110115903,越界镇,town,{DISTRICT}",  # a new town under another district
        f"{VILLAGE1},改名村,village,{TOWN1}",  # renaming another district's village
        f"110115001009,越界村,village,{TOWN1}",  # a new village under another district's town
    ],
)
async def test_district_admin_cannot_reach_another_district(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, line: str
) -> None:
    r = await client.post(IMPORT, headers=auth("admin_b"), **csv(line))
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "not_found"
    code = line.split(",")[0]
    stmt = select(Area.code, Area.name).where(Area.code == code)
    names = dict((await session.execute(stmt)).tuples().all())
    assert names.get(code) in (None, "测试一村")


async def test_district_admin_cannot_import_a_district(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    r = await client.post(
        IMPORT, headers=auth("admin"), **csv(f"{NEW_DISTRICT},丙区,district,{CITY}")
    )
    assert r.status_code == 403
    assert await paths(session, NEW_DISTRICT) == {}


@pytest.mark.parametrize("who", ["city_viewer", "leader", "sup_b"])
async def test_others_may_not_import(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    r = await client.post(IMPORT, headers=auth(who), **csv(f"110116003,乙区三镇,town,{DISTRICT_B}"))
    assert r.status_code == 403
