"""A city of two districts: each district's caring mothers, pairings and parents' classes are its
own. DISTRICT's are a 404 by id to DISTRICT_B's offices and absent from their lists (and the
reverse); a class cannot be recorded for another district's town."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AgencyClient
from tests.conftest import (
    CITY,
    DISTRICT,
    DISTRICT_B,
    TOWN1,
    TOWN_B,
    VILLAGE1,
    VILLAGE3,
    VILLAGE_B,
    AuthHeaders,
)
from tests.programmes.aid_factories import ROUNDS, fed_headers, named_child
from tests.programmes.factories import child, contact_body, mother, pair, paired
from tests.subsidies.factories import make_child

MOTHERS = "/api/v1/caring-mothers"
CLASSES = "/api/v1/parent-classes"


async def _ids(client: httpx.AsyncClient, auth: AuthHeaders, user: str, path: str) -> list[str]:
    r = await client.get(path, headers=auth(user), params={"limit": 200})
    assert r.status_code == 200, (user, path, r.text)
    return [i["id"] for i in r.json()["items"]]


def _class(town: str | None) -> dict[str, Any]:
    return {
        "topic": "家庭教育",
        "expert_field": "education",
        "mode": "online",
        "held_on": "2026-05-01",
        "link": "https://meeting.example/1",
        "town_code": town,
    }


async def test_each_district_pairs_its_own_mothers_and_children(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    ma = (await mother(client, auth("admin")))["id"]
    mb = (await mother(client, auth("admin_b")))["id"]
    ca = await child(session, settings)
    cb = await child(session, settings, village=VILLAGE_B)
    pa = (await paired(client, auth("admin"), ma, ca))["id"]
    pb = (await paired(client, auth("admin_b"), mb, cb))["id"]
    for user in ("admin_b", "sup_b", "dir_b"):
        mine = await _ids(client, auth, user, MOTHERS)
        assert ma not in mine, user
        assert mb in mine, user
        pairings = await _ids(client, auth, user, "/api/v1/pairings")
        assert pa not in pairings, user
        assert pb in pairings, user
    for user in ("admin", "leader", "sup1", "dir1"):
        mine = await _ids(client, auth, user, MOTHERS)
        assert mb not in mine, user
        assert ma in mine, user
        assert pb not in await _ids(client, auth, user, "/api/v1/pairings"), user
    # another district's mother cannot be paired, renewed; its pairing not written
    r = await pair(client, auth("admin_b"), ma, cb)
    assert r.status_code == 404, r.text
    r = await pair(client, auth("admin"), mb, ca)
    assert r.status_code == 404, r.text
    check = {"queried_on": "2026-06-01", "result": "clear", "reference": "续查-1"}
    r = await client.post(f"{MOTHERS}/{ma}/record-check", json=check, headers=auth("admin_b"))
    assert r.status_code == 404, r.text
    r = await client.post(
        f"/api/v1/pairings/{pa}/contacts", json=contact_body(), headers=auth("admin_b")
    )
    assert r.status_code == 404, r.text
    r = await client.post(
        f"/api/v1/pairings/{pb}/contacts", json=contact_body(), headers=auth("admin")
    )
    assert r.status_code == 404, r.text


async def test_each_district_keeps_its_own_classes(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(CLASSES, json=_class(None), headers=auth("admin"))
    assert r.status_code == 201, r.text
    a = r.json()["id"]
    r = await client.post(CLASSES, json=_class(TOWN_B), headers=auth("admin_b"))
    assert r.status_code == 201, r.text
    b = r.json()["id"]
    for user, mine, theirs in (("admin_b", b, a), ("sup_b", b, a), ("admin", a, b), ("sup1", a, b)):
        listed = await _ids(client, auth, user, CLASSES)
        assert theirs not in listed, user
        assert mine in listed, user
        r = await client.get(f"{CLASSES}/{theirs}", headers=auth(user))
        assert r.status_code == 404, (user, r.text)
    # a class for another district's town: 422 naming the town
    r = await client.post(CLASSES, json=_class(TOWN1), headers=auth("admin_b"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "town_code"
    r = await client.post(CLASSES, json=_class(TOWN_B), headers=auth("admin"))
    assert r.status_code == 422, r.text
    # the year's report counts the own district's classes
    rep_a = (await client.get(f"{CLASSES}/report?year=2026", headers=auth("admin"))).json()
    rep_b = (await client.get(f"{CLASSES}/report?year=2026", headers=auth("admin_b"))).json()
    assert (rep_a["classes"], rep_b["classes"]) == (1, 1)


# -- education aid ---------------------------------------------------------------------------

AID_ROUND = "2026年春蕾女童及困境男童教育帮扶"


async def _round(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    r = await client.post(ROUNDS, json={"year": 2026, "name": AID_ROUND}, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _application(
    client: httpx.AsyncClient, headers: dict[str, str], round_id: str, village: str
) -> str:
    body = {"child": named_child("female", village), "programme": "spring_bud", "amount": "800"}
    r = await client.post(f"{ROUNDS}/{round_id}/applications", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _federation(session: AsyncSession, auth: AuthHeaders, area: str) -> dict[str, str]:
    """The women's federation's client serving `area` (a district, or the city), with a token
    of `programmes:read`."""
    await session.execute(
        update(AgencyClient).where(AgencyClient.agency == "women_federation").values(area_code=area)
    )
    return await fed_headers(session, auth)


async def test_each_district_opens_and_decides_its_own_aid_rounds(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    # the same name in both districts: each district's rounds are its own
    ra, rb = await _round(client, auth("admin")), await _round(client, auth("admin_b"))
    again = await client.post(ROUNDS, json={"year": 2026, "name": AID_ROUND}, headers=auth("admin"))
    assert again.status_code == 409, again.text
    aa = await _application(client, auth("admin"), ra, VILLAGE3)
    ab = await _application(client, auth("admin_b"), rb, VILLAGE_B)
    for user, (own_r, own_a), (their_r, their_a) in (
        ("admin", (ra, aa), (rb, ab)),
        ("leader", (ra, aa), (rb, ab)),
        ("auditor", (ra, aa), (rb, ab)),
        ("admin_b", (rb, ab), (ra, aa)),
    ):
        listed = await _ids(client, auth, user, ROUNDS)
        assert (own_r in listed, their_r in listed) == (True, False), user
        r = await client.get(f"{ROUNDS}/{own_r}", headers=auth(user))
        assert r.status_code == 200, (user, r.text)
        assert r.json()["by_status"]["submitted"] == 1, user
        for path in (f"{ROUNDS}/{their_r}", f"{ROUNDS}/{their_r}/applications"):
            r = await client.get(path, headers=auth(user))
            assert r.status_code == 404, (user, path, r.text)
        r = await client.get(f"{ROUNDS}/{their_r}/applications/{their_a}", headers=auth(user))
        assert r.status_code == 404, (user, r.text)
        r = await client.get(f"{ROUNDS}/{own_r}/applications/{own_a}", headers=auth(user))
        assert r.status_code == 200, (user, r.text)
    # nothing of another district's round can be written: a 404, and the row is unchanged
    for user, (their_r, their_a) in (
        ("admin", (rb, ab)),
        ("leader", (rb, ab)),
        ("admin_b", (ra, aa)),
    ):
        url = f"{ROUNDS}/{their_r}/applications/{their_a}"
        for path, body in (
            (f"{url}/approve", {"amount": "800"}),
            (f"{url}/reject", {"reason": "不符合条件"}),
        ):
            r = await client.post(path, json=body, headers=auth(user))
            assert r.status_code == 404, (user, path, r.text)
        if user != "leader":
            r = await client.post(f"{url}/disburse", headers=auth(user))
            assert r.status_code == 404, (user, r.text)
            new = {"child": named_child("male"), "programme": "boys_in_difficulty", "amount": "1"}
            r = await client.post(f"{ROUNDS}/{their_r}/applications", json=new, headers=auth(user))
            assert r.status_code == 404, (user, r.text)
    r = await client.get(f"{ROUNDS}/{ra}/applications/{aa}", headers=auth("admin"))
    assert r.json()["status"] == "submitted"
    # a child of another district's village or ledger is unknown (422)
    r = await client.post(
        f"{ROUNDS}/{rb}/applications",
        json={"child": named_child("female", VILLAGE1), "programme": "spring_bud", "amount": "1"},
        headers=auth("admin_b"),
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "child.village_code"
    kid = await make_child(session, settings, gender="female", birth_date=date(2013, 3, 1))
    r = await client.post(
        f"{ROUNDS}/{rb}/applications",
        json={"child_id": str(kid.id), "programme": "spring_bud", "amount": "1"},
        headers=auth("admin_b"),
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "child_id"


async def test_a_districts_aid_paid_counts_in_its_own_fund_only(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    ra = await _round(client, auth("admin"))
    aa = await _application(client, auth("admin"), ra, VILLAGE3)
    url = f"{ROUNDS}/{ra}/applications/{aa}"
    r = await client.post(f"{url}/approve", json={"amount": "800"}, headers=auth("leader"))
    assert r.status_code == 200, r.text
    r = await client.post(f"{url}/disburse", headers=auth("admin"))
    assert r.status_code == 200, r.text
    funds = {}
    for user in ("admin", "admin_b"):
        r = await client.get("/api/v1/subsidy/spending?year=2026", headers=auth(user))
        assert r.status_code == 200, r.text
        (fund,) = r.json()["partner_funds"]
        funds[user] = (fund["children"], fund["amount"])
    assert funds == {"admin": (1, "800.00"), "admin_b": (0, "0.00")}
    # the dashboard's aid section of each district
    paid = {}
    for user in ("admin", "admin_b"):
        r = await client.get("/api/v1/dashboard/summary?month=2026-06", headers=auth(user))
        assert r.status_code == 200, r.text
        paid[user] = r.json()["sections"]["education_aid"]["children_paid"]
    assert paid == {"admin": 1, "admin_b": 0}


async def test_the_federation_reads_the_rounds_of_its_own_district(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    ra, rb = await _round(client, auth("admin")), await _round(client, auth("admin_b"))
    aa = await _application(client, auth("admin"), ra, VILLAGE3)
    ab = await _application(client, auth("admin_b"), rb, VILLAGE_B)
    for area, own, theirs in (
        (DISTRICT, (ra, aa), (rb, ab)),
        (DISTRICT_B, (rb, ab), (ra, aa)),
    ):
        fed = await _federation(session, auth, area)
        r = await client.get(ROUNDS, headers=fed, params={"limit": 200})
        assert r.status_code == 200, r.text
        assert [i["id"] for i in r.json()["items"]] == [own[0]], area
        assert r.json()["items"][0]["district_code"] == area
        r = await client.get(f"{ROUNDS}/{own[0]}/applications/{own[1]}", headers=fed)
        assert r.status_code == 200, (area, r.text)
        assert r.json()["child_id_number"] is None  # projected
        for path in (
            f"{ROUNDS}/{theirs[0]}",
            f"{ROUNDS}/{theirs[0]}/applications",
            f"{ROUNDS}/{theirs[0]}/applications/{theirs[1]}",
        ):
            r = await client.get(path, headers=fed)
            assert r.status_code == 404, (area, path, r.text)
    # the city's federation (a municipal client) reads every district's rounds
    fed = await _federation(session, auth, CITY)
    r = await client.get(ROUNDS, headers=fed, params={"limit": 200})
    assert {i["id"] for i in r.json()["items"]} == {ra, rb}
    for rid, aid in ((ra, aa), (rb, ab)):
        r = await client.get(f"{ROUNDS}/{rid}/applications/{aid}", headers=fed)
        assert r.status_code == 200, r.text
    # the city's roles read no round (their role is refused here, as before)
    for user in ("city_admin", "city_viewer"):
        r = await client.get(ROUNDS, headers=auth(user))
        assert r.status_code == 403, (user, r.text)


# -- caring mothers through the federation's mandate -----------------------------------------


async def test_the_federation_lists_the_pairings_of_its_own_district(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    ma = (await mother(client, auth("admin")))["id"]
    mb = (await mother(client, auth("admin_b")))["id"]
    ca = await child(session, settings)
    cb = await child(session, settings, village=VILLAGE_B)
    pa = (await paired(client, auth("admin"), ma, ca))["id"]
    pb = (await paired(client, auth("admin_b"), mb, cb))["id"]
    seen = {}
    for area in (DISTRICT, DISTRICT_B, CITY):
        fed = await _federation(session, auth, area)
        r = await client.get("/api/v1/pairings", headers=fed, params={"limit": 200})
        assert r.status_code == 200, r.text
        seen[area] = {i["id"] for i in r.json()["items"]}
    assert seen == {DISTRICT: {pa}, DISTRICT_B: {pb}, CITY: {pa, pb}}


# -- holiday gifts ---------------------------------------------------------------------------

GIFTS = "/api/v1/holiday-gifts"


async def _gift_run(
    client: httpx.AsyncClient, headers: dict[str, str], item: str = "书包"
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/subsidy/holiday-runs",
        json={"occasion": "childrens_day", "year": 2026},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    body = {"occasion": "childrens_day", "year": 2026, "item": item, "value": "50"}
    r = await client.post(GIFTS, json=body, headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def test_each_district_gives_and_delivers_its_own_gifts(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    a = await make_child(session, settings)
    a_inst = await make_child(session, settings, placement="institution")
    b = await make_child(session, settings, village_code=VILLAGE_B)
    b_inst = await make_child(session, settings, placement="institution", district_code=DISTRICT_B)
    run_a = await _gift_run(client, auth("admin"))
    run_b = await _gift_run(client, auth("admin_b"))
    # each run is its own district's: two children each
    assert (run_a["children"], run_b["children"]) == (2, 2)
    assert run_a["run_id"] != run_b["run_id"]
    gifts: dict[str, dict[str, str]] = {}
    for user in ("admin", "admin_b"):
        r = await client.get(GIFTS, headers=auth(user), params={"limit": 200})
        gifts[user] = {i["child_id"]: i["id"] for i in r.json()["items"]}
    assert set(gifts["admin"]) == {str(a.id), str(a_inst.id)}
    assert set(gifts["admin_b"]) == {str(b.id), str(b_inst.id)}
    for user, theirs in (
        ("leader", gifts["admin_b"]),
        ("auditor", gifts["admin_b"]),
        ("sup1", gifts["admin_b"]),
        ("dir1", gifts["admin_b"]),
        ("institute", gifts["admin_b"]),
        ("sup_b", gifts["admin"]),
        ("dir_b", gifts["admin"]),
    ):
        r = await client.get(GIFTS, headers=auth(user), params={"limit": 200})
        listed = {i["id"] for i in r.json()["items"]}
        assert not listed & set(theirs.values()), user
    delivery = {"delivered_on": "2026-06-01"}
    for user, theirs in (
        ("admin", gifts["admin_b"]),
        ("institute", gifts["admin_b"]),
        ("dir1", gifts["admin_b"]),
        ("admin_b", gifts["admin"]),
        ("sup_b", gifts["admin"]),
        ("dir_b", gifts["admin"]),
    ):
        for gift in theirs.values():
            r = await client.post(f"{GIFTS}/{gift}/delivery", json=delivery, headers=auth(user))
            assert r.status_code == 404, (user, r.text)
    r = await client.get(GIFTS, headers=auth("admin"), params={"delivered": "true"})
    assert r.json()["items"] == []
    # a gift for a child of another district's run is refused, naming the child
    body = {
        "occasion": "childrens_day",
        "year": 2026,
        "item": "图书",
        "value": "20",
        "child_ids": [str(a.id)],
    }
    r = await client.post(GIFTS, json=body, headers=auth("admin_b"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "child_ids[0]"
    r = await client.post(GIFTS, json=body, headers=auth("city_admin"))
    assert r.status_code == 403, r.text


# -- community activities --------------------------------------------------------------------

ACTIVITIES = "/api/v1/activities"


def _activity(village: str, children: list[str]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "village_code": village,
        "held_on": "2026-06-01",
        "kind": "reading",
        "title": "读书会",
        "child_ids": children,
        "others": 2,
    }


async def test_each_district_records_and_reads_its_own_activities(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    a = await make_child(session, settings)
    b = await make_child(session, settings, village_code=VILLAGE_B)
    b_left = await make_child(session, settings, village_code=VILLAGE_B)
    r = await client.post(ACTIVITIES, json=_activity(VILLAGE1, [str(a.id)]), headers=auth("dir1"))
    assert r.status_code == 201, r.text
    act_a = r.json()["id"]
    r = await client.post(ACTIVITIES, json=_activity(VILLAGE_B, [str(b.id)]), headers=auth("dir_b"))
    assert r.status_code == 201, r.text
    act_b = r.json()["id"]
    for user, own, theirs in (
        ("admin", act_a, act_b),
        ("leader", act_a, act_b),
        ("sup1", act_a, act_b),
        ("admin_b", act_b, act_a),
        ("sup_b", act_b, act_a),
        ("dir_b", act_b, act_a),
    ):
        listed = await _ids(client, auth, user, ACTIVITIES)
        assert (own in listed, theirs in listed) == (True, False), user
    # another district's village or child cannot be named
    for user, village in (("admin_b", VILLAGE1), ("sup_b", VILLAGE1), ("admin", VILLAGE_B)):
        r = await client.post(ACTIVITIES, json=_activity(village, []), headers=auth(user))
        assert r.status_code == 422, (user, r.text)
        assert r.json()["errors"][0]["field"] == "village_code"
    for user, village, kid in (("admin_b", VILLAGE_B, a), ("admin", VILLAGE1, b)):
        r = await client.post(
            ACTIVITIES, json=_activity(village, [str(kid.id)]), headers=auth(user)
        )
        assert r.status_code == 422, (user, r.text)
        assert r.json()["errors"][0]["field"] == "child_ids[0]"
    # the children without an activity: one's own district's, and another district's area is
    # unknown
    r = await client.get(f"{ACTIVITIES}/children-without", headers=auth("admin_b"))
    assert [i["child_id"] for i in r.json()["items"]] == [str(b_left.id)]
    r = await client.get(f"{ACTIVITIES}/children-without", headers=auth("admin"))
    assert str(b_left.id) not in {i["child_id"] for i in r.json()["items"]}
    for user, area in (("admin_b", TOWN1), ("admin_b", DISTRICT), ("admin", TOWN_B)):
        r = await client.get(
            f"{ACTIVITIES}/children-without", headers=auth(user), params={"area_code": area}
        )
        assert r.status_code == 422, (user, area, r.text)
        assert r.json()["errors"][0]["field"] == "area_code"
    r = await client.get(
        f"{ACTIVITIES}/children-without", headers=auth("admin_b"), params={"area_code": TOWN_B}
    )
    assert r.status_code == 200, r.text


# -- the dashboard's programmes sections ----------------------------------------------------


async def test_the_dashboard_counts_the_districts_own_programmes(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    """DISTRICT_B's institute child (no village: gift, pairing) and its district-wide class
    count in DISTRICT_B's dashboard, never in DISTRICT's (nor the reverse)."""
    inst_b = await make_child(session, settings, placement="institution", district_code=DISTRICT_B)
    mb = (await mother(client, auth("admin_b")))["id"]
    await paired(client, auth("admin_b"), mb, inst_b.id)
    await _gift_run(client, auth("admin_b"))
    r = await client.post(CLASSES, json=_class(None), headers=auth("admin_b"))
    assert r.status_code == 201, r.text
    sections = {}
    for user in ("admin", "admin_b"):
        r = await client.get("/api/v1/dashboard/summary", headers=auth(user))
        assert r.status_code == 200, r.text
        s = r.json()["sections"]
        sections[user] = (
            s["pairings"]["active"],
            s["holiday_gifts"]["gifts"],
            s["parent_classes"]["held_this_year"],
        )
    assert sections == {"admin": (0, 0, 0), "admin_b": (1, 1, 1)}
