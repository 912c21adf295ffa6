"""Partner-agency clients: creation (secret shown once), rotation, deactivation, listing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AgencyClient
from tests.conftest import AuthHeaders, Base
from tests.users.factories import client_body

CLIENTS = "/api/v1/agency-clients"
TOKEN = "/api/v1/auth/token"
PROBLEM = "application/problem+json"


async def client_count(session: AsyncSession) -> int:
    stmt = select(func.count()).select_from(AgencyClient)
    return int((await session.execute(stmt)).scalar_one())


async def create(client: httpx.AsyncClient, auth: AuthHeaders, **kw: Any) -> dict[str, Any]:
    r = await client.post(CLIENTS, json=client_body(**kw), headers=auth("admin"))
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def token(
    client: httpx.AsyncClient, client_id: str, secret: str, scope: str | None = None
) -> httpx.Response:
    data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if scope is not None:
        data["scope"] = scope
    return await client.post(TOKEN, data=data)


async def test_create_shows_secret_once_and_it_works(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    out = await create(client, auth, agency="education", scopes=["children:read", "referrals:read"])
    assert out["agency"] == "education"
    assert out["scopes"] == ["children:read", "referrals:read"]
    assert out["is_active"] is True
    assert out["client_id"]
    secret = out["client_secret"]
    assert isinstance(secret, str)
    assert len(secret) >= 32
    stored = await session.get(AgencyClient, uuid.UUID(out["id"]))
    assert stored is not None
    assert secret not in stored.secret_hash

    r = await token(client, out["client_id"], secret)
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "children:read referrals:read"
    assert r.json().get("refresh_token") is None
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["kind"] == "agency"
    assert me.json()["agency"] == "education"
    assert me.json()["id"] == out["id"]

    # the secret never appears again: not in the list, not in a wrong-secret attempt
    listed = await client.get(CLIENTS, params={"agency": "education"}, headers=auth("admin"))
    mine = [c for c in listed.json()["items"] if c["id"] == out["id"]]
    assert len(mine) == 1
    assert "client_secret" not in mine[0]
    assert secret not in listed.text


async def test_scope_beyond_the_grant_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth, scopes=["referrals:read"])
    r = await token(client, out["client_id"], out["client_secret"], scope="children:read")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_scope"


async def test_wrong_secret_is_401(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    out = await create(client, auth)
    r = await token(client, out["client_id"], out["client_secret"] + "x")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith(PROBLEM)


async def test_replay_with_key_answers_without_the_secret(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await client_count(session)
    body = client_body(name="幂等测试" + uuid.uuid4().hex[:6])
    headers = auth("admin") | {"Idempotency-Key": uuid.uuid4().hex}
    first = await client.post(CLIENTS, json=body, headers=headers)
    assert first.status_code == 201
    assert first.json()["client_secret"]
    again = await client.post(CLIENTS, json=body, headers=headers)
    assert again.status_code == 200
    assert again.json()["client_secret"] is None
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["client_id"] == first.json()["client_id"]
    assert await client_count(session) == before + 1
    other = await client.post(CLIENTS, json=body | {"agency": "health"}, headers=headers)
    assert other.status_code == 409
    assert await client_count(session) == before + 1


async def test_rotate_secret(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    out = await create(client, auth)
    old = out["client_secret"]
    r = await client.post(f"{CLIENTS}/{out['id']}/rotate-secret", headers=auth("admin"))
    assert r.status_code == 200, r.text
    new = r.json()["client_secret"]
    assert new
    assert new != old
    assert r.json()["client_id"] == out["client_id"]
    assert (await token(client, out["client_id"], old)).status_code == 401
    assert (await token(client, out["client_id"], new)).status_code == 200


async def test_deactivate_stops_tokens(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    out = await create(client, auth)
    issued = await token(client, out["client_id"], out["client_secret"])
    bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    r = await client.post(f"{CLIENTS}/{out['id']}/deactivate", headers=auth("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["is_active"] is False
    r = await token(client, out["client_id"], out["client_secret"])
    assert r.status_code == 401
    # a token issued before the deactivation stops working too
    assert (await client.get("/api/v1/auth/me", headers=bearer)).status_code == 401
    listed = await client.get(CLIENTS, params={"limit": 500}, headers=auth("admin"))
    mine = [c for c in listed.json()["items"] if c["id"] == out["id"]]
    assert mine[0]["is_active"] is False


async def test_list_and_filter(client: httpx.AsyncClient, auth: AuthHeaders, base: Base) -> None:
    r = await client.get(CLIENTS, params={"limit": 500}, headers=auth("auditor"))
    assert r.status_code == 200
    ids = {c["id"] for c in r.json()["items"]}
    assert {str(i) for i in base.clients.values()} <= ids
    r = await client.get(CLIENTS, params={"agency": "women_federation"}, headers=auth("leader"))
    assert r.status_code == 200
    assert {c["agency"] for c in r.json()["items"]} == {"women_federation"}
    assert str(base.clients["women_federation"]) in {c["id"] for c in r.json()["items"]}
    r = await client.get(CLIENTS, params={"agency": "army"}, headers=auth("admin"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["agency"]


async def test_list_pages(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    full = await client.get(CLIENTS, params={"limit": 500}, headers=auth("admin"))
    everything = [c["id"] for c in full.json()["items"]]
    walked: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        r = await client.get(CLIENTS, params=params, headers=auth("admin"))
        walked += [c["id"] for c in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert walked == everything


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"agency": "army"}, "agency"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["everything"]}, "scopes.0"),
        ({"name": ""}, "name"),
        ({"webhook_url": "ftp://x"}, "webhook_url"),
        ({"secret": "mine"}, "secret"),
    ],
)
async def test_create_bad_body_is_422(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    body: dict[str, Any],
    field: str,
) -> None:
    before = await client_count(session)
    r = await client.post(CLIENTS, json=client_body(**body), headers=auth("admin"))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert await client_count(session) == before


@pytest.mark.parametrize("who", ["leader", "auditor", "institute", "sup1", "dir1"])
async def test_writes_by_other_roles_are_403(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession, who: str
) -> None:
    before = await client_count(session)
    target = base.clients["police"]
    r = await client.post(CLIENTS, json=client_body(), headers=auth(who))
    assert r.status_code == 403
    r = await client.post(f"{CLIENTS}/{target}/rotate-secret", headers=auth(who))
    assert r.status_code == 403
    r = await client.post(f"{CLIENTS}/{target}/deactivate", headers=auth(who))
    assert r.status_code == 403
    assert await client_count(session) == before
    stored = await session.get(AgencyClient, target)
    assert stored is not None
    assert stored.is_active is True


@pytest.mark.parametrize("who", ["institute", "sup1", "dir1"])
async def test_list_by_other_roles_is_403(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    assert (await client.get(CLIENTS, headers=auth(who))).status_code == 403


async def test_agencies_and_anonymous_are_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    assert (await client.get(CLIENTS, headers=auth(agency="police"))).status_code == 403
    r = await client.post(CLIENTS, json=client_body(), headers=auth(agency="police"))
    assert r.status_code == 403
    assert (await client.get(CLIENTS)).status_code == 401
    r = await client.post(f"{CLIENTS}/{base.clients['police']}/rotate-secret")
    assert r.status_code == 401


async def test_unknown_client_is_404(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    for action in ("rotate-secret", "deactivate"):
        r = await client.post(f"{CLIENTS}/{uuid.uuid4()}/{action}", headers=auth("admin"))
        assert r.status_code == 404
        assert r.headers["content-type"].startswith(PROBLEM)
