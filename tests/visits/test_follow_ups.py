from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.clock import FixedClock
from tests.conftest import VILLAGE3, AuthHeaders
from tests.visits.factories import make_child, visit_body

URL = "/api/v1/follow-ups"


async def _open(client: httpx.AsyncClient, auth: AuthHeaders, child: uuid.UUID, who: str) -> str:
    body = visit_body(child, difficulties=[{"kind": "living", "text": "冬季取暖困难"}])
    r = await client.post("/api/v1/visits", json=body, headers=auth(who))
    assert r.status_code == 201
    r = await client.get(URL, params={"child_id": str(child)}, headers=auth("admin"))
    items = r.json()["items"]
    assert len(items) == 1
    return str(items[0]["id"])


async def test_transitions_and_refused_moves(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    await session.commit()
    fid = await _open(client, auth, child, "dir1")
    move = f"{URL}/{fid}/transitions"
    r = await client.post(move, json={"to": "resolved", "resolution": "x"}, headers=auth("sup1"))
    assert r.status_code == 409
    assert r.json()["allowed"] == ["in_progress"]
    assert (
        await client.post(move, json={"to": "in_progress"}, headers=auth("dir1"))
    ).status_code == 403
    assert (
        await client.post(move, json={"to": "in_progress"}, headers=auth("sup2"))
    ).status_code == 404
    r = await client.post(move, json={"to": "in_progress", "note": "已联系"}, headers=auth("sup1"))
    assert r.status_code == 200
    assert r.json()["status"] == "in_progress"
    assert r.headers["etag"] == '"2"'
    r = await client.post(move, json={"to": "resolved"}, headers=auth("sup1"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "resolution"
    r = await client.post(
        move, json={"to": "resolved", "resolution": "已发放取暖补贴"}, headers=auth("admin")
    )
    assert r.status_code == 200
    out = r.json()
    assert out["status"] == "resolved"
    assert out["resolution"] == "已发放取暖补贴"
    assert [(h["from"], h["to"]) for h in out["history"]] == [
        ("open", "in_progress"),
        ("in_progress", "resolved"),
    ]
    r = await client.post(move, json={"to": "in_progress"}, headers=auth("sup1"))
    assert r.status_code == 409
    r = await client.post(move, json={"to": "closed"}, headers=auth("sup1"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "to"


async def test_referral_needs_whom(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    await session.commit()
    fid = await _open(client, auth, child, "dir1")
    move = f"{URL}/{fid}/transitions"
    await client.post(move, json={"to": "in_progress"}, headers=auth("sup1"))
    r = await client.post(move, json={"to": "referred"}, headers=auth("sup1"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "referred_to"
    r = await client.post(
        move, json={"to": "referred", "referred_to": "区残联"}, headers=auth("sup1")
    )
    assert r.json()["status"] == "referred"
    assert r.json()["referred_to"] == "区残联"


async def test_overdue_listing_for_supervisor_and_district(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    mine = await make_child(session, settings)
    other = await make_child(session, settings, village=VILLAGE3)
    await session.commit()
    f1 = await _open(client, auth, mine, "dir1")
    f3 = await _open(client, auth, other, "dir3")

    async def listed(who: str, **params: str) -> set[str]:
        r = await client.get(URL, params=params, headers=auth(who))
        assert r.status_code == 200, r.text
        return {f["id"] for f in r.json()["items"]} & {f1, f3}

    assert await listed("sup1", overdue="true") == set()
    assert await listed("sup1", overdue="false") == {f1}
    clock.set(datetime(2026, 7, 1, 2, 0, tzinfo=UTC))  # 16 days later: past the 15-day due date
    assert await listed("sup1", overdue="true") == {f1}
    assert await listed("sup2", overdue="true") == {f3}
    assert await listed("admin", overdue="true") == {f1, f3}
    assert await listed("admin", overdue="true", area_code=VILLAGE3) == {f3}
    assert await listed("dir1") == {f1}
    r = await client.get(URL, params={"overdue": "true"}, headers=auth("admin"))
    assert all(f["overdue"] for f in r.json()["items"])
    await client.post(f"{URL}/{f1}/transitions", json={"to": "in_progress"}, headers=auth("sup1"))
    assert await listed("sup1", overdue="true", status="in_progress") == {f1}
    assert await listed("sup1", status="open") == set()
    r = await client.get(URL, params={"status": "done"}, headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "status"
    assert (await client.get(URL, headers=auth(agency="police"))).status_code == 403
