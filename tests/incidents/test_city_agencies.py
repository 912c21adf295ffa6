"""Agencies at two levels: a district's agency client reads its own district's referrals and the
children and records they concern; a city agency (the municipal police) every district's; a
webhook goes only to the clients whose area covers the record's district."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.tokens import create_access_token
from app.config import Settings
from app.kit.clock import FixedClock
from app.kit.secrets import hash_client_secret
from app.models import AgencyClient
from app.webhooks import repository as webhooks_repo
from tests.conftest import (
    ALL_SCOPES,
    CITY,
    DISTRICT,
    DISTRICT_B,
    VILLAGE1,
    VILLAGE_B,
    AuthHeaders,
    Base,
)
from tests.incidents.factories import make_child, report

API = "/api/v1"


@dataclass
class Clients:
    city: dict[str, str]  # the municipal police
    b: dict[str, str]  # district B's police
    ids: dict[str, uuid.UUID]


async def _client(session: AsyncSession, area: str, hook: bool = False) -> uuid.UUID:
    cid = uuid.uuid4()
    session.add(
        AgencyClient(
            id=cid,
            client_id=f"test-police-{cid.hex[:10]}",
            name=f"测试公安-{area}",
            agency="police",
            area_code=area,
            scopes=ALL_SCOPES,
            secret_hash=hash_client_secret("x"),
            is_active=True,
            webhook_url="https://hooks.example/police" if hook else None,
            webhook_secret_enc=b"x" if hook else None,
        )
    )
    await session.flush()
    return cid


def _headers(settings: Settings, clock: FixedClock, cid: uuid.UUID) -> dict[str, str]:
    token, _ = create_access_token(
        settings,
        now=clock.now(),
        subject=cid,
        kind="agency",
        extra={"agency": "police", "scopes": ALL_SCOPES},
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def police(session: AsyncSession, settings: Settings, clock: FixedClock) -> Clients:
    city, b = await _client(session, CITY), await _client(session, DISTRICT_B)
    await session.commit()
    return Clients(
        city=_headers(settings, clock, city),
        b=_headers(settings, clock, b),
        ids={"city": city, "b": b},
    )


async def _reported(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    who: str,
    village: str,
) -> tuple[str, str]:
    """A ledger child of `village` reported by `who`: (the child's id, the police referral's)."""
    child = await make_child(session, settings, village=village)
    r = await client.post(f"{API}/incidents", json=report(child.id), headers=auth(who))
    assert r.status_code == 201, r.text
    [referral] = [x for x in r.json()["referrals"] if x["agency"] == "police"]
    return str(child.id), str(referral["id"])


async def _referrals(client: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    out: set[str] = set()
    params: dict[str, Any] = {"limit": 500}
    while True:
        r = await client.get(f"{API}/referrals", headers=headers, params=params)
        assert r.status_code == 200, r.text
        out |= {i["id"] for i in r.json()["items"]}
        if r.json()["next_cursor"] is None:
            return out
        params["cursor"] = r.json()["next_cursor"]


async def test_a_district_agency_reads_its_own_district_only(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    police: Clients,
) -> None:
    child_a, ref_a = await _reported(client, auth, session, settings, "dir1", VILLAGE1)
    child_b, ref_b = await _reported(client, auth, session, settings, "dir_b", VILLAGE_B)
    police_a = auth(agency="police")  # the base police client serves DISTRICT
    # each district's police sees its own referral and child, not the other's
    assert ref_a in await _referrals(client, police_a)
    assert ref_b not in await _referrals(client, police_a)
    assert ref_b in await _referrals(client, police.b)
    assert ref_a not in await _referrals(client, police.b)
    for headers, ref, child in ((police.b, ref_a, child_a), (police_a, ref_b, child_b)):
        assert (await client.get(f"{API}/referrals/{ref}", headers=headers)).status_code == 404
        r = await client.post(f"{API}/referrals/{ref}/acknowledge", headers=headers)
        assert r.status_code == 404
        assert (await client.get(f"{API}/children/{child}", headers=headers)).status_code == 404
    assert (await client.get(f"{API}/children/{child_b}", headers=police.b)).status_code == 200
    r = await client.get(f"{API}/children", headers=police.b, params={"limit": 500})
    assert child_a not in {i["id"] for i in r.json()["items"]}


async def test_the_city_agency_reads_every_districts_referrals(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    police: Clients,
) -> None:
    child_a, ref_a = await _reported(client, auth, session, settings, "dir1", VILLAGE1)
    child_b, ref_b = await _reported(client, auth, session, settings, "dir_b", VILLAGE_B)
    assert {ref_a, ref_b} <= await _referrals(client, police.city)
    for child in (child_a, child_b):
        r = await client.get(f"{API}/children/{child}", headers=police.city)
        assert r.status_code == 200, r.text
    r = await client.post(f"{API}/referrals/{ref_b}/acknowledge", headers=police.city)
    assert r.status_code == 200, r.text


async def test_webhooks_go_to_the_clients_covering_the_records_district(
    session: AsyncSession, base: Base
) -> None:
    city = await _client(session, CITY, hook=True)
    a = await _client(session, DISTRICT, hook=True)
    b = await _client(session, DISTRICT_B, hook=True)
    to_a = set(await webhooks_repo.client_ids_with_webhook(session, "police", VILLAGE1))
    to_b = set(await webhooks_repo.client_ids_with_webhook(session, "police", VILLAGE_B))
    assert {city, a} <= to_a
    assert b not in to_a
    assert {city, b} <= to_b
    assert a not in to_b


async def test_webhook_deliveries_are_read_per_district(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    b = await _client(session, DISTRICT_B, hook=True)
    await session.commit()
    _, ref_b = await _reported(client, auth, session, settings, "dir_b", VILLAGE_B)
    url = f"{API}/webhook-deliveries"
    r = await client.get(url, params={"referral_id": ref_b}, headers=auth("admin_b"))
    assert r.status_code == 200, r.text
    [delivery] = r.json()["items"]
    assert delivery["agency_client_id"] == str(b)
    for who in ("admin", "auditor"):
        r = await client.get(url, params={"referral_id": ref_b}, headers=auth(who))
        assert r.json()["items"] == []
        r = await client.get(f"{url}/{delivery['id']}", headers=auth(who))
        assert r.status_code == 404
    r = await client.post(f"{url}/{delivery['id']}/resend", headers=auth("admin"))
    assert r.status_code == 404
    r = await client.get(f"{url}/{delivery['id']}", headers=auth("admin_b"))
    assert r.status_code == 200
