"""A city of two districts: each district's centre keeps its own register.

DISTRICT's intakes are absent from DISTRICT_B's lists, counts and deadlines and a 404 by id to
its protection staff and offices (and the reverse); the city's roles read no intake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import FixedClock
from app.main import create_app
from tests.conftest import VILLAGE1, AuthHeaders
from tests.protection.factories import API, create, id_number, intake, post

B_STAFF = ("protect_b", "admin_b")


async def _ids(client: httpx.AsyncClient, auth: AuthHeaders, user: str, path: str) -> list[str]:
    r = await client.get(f"{API}/{path}", headers=auth(user), params={"limit": 500})
    assert r.status_code == 200, r.text
    body: Any = r.json()
    items = body["items"] if isinstance(body, dict) else body
    return [i.get("intake_id") or i["id"] for i in items]


async def test_another_districts_centre_sees_none_of_the_intakes(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    mine = await create(client, auth, user="protect", child={"name": "测试儿童甲"})
    theirs = await create(client, auth, user="protect_b", child={"name": "乙区儿童"})
    for user in B_STAFF:
        assert mine["id"] not in await _ids(client, auth, user, "intakes")
        assert theirs["id"] in await _ids(client, auth, user, "intakes")
        r = await client.get(f"{API}/intakes/{mine['id']}", headers=auth(user))
        assert r.status_code == 404, (user, r.text)
    for user in ("protect", "admin", "institute"):
        assert theirs["id"] not in await _ids(client, auth, user, "intakes")
        r = await client.get(f"{API}/intakes/{theirs['id']}", headers=auth(user))
        assert r.status_code == 404, (user, r.text)
    # nor written: a step, an edit, a discharge
    step = {"traced_on": "2026-06-15", "method": "police_identity_check", "result": "无匹配"}
    r = await post(client, auth, mine["id"], "tracing", step, user="protect_b")
    assert r.status_code == 404
    r = await client.patch(
        f"{API}/intakes/{mine['id']}",
        json={"notes": "改"},
        headers=auth("protect_b") | {"If-Match": '"1"'},
    )
    assert r.status_code == 404
    r = await post(client, auth, theirs["id"], "tracing", step, user="protect")
    assert r.status_code == 404
    # the city reads no intake (aggregates only)
    for user in ("city_admin", "city_viewer"):
        r = await client.get(f"{API}/intakes/{mine['id']}", headers=auth(user))
        assert r.status_code in (403, 404)


async def test_occupancy_and_deadlines_count_the_own_district_only(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    await create(client, auth, user="protect")
    await create(client, auth, user="protect")
    theirs = await create(client, auth, user="protect_b")
    occ_a = (await client.get(f"{API}/occupancy", headers=auth("admin"))).json()
    occ_b = (await client.get(f"{API}/occupancy", headers=auth("admin_b"))).json()
    assert (occ_a["residents"], occ_b["residents"]) == (2, 1)
    assert occ_b["by_month"][-1]["admissions"] == 1
    deadlines_b = await _ids(client, auth, "protect_b", "deadlines")
    assert set(deadlines_b) == {theirs["id"]}
    assert theirs["id"] not in await _ids(client, auth, "protect", "deadlines")


async def test_follow_up_visits_stay_with_the_district(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth, child={"name": "测试儿童戊"})
    safe = {"assessed_on": "2026-06-15", "conclusion": "safe_to_return"}
    await post(client, auth, out["id"], "family-assessments", safe)
    body = {
        "discharged_on": "2026-06-15",
        "outcome": "returned_to_family",
        "family_village_code": VILLAGE1,
        "family_address": "测试一村5号",
    }
    assert (await post(client, auth, out["id"], "discharge", body)).status_code == 200
    assert out["id"] in await _ids(client, auth, "admin", "follow-up-visits")
    for user in (*B_STAFF, "dir_b"):
        assert out["id"] not in await _ids(client, auth, user, "follow-up-visits")


@pytest.fixture
async def city_records_client(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> AsyncIterator[httpx.AsyncClient]:
    """The service with CITY_RECORD_ROLES=city_viewer."""
    named = settings.model_copy(update={"city_record_roles": "city_viewer"})
    application = create_app(named, engine=engine, sessionmaker=sessionmaker, clock=clock)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def test_the_city_reads_intakes_only_when_city_record_roles_names_it(
    client: httpx.AsyncClient,
    city_records_client: httpx.AsyncClient,
    auth: AuthHeaders,
) -> None:
    mine = await create(
        client,
        auth,
        user="protect",
        kind="domestic_violence_shelter",
        basis="harm_by_guardian",
        do_not_disclose_to=["继父"],
    )
    theirs = await create(client, auth, user="protect_b")
    # by default: an empty list and a 404
    assert await _ids(client, auth, "city_viewer", "intakes") == []
    r = await client.get(f"{API}/intakes/{mine['id']}", headers=auth("city_viewer"))
    assert r.status_code == 404
    # named: every district's intakes, a sheltered child's whereabouts withheld
    ids = await _ids(city_records_client, auth, "city_viewer", "intakes")
    assert {mine["id"], theirs["id"]} <= set(ids)
    r = await city_records_client.get(f"{API}/intakes/{mine['id']}", headers=auth("city_viewer"))
    assert r.status_code == 200, r.text
    assert "继父" not in r.text
    # a role the setting does not name still reads none
    assert await _ids(city_records_client, auth, "city_admin", "intakes") == []


async def test_another_districts_open_intake_is_not_named(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    """A child has one open intake in the whole city: the other district's centre is told so
    (409), without the id of a record it may not read."""
    number = id_number()
    mine = await create(client, auth, user="protect", child={"id_number": number})
    body = intake(child={"id_number": number})
    r = await client.post(f"{API}/intakes", json=body, headers=auth("protect"))
    assert r.status_code == 409
    assert r.json()["existing_id"] == mine["id"]
    r = await client.post(f"{API}/intakes", json=body, headers=auth("protect_b"))
    assert r.status_code == 409
    assert "existing_id" not in r.json()
    assert mine["id"] not in r.text
