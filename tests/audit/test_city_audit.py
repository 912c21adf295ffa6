"""The audit log of a city is read per district: an entry carries its writer's district, a
district's readers see their own district's entries only, the city's roles every district's
only when CITY_RECORD_ROLES names them. The hash chain is the same chain (the district is not
part of an entry's hash)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.audit import chain_hash
from app.kit.clock import FixedClock
from app.main import create_app
from app.models import AuditEntry
from tests.conftest import DISTRICT, DISTRICT_B, VILLAGE_B, AuthHeaders
from tests.users.factories import insert_user

AUDIT = "/api/v1/audit"


async def rename(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, who: str, area: str
) -> str:
    uid = str((await insert_user(session, area_code=area)).id)
    r = await client.patch(
        f"/api/v1/users/{uid}", json={"full_name": "改名"}, headers=auth(who) | {"If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    return uid


async def seen(client: httpx.AsyncClient, headers: dict[str, str], uid: str) -> list[str]:
    r = await client.get(AUDIT, params={"resource_id": uid}, headers=headers)
    assert r.status_code == 200, r.text
    return [i["action"] for i in r.json()["items"]]


async def test_an_entry_carries_its_writers_district_outside_the_hash(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    a = await rename(client, auth, session, "admin", "110115001001")
    b = await rename(client, auth, session, "admin_b", VILLAGE_B)
    rows = {
        e.resource_id: e
        for e in (
            await session.execute(
                select(AuditEntry).where(
                    AuditEntry.action == "user.update", AuditEntry.resource_id.in_([a, b])
                )
            )
        ).scalars()
    }
    assert rows[a].district_code == DISTRICT
    assert rows[b].district_code == DISTRICT_B
    entry = rows[b]
    as_hashed = {c.name: getattr(entry, c.name) for c in AuditEntry.__table__.columns}
    assert chain_hash(as_hashed) == entry.hash
    assert chain_hash(as_hashed | {"district_code": DISTRICT}) == entry.hash


async def test_each_district_reads_its_own_entries(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    a = await rename(client, auth, session, "admin", "110115001001")
    b = await rename(client, auth, session, "admin_b", VILLAGE_B)
    assert await seen(client, auth("auditor"), a) == ["user.update"]
    assert await seen(client, auth("admin"), b) == []
    assert await seen(client, auth("admin_b"), a) == []
    assert await seen(client, auth("admin_b"), b) == ["user.update"]
    r = await client.get(AUDIT, params={"limit": 200}, headers=auth("admin_b"))
    assert r.json()["items"]
    assert a not in {i["resource_id"] for i in r.json()["items"]}


@pytest.mark.parametrize("who", ["city_admin", "city_viewer"])
async def test_the_city_reads_no_entry_by_default(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, who: str
) -> None:
    a = await rename(client, auth, session, "admin", "110115001001")
    r = await client.get(AUDIT, params={"limit": 200}, headers=auth(who))
    assert r.status_code == 200
    assert r.json()["items"] == []
    assert await seen(client, auth(who), a) == []


@pytest.fixture
async def records_client(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with CITY_RECORD_ROLES=city_admin."""
    named = settings.model_copy(update={"city_record_roles": "city_admin"})
    application: FastAPI = create_app(named, engine=engine, sessionmaker=sessionmaker, clock=clock)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def test_a_city_role_named_by_city_record_roles_reads_every_district(
    client: httpx.AsyncClient,
    records_client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
) -> None:
    a = await rename(client, auth, session, "admin", "110115001001")
    b = await rename(client, auth, session, "admin_b", VILLAGE_B)
    assert await seen(records_client, auth("city_admin"), a) == ["user.update"]
    assert await seen(records_client, auth("city_admin"), b) == ["user.update"]
    assert await seen(records_client, auth("city_viewer"), a) == []
