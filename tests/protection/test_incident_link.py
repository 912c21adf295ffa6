"""An incident's protection_centre_placement intervention opens the centre's intake, or links one."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import AuthHeaders
from tests.incidents.factories import make_child, report, stranger
from tests.protection.factories import API, create, id_number

INCIDENTS = "/api/v1/incidents"


async def _to_intervening(
    client: httpx.AsyncClient, auth: AuthHeaders, body: dict[str, Any], placement: dict[str, Any]
) -> httpx.Response:
    r = await client.post(INCIDENTS, json=body, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    for to in ("acknowledged", "investigating"):
        t = await client.post(
            f"{INCIDENTS}/{iid}/transitions", json={"to": to}, headers=auth("admin")
        )
        assert t.status_code == 200, t.text
    intervention = {
        "kind": "protection_centre_placement",
        "since": "2026-06-15",
        "centre_name": "大兴区未成年人救助保护中心",
    } | placement
    return await client.post(
        f"{INCIDENTS}/{iid}/transitions",
        json={"to": "intervening", "interventions": [intervention]},
        headers=auth("admin"),
    )


async def test_a_placement_of_a_minor_not_on_the_ledger_opens_an_intake(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = report(
        child=stranger(name="流浪儿童乙"),
        kinds=["begging"],
        situations=["organised_begging"],
    )
    r = await _to_intervening(client, auth, body, {"detail": "夜间送达"})
    assert r.status_code == 200, r.text
    [placed] = r.json()["interventions"]
    intake = await client.get(f"{API}/intakes/{placed['intake_id']}", headers=auth("institute"))
    assert intake.status_code == 200
    got = intake.json()
    assert got["incident_id"] == body["id"]
    assert (got["kind"], got["basis"]) == ("street_begging", "begging_or_unidentified")
    assert got["child"]["name"] == "流浪儿童乙"
    assert got["child"]["estimated_birth_year"] == 2017
    assert got["found_at"] == body["location"]
    assert got["notes"] == "夜间送达"


async def test_a_ledger_child_already_at_the_centre_is_linked_not_taken_in_twice(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    number = id_number()
    child = await make_child(session, settings, id_number=number)
    open_intake = await create(client, auth, child={"id_number": number})
    r = await _to_intervening(client, auth, report(child.id), {})
    assert r.status_code == 200, r.text
    assert r.json()["interventions"][0]["intake_id"] == open_intake["id"]
    got = await client.get(f"{API}/intakes/{open_intake['id']}", headers=auth("institute"))
    assert got.json()["incident_id"] == r.json()["id"]


async def test_naming_an_intake_links_it_and_a_wrong_one_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    wrong = await _to_intervening(
        client, auth, report(child.id), {"intake_id": "00000000-0000-4000-8000-000000000000"}
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "interventions[0].intake_id"
    taken = await create(client, auth)
    r = await _to_intervening(client, auth, report(child.id), {"intake_id": taken["id"]})
    assert r.status_code == 200, r.text
    got = await client.get(f"{API}/intakes/{taken['id']}", headers=auth("admin"))
    assert got.json()["incident_id"] == r.json()["id"]
