from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.clock import FixedClock
from tests.conftest import TOWN1, VILLAGE1, VILLAGE3, AuthHeaders
from tests.visits.factories import make_child, make_town, make_user, visit_body

# A town of this test's own (rolled back): counts are not shared with committed test data.
T9, T8 = "110115009", "110115008"
VA, VB, VC = "110115009001", "110115009002", "110115008001"

URL = "/api/v1/visits/coverage"


async def test_coverage_at_month_edges_in_beijing_time(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    clock.set(datetime(2026, 7, 3, 2, 0, tzinfo=UTC))
    await make_town(session, T9, [VA, VB])
    await make_town(session, T8, [VC])
    sup9 = await make_user(session, "sup9", "town_supervisor", T9)
    late_june = await make_child(session, settings, village=VA, name="六月末")
    early_july = await make_child(session, settings, village=VA, name="七月初")
    await make_child(session, settings, village=VA, name="未访")
    enrolled_2nd = await make_child(session, settings, village=VA, approved_on=date(2026, 6, 2))
    enrolled_1st = await make_child(
        session, settings, village=VA, approved_on=date(2026, 6, 1), name="一日"
    )
    revoked_30th = await make_child(
        session, settings, village=VA, approved_on=date(2025, 1, 1), revoked_on=date(2026, 6, 30)
    )
    revoked_july = await make_child(
        session,
        settings,
        village=VA,
        approved_on=date(2025, 1, 1),
        revoked_on=date(2026, 7, 1),
        name="七月撤",
    )
    v2 = await make_child(session, settings, village=VB, name="二村")
    v3 = await make_child(session, settings, village=VC, name="三村")
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
        r = await client.post(
            "/api/v1/visits", json=visit_body(child, visited_at=at), headers=auth("admin")
        )
        assert r.status_code == 201, r.text
    r = await client.get(URL, params={"month": "2026-06"}, headers=auth("admin"))
    assert r.status_code == 200, r.text
    everything = r.json()
    assert {T8, T9} <= {t["code"] for t in everything["towns"]}
    assert everything["total"]["due"] >= 7
    r = await client.get(
        URL, params={"month": "2026-06", "area_code": "110115"}, headers=auth("admin")
    )
    assert r.json()["total"] == everything["total"]
    out = {
        "villages": [v for v in everything["villages"] if v["code"] in (VA, VB, VC)],
        "towns": [t for t in everything["towns"] if t["code"] in (T8, T9)],
        "overdue": [c for c in everything["overdue"] if c["village_code"] in (VA, VB, VC)],
    }
    v1 = next(v for v in out["villages"] if v["code"] == VA)
    # due: late_june, early_july, unvisited, enrolled_1st, revoked_july (not enrolled_2nd, revoked_30th)
    assert (v1["due"], v1["visited"]) == (5, 3)
    assert v1["coverage"] == 0.6
    assert {c["name"] for c in v1["not_visited"]} == {"七月初", "未访"}
    village2 = next(v for v in out["villages"] if v["code"] == VB)
    assert (village2["due"], village2["visited"], village2["coverage"]) == (1, 1, 1.0)
    village3 = next(v for v in out["villages"] if v["code"] == VC)
    assert (village3["due"], village3["visited"]) == (1, 0)
    town1 = next(t for t in out["towns"] if t["code"] == T9)
    assert (town1["due"], town1["visited"], town1["coverage"]) == (6, 4, 0.6667)
    r = await client.get(URL, params={"month": "2026-06", "area_code": T8}, headers=auth("admin"))
    assert (r.json()["total"]["due"], r.json()["total"]["visited"]) == (1, 0)
    assert {c["name"] for c in out["overdue"]} == {"七月初", "未访", "三村"}
    assert str(revoked_30th) not in r.text
    assert str(enrolled_2nd) not in r.text
    r = await client.get(URL, params={"month": "2026-07"}, headers=auth(user_id=sup9))
    v1 = next(v for v in r.json()["villages"] if v["code"] == VA)
    assert v1["visited"] == 1  # early_july
    assert r.json()["area_code"] == T9
    assert [v["code"] for v in r.json()["villages"]] == [VA, VB]
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


async def test_coverage_counts_each_child_once_and_lists_the_unvisited_by_name(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await make_town(session, T9, [VA, VB])
    twice = await make_child(session, settings, village=VA, name="Twice")
    kids = {n: await make_child(session, settings, village=VA, name=n) for n in ("Cy", "Al", "Bo")}
    empty_village_child = await make_child(session, settings, village=VB, name="Zed")
    await session.commit()
    for at in ("2026-06-02T10:00:00+08:00", "2026-06-09T10:00:00+08:00"):
        r = await client.post(
            "/api/v1/visits", json=visit_body(twice, visited_at=at), headers=auth("admin")
        )
        assert r.status_code == 201, r.text
    r = await client.get(URL, params={"month": "2026-06", "area_code": T9}, headers=auth("admin"))
    assert r.status_code == 200, r.text
    out = r.json()
    va, vb = out["villages"]
    assert (va["code"], va["due"], va["visited"], va["coverage"]) == (VA, 4, 1, 0.25)
    assert [c["name"] for c in va["not_visited"]] == ["Al", "Bo", "Cy"]
    assert [c["child_id"] for c in va["not_visited"]] == [str(kids[n]) for n in ("Al", "Bo", "Cy")]
    assert (vb["due"], vb["visited"], vb["coverage"]) == (1, 0, 0.0)
    assert [c["child_id"] for c in vb["not_visited"]] == [str(empty_village_child)]
    assert [(t["code"], t["due"], t["visited"]) for t in out["towns"]] == [(T9, 5, 1)]
    assert (out["total"]["due"], out["total"]["visited"], out["total"]["coverage"]) == (5, 1, 0.2)
    assert [c["name"] for c in out["overdue"]] == ["Al", "Bo", "Cy", "Zed"]
    r = await client.get(URL, params={"month": "2026-05", "area_code": T9}, headers=auth("admin"))
    may = r.json()["total"]
    assert (may["due"], may["visited"], may["coverage"]) == (5, 0, 0.0)  # enrolled 2025
