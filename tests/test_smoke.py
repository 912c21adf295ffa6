from __future__ import annotations

import httpx

from tests.conftest import AuthHeaders


async def test_readyz_when_migrated(client: httpx.AsyncClient) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["status"] == "ready"


async def test_areas_listed_for_a_director(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get("/api/v1/areas", params={"level": "village"}, headers=auth("dir1"))
    assert r.status_code == 200
    codes = [a["code"] for a in r.json()["items"]]
    assert codes == ["110115001001", "110115001002", "110115002001"]
