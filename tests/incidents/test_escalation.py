"""Escalation 越期升级 with a fixed clock: on time, late, urgent, drafts, two workers at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import create_sessionmaker
from app.incidents import service
from app.kit.clock import FixedClock
from app.models import Notification, Referral
from app.worker.queue import enqueue
from app.worker.runner import Worker
from tests.conftest import NOW, AuthHeaders
from tests.incidents.factories import make_child, report, stranger

API = "/api/v1"


async def _run_escalation(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, clock: FixedClock
) -> None:
    async with sessionmaker() as s:
        await enqueue(s, "incidents.escalate", {})
        await s.commit()
    await Worker(sessionmaker, settings, clock).drain()


async def _escalated_ids(client: httpx.AsyncClient, auth: AuthHeaders) -> list[str]:
    r = await client.get(
        f"{API}/incidents", params={"escalated": "true", "limit": 500}, headers=auth("admin")
    )
    assert r.status_code == 200
    return [x["id"] for x in r.json()["items"]]


async def test_on_time_late_and_urgent(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    child = await make_child(session, settings)
    normal, acked, urgent = (
        report(child.id),
        report(child.id),
        report(child.id, immediate_danger=True),
    )
    for body in (normal, acked, urgent):
        assert (
            await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
        ).status_code == 201
    r = await client.get(f"{API}/referrals", headers=auth(agency="police"), params={"limit": 500})
    acked_ref = next(x["id"] for x in r.json()["items"] if x["incident"]["id"] == acked["id"])
    clock.set(NOW + timedelta(minutes=50))
    await client.post(f"{API}/referrals/{acked_ref}/acknowledge", headers=auth(agency="police"))

    clock.set(NOW + timedelta(minutes=14, seconds=59))
    await _run_escalation(sessionmaker, settings, clock)
    assert not {normal["id"], urgent["id"]} & set(await _escalated_ids(client, auth))

    clock.set(NOW + timedelta(minutes=15))  # the urgent deadline
    await _run_escalation(sessionmaker, settings, clock)
    ids = await _escalated_ids(client, auth)
    assert urgent["id"] in ids
    assert normal["id"] not in ids

    clock.set(NOW + timedelta(minutes=61))
    await _run_escalation(sessionmaker, settings, clock)
    await _run_escalation(sessionmaker, settings, clock)  # a second run changes nothing
    ids = await _escalated_ids(client, auth)
    assert normal["id"] in ids
    assert urgent["id"] in ids
    assert acked["id"] not in ids

    r = await client.get(f"{API}/incidents/{urgent['id']}", headers=auth("admin"))
    assert r.json()["escalated"] is True
    assert r.json()["escalated_at"] == "2026-06-15T02:15:00Z"
    assert r.json()["escalation_reason"] == "ack_overdue"

    # Each district admin and leader was told once per escalated referral.
    for user in ("admin", "leader"):
        r = await client.get(f"{API}/notifications", headers=auth(user), params={"limit": 500})
        assert r.status_code == 200
        mine = [n for n in r.json()["items"] if n["incident_id"] in (normal["id"], urgent["id"])]
        assert sorted(n["incident_id"] for n in mine) == sorted([normal["id"], urgent["id"]])
        assert all(n["kind"] == "referral_overdue" for n in mine)
    note = mine[0]["id"]
    r = await client.post(f"{API}/notifications/{note}/read", headers=auth("leader"))
    assert r.status_code == 200
    assert r.json()["read_at"]
    r = await client.post(f"{API}/notifications/{note}/read", headers=auth("admin"))
    assert r.status_code == 404
    assert (await client.get(f"{API}/notifications", headers=auth("dir1"))).status_code == 403
    # The supervisor does not learn of the escalation's details; nor does it leak to others.
    r = await client.get(f"{API}/incidents", params={"escalated": "true"}, headers=auth("dir2"))
    assert normal["id"] not in [x["id"] for x in r.json()["items"]]


async def test_stale_draft_is_escalated(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    draft = {"id": str(uuid.uuid4()), "draft": True, "child": stranger()}
    assert (
        await client.post(f"{API}/incidents", json=draft, headers=auth("dir1"))
    ).status_code == 201
    clock.set(NOW + timedelta(minutes=59))
    await _run_escalation(sessionmaker, settings, clock)
    assert draft["id"] not in await _escalated_ids(client, auth)
    clock.set(NOW + timedelta(minutes=60))
    await _run_escalation(sessionmaker, settings, clock)
    assert draft["id"] in await _escalated_ids(client, auth)
    r = await client.get(f"{API}/incidents/{draft['id']}", headers=auth("dir1"))
    assert r.json()["escalation_reason"] == "draft_overdue"


async def test_two_workers_escalate_once(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    settings: Settings,
    committed_engine: AsyncEngine,
    clock: FixedClock,
) -> None:
    maker = create_sessionmaker(committed_engine)
    async with maker() as s:
        child = await make_child(s, settings)
    bodies = [report(child.id) for _ in range(3)]
    for body in bodies:
        r = await committed_client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
        assert r.status_code == 201
    ids = [uuid.UUID(b["id"]) for b in bodies]
    late = NOW + timedelta(minutes=61)

    # Interleaved by hand: the second waits on the first's row locks, then finds nothing to do.
    async with maker() as first, maker() as second:
        done = await service.escalate(first, late)
        assert set(ids) <= {i for i in await _incidents_of(first, done.referrals)}
        other = asyncio.create_task(service.escalate(second, late))
        await asyncio.sleep(0.2)
        assert not other.done()  # blocked on the first transaction's locks
        await first.commit()
        result = await other
        await second.commit()
    assert not set(ids) & set(await _incidents_of_ids(maker, result.referrals))

    # And two Worker instances at once, via the job queue, at a later time: still once.
    clock.set(late + timedelta(hours=2))
    async with maker() as s:
        await enqueue(s, "incidents.escalate", {})
        await enqueue(s, "incidents.escalate", {})
        await s.commit()
    w1, w2 = Worker(maker, settings, clock), Worker(maker, settings, clock)
    await asyncio.gather(w1.drain(), w2.drain())

    async with maker() as s:
        refs = (
            (await s.execute(select(Referral).where(Referral.incident_id.in_(ids)))).scalars().all()
        )
        assert all(r.escalated_at == late for r in refs)
        per_ref = (
            await s.execute(
                select(Notification.referral_id, Notification.recipient_id, func.count())
                .where(Notification.referral_id.in_([r.id for r in refs]))
                .group_by(Notification.referral_id, Notification.recipient_id)
            )
        ).all()
        assert per_ref
        assert all(n == 1 for _, _, n in per_ref)
        assert {r for r, _, _ in per_ref} == {r.id for r in refs}


async def _incidents_of(session: AsyncSession, referral_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    if not referral_ids:
        return []
    rows = await session.execute(select(Referral.incident_id).where(Referral.id.in_(referral_ids)))
    return [i for i in rows.scalars().all() if i is not None]


async def _incidents_of_ids(
    maker: async_sessionmaker[AsyncSession], referral_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    async with maker() as s:
        return await _incidents_of(s, referral_ids)
