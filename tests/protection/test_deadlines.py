"""Deadlines: identity check (24 h), care plan (72 h), guardianship review (30 days); the missed
list and the escalation to the district through the job machinery, once per missed deadline."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import FixedClock
from app.models import Notification
from app.worker.queue import enqueue
from app.worker.runner import Worker
from tests.conftest import AuthHeaders
from tests.protection.factories import API, create, post


async def _escalate(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, clock: FixedClock
) -> None:
    async with sessionmaker() as s:
        await enqueue(s, "protection.escalate", {})
        await s.commit()
    await Worker(sessionmaker, settings, clock).drain()


def _of(items: list[dict[str, object]], intake_id: str) -> dict[str, dict[str, object]]:
    return {str(d["deadline"]): d for d in items if d["intake_id"] == intake_id}


async def test_the_deadlines_of_an_intake(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    out = await create(client, auth, admitted_at="2026-06-13T08:00:00+08:00")
    r = await client.get(f"{API}/deadlines", headers=auth("leader"))
    assert r.status_code == 200
    mine = _of(r.json(), out["id"])
    assert mine["identity_check"]["due_at"] == "2026-06-14T00:00:00Z"
    assert mine["identity_check"]["missed"] is True
    assert mine["care_plan"]["due_at"] == "2026-06-16T00:00:00Z"
    assert mine["care_plan"]["missed"] is False
    assert mine["guardianship_review"]["due_at"] == "2026-07-13T00:00:00Z"
    missed = await client.get(f"{API}/deadlines", params={"missed": "true"}, headers=auth("admin"))
    assert set(_of(missed.json(), out["id"])) == {"identity_check"}
    # a police identity check meets it; a care plan meets the other; a review moves the third
    step = {"method": "police_identity_check", "traced_on": "2026-06-15", "result": "比对中"}
    assert (await post(client, auth, out["id"], "tracing", step)).status_code == 201
    etag = (await client.get(f"{API}/intakes/{out['id']}", headers=auth("institute"))).headers[
        "ETag"
    ]
    r = await client.patch(
        f"{API}/intakes/{out['id']}",
        json={"care_plan": "安排心理疏导与体检复查", "reviewed_on": "2026-06-15"},
        headers=auth("institute") | {"If-Match": etag},
    )
    assert r.status_code == 200, r.text
    after = _of((await client.get(f"{API}/deadlines", headers=auth("admin"))).json(), out["id"])
    assert set(after) == {"guardianship_review"}
    assert after["guardianship_review"]["due_at"] == "2026-07-14T16:00:00Z"  # 07-15 in Beijing


async def test_a_review_in_the_future_or_before_admission_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth)
    url = f"{API}/intakes/{out['id']}"
    for day in ("2026-06-16", "2026-06-01"):
        r = await client.patch(
            url, json={"reviewed_on": day}, headers=auth("institute") | {"If-Match": '"1"'}
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "reviewed_on"


async def test_missed_deadlines_escalate_to_the_district_once(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    out = await create(client, auth, admitted_at="2026-06-14T08:00:00+08:00")

    async def notes() -> int:
        stmt = select(func.count()).where(
            Notification.kind == "protection_overdue",
            Notification.title.contains(out["id"][:8]),
        )
        return int(await session.scalar(stmt) or 0)

    await _escalate(sessionmaker, settings, clock)
    assert await notes() == 2  # the identity check: the admin and the leader
    missed = await client.get(f"{API}/deadlines", params={"missed": "true"}, headers=auth("admin"))
    mine = _of(missed.json(), out["id"])
    assert mine["identity_check"]["escalated_at"] is not None
    await _escalate(sessionmaker, settings, clock)
    assert await notes() == 2  # not twice
    # 72 hours after admission the care plan is missed too: escalated once more
    clock.set(clock.now() + timedelta(days=2))
    await _escalate(sessionmaker, settings, clock)
    assert await notes() == 4
    r = await client.get("/api/v1/notifications", headers=auth("leader"), params={"limit": 500})
    titles = [n["title"] for n in r.json()["items"] if out["id"][:8] in n["title"]]
    assert any("身份核查" in t for t in titles)
    assert any("照护计划" in t for t in titles)


async def test_a_closed_intake_has_no_deadlines(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth, admitted_at="2026-06-13T08:00:00+08:00")
    r = await post(
        client,
        auth,
        out["id"],
        "discharge",
        {"outcome": "family_foster_care", "discharged_on": "2026-06-15"},
    )
    assert r.status_code == 200
    listed = await client.get(f"{API}/deadlines", headers=auth("admin"))
    assert _of(listed.json(), out["id"]) == {}
