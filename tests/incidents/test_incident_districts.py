"""Incidents without an area (rows from before the city): their events reach the clients of the
child's district and the city's only, never another district's; what cannot be placed goes to
the city's clients alone; migration 0024 gives such rows their child's area."""

from __future__ import annotations

import uuid

import httpx
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import create_engine
from app.manage import scratch_database
from app.migrate import alembic_config
from tests.conftest import (
    AREAS,
    CITY,
    DISTRICT,
    DISTRICT_B,
    VILLAGE1,
    VILLAGE_B,
    AuthHeaders,
    area_path,
)
from tests.incidents.factories import make_child, report, stranger
from tests.incidents.test_city_agencies import _client

API = "/api/v1"


async def _area_less_draft(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    who: str,
    body: dict[str, object],
) -> str:
    """A draft filed by `who`, then stripped of its area as a row from before the city."""
    r = await client.post(f"{API}/incidents", json=body | {"draft": True}, headers=auth(who))
    assert r.status_code == 201, r.text
    await session.execute(
        text("UPDATE incidents SET area_code = NULL WHERE id = :id"), {"id": body["id"]}
    )
    await session.commit()
    return str(body["id"])


async def _delivered_to(session: AsyncSession, incident_id: str) -> set[uuid.UUID]:
    rows = await session.execute(
        text(
            "SELECT d.agency_client_id FROM webhook_deliveries d"
            " JOIN referrals r ON r.id = d.referral_id WHERE r.incident_id = :id"
        ),
        {"id": incident_id},
    )
    return set(rows.scalars())


async def _complete(client: httpx.AsyncClient, auth: AuthHeaders, who: str, iid: str) -> None:
    complete = {k: v for k, v in report().items() if k != "id"}
    r = await client.post(f"{API}/incidents/{iid}/complete", json=complete, headers=auth(who))
    assert r.status_code == 200, r.text
    assert [x["agency"] for x in r.json()["referrals"]] == ["police"]


async def test_an_area_less_incident_goes_to_its_childs_district_and_the_city(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    city = await _client(session, CITY, hook=True)
    a = await _client(session, DISTRICT, hook=True)
    b = await _client(session, DISTRICT_B, hook=True)
    await session.commit()
    child = await make_child(session, settings, village=VILLAGE_B)
    body = report(child.id)
    iid = await _area_less_draft(client, auth, session, "dir_b", body)
    await _complete(client, auth, "dir_b", iid)
    to = await _delivered_to(session, iid)
    assert {city, b} <= to
    assert a not in to  # district A's police never hears of district B's child


async def test_an_incident_of_no_district_goes_to_the_city_clients_only(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    city = await _client(session, CITY, hook=True)
    a = await _client(session, DISTRICT, hook=True)
    b = await _client(session, DISTRICT_B, hook=True)
    await session.commit()
    iid = await _area_less_draft(client, auth, session, "dir1", report(child=stranger()))
    await _complete(client, auth, "dir1", iid)
    to = await _delivered_to(session, iid)
    assert city in to
    assert not {a, b} & to
    levels = await session.execute(
        text(
            "SELECT DISTINCT ar.level FROM agency_clients c JOIN areas ar ON ar.code = c.area_code"
            " WHERE c.id = ANY(:ids)"
        ),
        {"ids": list(to)},
    )
    assert set(levels.scalars()) == {"city"}


def _upgrade_to(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


_CHILD = text(
    "INSERT INTO children (id, name, id_number_enc, id_number_hash, id_number_masked, gender,"
    " birth_date, category, placement, village_code, district_code, approved_on, status,"
    " parents, guardians, household_assistance, insurance, version) VALUES (:id, '儿童',"
    " '\\x00', :h, '110116****', 'female', '2014-01-01', 'orphan', :placement, :village,"
    " :district, '2025-01-01', 'active', '[]', '[]', 'none', '{}', 1)"
)
_INCIDENT = text(
    "INSERT INTO incidents (id, status, child_id, child_name, area_code, kinds, situations,"
    " immediate_danger, urgent, reporter_id, reporter_name, interventions, version) VALUES"
    " (:id, 'reported', :child, :name, :area, '{}', '{other_serious_harm}', false, false, :u,"
    " '报告人', '[]', 1)"
)


async def test_0024_gives_area_less_incidents_their_childs_place(
    database_url: str, settings: Settings
) -> None:
    user, villager, resident = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    ids = {k: uuid.uuid4() for k in ("villager", "resident", "stranger", "placed")}
    async with scratch_database(database_url) as url:
        engine = create_engine(url, settings)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(_upgrade_to, "0023_city_inst_prog")
                await conn.commit()
            async with engine.begin() as conn:
                for code, (name, level, parent) in AREAS.items():
                    await conn.execute(
                        text(
                            "INSERT INTO areas (code, name, level, parent_code, path)"
                            " VALUES (:c, :n, :l, :p, :path)"
                        ),
                        {"c": code, "n": name, "l": level, "p": parent, "path": area_path(code)},
                    )
                await conn.execute(
                    text(
                        "INSERT INTO users (id, username, password_hash, full_name, role,"
                        " area_code, is_active, failed_logins, version) VALUES (:id, 'm', 'x',"
                        " '报告人', 'district_admin', :a, true, 0, 1)"
                    ),
                    {"id": user, "a": DISTRICT},
                )
                for cid, placement, village in (
                    (villager, "dispersed", VILLAGE_B),
                    (resident, "institution", None),
                ):
                    params = {"id": cid, "h": cid.hex, "placement": placement}
                    params |= {"village": village, "district": DISTRICT_B}
                    await conn.execute(_CHILD, params)
                for iid, child, area in (
                    (ids["villager"], villager, None),
                    (ids["resident"], resident, None),
                    (ids["stranger"], None, None),
                    (ids["placed"], villager, VILLAGE1),  # has an area: left as it is
                ):
                    params = {"id": iid, "child": child, "area": area, "u": user}
                    params["name"] = None if child else "流浪儿童"
                    await conn.execute(_INCIDENT, params)
            async with engine.connect() as conn:
                await conn.run_sync(_upgrade_to, "0024_incident_districts")
                await conn.commit()
            async with engine.connect() as conn:
                rows = await conn.execute(text("SELECT id, area_code, version FROM incidents"))
                found = {r.id: (r.area_code, r.version) for r in rows}
        finally:
            await engine.dispose()
    assert found == {
        ids["villager"]: (VILLAGE_B, 2),  # the child's village
        ids["resident"]: (DISTRICT_B, 2),  # an institute child: its district
        ids["stranger"]: (None, 1),  # nothing to place it by: the city's clients only
        ids["placed"]: (VILLAGE1, 1),
    }
