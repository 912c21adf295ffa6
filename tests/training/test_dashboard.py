"""The dashboard's training section: coverage by town, the same figures as the coverage route."""

from __future__ import annotations

import httpx

from tests.conftest import TOWN1, TOWN2, AuthHeaders, Base
from tests.training.factories import attend, create

URL = "/api/v1/dashboard/summary"


async def test_training_section_by_town(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    s = await create(client, auth, "sup1")
    await attend(client, auth, s["id"], base.users["dir1"], by="sup1")
    r = await client.get(URL, params={"month": "2026-06"}, headers=auth("admin"))
    assert r.status_code == 200, r.text
    section = r.json()["sections"]["training"]
    assert (section["year"], section["workers"], section["trained"]) == (2026, 9, 1)
    assert section["towns_without_town_session"] == 1
    towns = {t["code"]: t for t in section["towns"]}
    assert (towns[TOWN1]["trained"], towns[TOWN1]["town_sessions"]) == (1, 1)
    assert towns[TOWN2]["coverage"] == 0
    # a supervisor's dashboard is their town's
    r = await client.get(URL, params={"month": "2026-06"}, headers=auth("sup1"))
    mine = r.json()["sections"]["training"]
    assert [t["code"] for t in mine["towns"]] == [TOWN1]
    assert mine["workers"] == 3
