from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.clock import FixedClock
from tests.conftest import TOWN1, VILLAGE1, VILLAGE2, VILLAGE3, AuthHeaders
from tests.visits.factories import make_child, visit_body

URL = "/api/v1/visits/coverage"


async def test_coverage_at_month_edges_in_beijing_time(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    clock.set(datetime(2026, 7, 3, 2, 0, tzinfo=UTC))
    late_june = await make_child(session, settings, name="六月末")
    early_july = await make_child(session, settings, name="七月初")
    await make_child(session, settings, name="未访")
    enrolled_2nd = await make_child(session, settings, approved_on=date(2026, 6, 2))
    enrolled_1st = await make_child(session, settings, approved_on=date(2026, 6, 1), name="一日")
    revoked_30th = await make_child(
        session, settings, approved_on=date(2025, 1, 1), revoked_on=date(2026, 6, 30)
    )
    revoked_july = await make_child(
        session, settings, approved_on=date(2025, 1, 1), revoked_on=date(2026, 7, 1), name="七月撤"
    )
    v2 = await make_child(session, settings, village=VILLAGE2, name="二村")
    v3 = await make_child(session, settings, village=VILLAGE3, name="三村")
    await session.commit()
    visits = [
        (late_june, "2026-06-30T23:30:00+08:00"),  # June in Beijing
        (early_july, "2026-06-30T16:30:00Z"),  # = 07-01 00:30 in Beijing: July
        (enrolled_2nd, "2026-06-20T10:00:00+08:00"),  # not due in June: visit ignored
        (enrolled_1st, "2026-06-05T10:00:00+08:00"),
        (revoked_july, "2026-06-05T10:00:00+08:00"),
        (v2, "2026-06-01T00:00:00+08:00"),  # midnight at the start counts in June
    ]
    for child, at in visits:
        who = "dir2" if child == v2 else "dir1"
        r = await client.post(
            "/api/v1/visits", json=visit_body(child, visited_at=at), headers=auth(who)
        )
        assert r.status_code == 201, r.text
    r = await client.get(URL, params={"month": "2026-06"}, headers=auth("admin"))
    assert r.status_code == 200, r.text
    out = r.json()
    v1 = next(v for v in out["villages"] if v["code"] == VILLAGE1)
    # due: late_june, early_july, unvisited, enrolled_1st, revoked_july (not enrolled_2nd, revoked_30th)
    assert (v1["due"], v1["visited"]) == (5, 3)
    assert v1["coverage"] == 0.6
    assert {c["name"] for c in v1["not_visited"]} == {"七月初", "未访"}
    village2 = next(v for v in out["villages"] if v["code"] == VILLAGE2)
    assert (village2["due"], village2["visited"], village2["coverage"]) == (1, 1, 1.0)
    village3 = next(v for v in out["villages"] if v["code"] == VILLAGE3)
    assert (village3["due"], village3["visited"]) == (1, 0)
    town1 = next(t for t in out["towns"] if t["code"] == TOWN1)
    assert (town1["due"], town1["visited"], town1["coverage"]) == (6, 4, 0.6667)
    assert (out["total"]["due"], out["total"]["visited"]) == (7, 4)
    assert {c["name"] for c in out["overdue"]} == {"七月初", "未访", "三村"}
    assert str(revoked_30th) not in r.text
    assert str(enrolled_2nd) not in r.text
    r = await client.get(URL, params={"month": "2026-07"}, headers=auth("sup1"))
    v1 = next(v for v in r.json()["villages"] if v["code"] == VILLAGE1)
    assert v1["visited"] == 1  # early_july
    assert r.json()["area_code"] == TOWN1
    assert [v["code"] for v in r.json()["villages"]] == [VILLAGE1, VILLAGE2]
    del v3


async def test_coverage_jurisdiction_and_input(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.get(URL, params={"month": "2026-06"}, headers=auth("dir1"))
    assert r.status_code == 200
    assert [v["code"] for v in r.json()["villages"]] == [VILLAGE1]
    r = await client.get(
        URL, params={"month": "2026-06", "area_code": VILLAGE3}, headers=auth("sup1")
    )
    assert r.status_code == 404
    r = await client.get(URL, params={"month": "2026-06", "area_code": TOWN1}, headers=auth("dir1"))
    assert r.status_code == 404
    r = await client.get(URL, params={"month": "June"}, headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "month"
    assert (await client.get(URL, headers=auth("institute"))).status_code == 403
    assert (await client.get(URL, headers=auth(agency="health"))).status_code == 403
    assert (await client.get(URL)).status_code == 401
