"""City-wide standards with districts' dated overrides: the city admin sets the living-allowance
standard for every district; a district's admin overrides it for its own district from a date;
the calculations and GET /subsidy/standards use what applies to the caller's district."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import DISTRICT_B, AuthHeaders
from tests.incidents.factories import make_child

S = "/api/v1/subsidy/standards"
Q = "/api/v1/subsidy/quote"
KEY = "living_allowance.standard"
P = "/api/v1/subsidy/payrolls"


def standard(value: str, effective_from: str) -> dict[str, Any]:
    return {
        "key": KEY,
        "value": value,
        "effective_from": effective_from,
        "reference": f"测试：{effective_from} 起 {value}",
    }


async def amount(client: httpx.AsyncClient, headers: dict[str, str], month: str) -> str:
    r = await client.post(Q, json={"category": "orphan", "month": month}, headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["items"][0]["amount"])


async def values(client: httpx.AsyncClient, headers: dict[str, str]) -> list[tuple[str, str, Any]]:
    r = await client.get(S, params={"key": KEY, "limit": 100}, headers=headers)
    assert r.status_code == 200, r.text
    return [(s["effective_from"], s["value"], s["district_code"]) for s in r.json()["items"]]


async def test_a_city_standard_applies_to_every_district(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(S, json=standard("2800.00", "2027-01-01"), headers=auth("city_admin"))
    assert r.status_code == 201, r.text
    assert r.json()["district_code"] is None
    for who in ("admin", "sup1", "admin_b", "dir_b"):
        assert await amount(client, auth(who), "2026-12") == "2650.00"
        assert await amount(client, auth(who), "2027-01") == "2800.00"


async def test_a_districts_override_applies_to_that_district_only(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(S, json=standard("3000.00", "2027-03-01"), headers=auth("admin_b"))
    assert r.status_code == 201, r.text
    assert r.json()["district_code"] == DISTRICT_B
    assert await amount(client, auth("admin_b"), "2027-02") == "2650.00"
    assert await amount(client, auth("admin_b"), "2027-03") == "3000.00"
    assert await amount(client, auth("sup_b"), "2027-03") == "3000.00"
    # the other district keeps the city's value
    assert await amount(client, auth("admin"), "2027-03") == "2650.00"
    # each district's list shows what applies to it; the city sees every district's overrides
    assert ("2027-03-01", "3000.00", DISTRICT_B) in await values(client, auth("dir_b"))
    assert ("2027-03-01", "3000.00", DISTRICT_B) not in await values(client, auth("dir1"))
    assert ("2027-03-01", "3000.00", DISTRICT_B) in await values(client, auth("city_viewer"))


async def test_a_later_city_standard_supersedes_an_override_and_same_date_the_district_wins(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    for who, body in (
        ("admin_b", standard("3000.00", "2027-03-01")),
        ("city_admin", standard("3100.00", "2028-01-01")),
        ("city_admin", standard("3200.00", "2029-01-01")),
        ("admin_b", standard("3300.00", "2029-01-01")),
    ):
        r = await client.post(S, json=body, headers=auth(who))
        assert r.status_code == 201, r.text
    assert await amount(client, auth("admin_b"), "2027-12") == "3000.00"
    assert await amount(client, auth("admin_b"), "2028-01") == "3100.00"
    assert await amount(client, auth("admin_b"), "2029-01") == "3300.00"
    assert await amount(client, auth("admin"), "2029-01") == "3200.00"


async def test_an_override_is_never_replaced_but_districts_are_independent(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = standard("3000.00", "2027-03-01")
    assert (await client.post(S, json=body, headers=auth("admin_b"))).status_code == 201
    again = await client.post(S, json=body | {"value": "3050.00"}, headers=auth("admin_b"))
    assert again.status_code == 409
    assert (await client.post(S, json=body, headers=auth("admin"))).status_code == 201
    assert (await client.post(S, json=body, headers=auth("city_admin"))).status_code == 201


@pytest.mark.parametrize("who", ["city_viewer", "leader", "sup_b"])
async def test_others_set_no_standard(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    r = await client.post(S, json=standard("3000.00", "2027-03-01"), headers=auth(who))
    assert r.status_code == 403


async def test_months_already_paid_are_the_districts_own(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    """DISTRICT has paid April; district B has not: B's override from April is no retroactive
    change, DISTRICT's own is (409 until `retroactive`), and so is a city-wide value."""
    await make_child(session, settings)
    r = await client.post(P, json={"month": "2026-04"}, headers=auth("admin"))
    assert r.status_code == 201, r.text
    r = await client.post(f"{P}/2026-04/approve", headers=auth("leader"))
    assert r.status_code == 200, r.text
    r = await client.post(S, json=standard("3000.00", "2026-04-01"), headers=auth("admin_b"))
    assert r.status_code == 201, r.text
    assert r.json()["retroactive"] is False
    assert r.json()["adjusted_months"] == []
    for who in ("admin", "city_admin"):
        r = await client.post(S, json=standard("3100.00", "2026-04-01"), headers=auth(who))
        assert r.status_code == 409, (who, r.text)
        assert r.json()["code"] == "month_already_paid"
        assert r.json()["paid_months"] == ["2026-04"]
    r = await client.post(
        S, json=standard("3100.00", "2026-04-01") | {"retroactive": True}, headers=auth("admin")
    )
    assert r.status_code == 201, r.text
    assert r.json()["adjusted_months"] == ["2026-04"]
