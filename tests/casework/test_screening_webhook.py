"""A screening referral's round trip over a real signed webhook, and its escalation."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from app.config import Settings
from app.kit.clock import FixedClock
from app.models import Notification
from app.worker.queue import enqueue
from app.worker.runner import Worker
from tests.casework.test_screening_referrals import API, out_of_school, records
from tests.conftest import AuthHeaders, Base
from tests.incidents.receiver import Receiver

# The incidents' webhook fixtures: an app allowing a receiver on this machine, the receiver,
# fast retries (autouse once imported here).
from tests.incidents.test_webhooks import app, fast_retries, local_settings, receiver  # noqa: F401


async def test_referral_is_delivered_signed_acknowledged_and_escalated_when_late(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    local_settings: Settings,  # noqa: F811 - the imported fixture
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    receiver: Receiver,  # noqa: F811 - the imported fixture
) -> None:
    r = await client.put(
        f"/api/v1/agency-clients/{base.clients['education']}/webhook",
        json={"url": receiver.url},
        headers=auth("admin"),
    )
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    late, on_time = await records(session, settings, [out_of_school(), out_of_school()])
    r = await client.post(
        API,
        json={
            "record_ids": [str(late.id), str(on_time.id)],
            "agency": "education",
            "finding": "out_of_school",
            "note": "请协助安排就近入学",
        },
        headers=auth("admin"),
    )
    assert r.status_code == 201, r.text
    by_record = {c["record_id"]: c["id"] for c in r.json()["created"]}
    await Worker(sessionmaker, local_settings, clock).drain()

    assert len(receiver.received) == 2
    for got in receiver.received:
        body = Webhook(secret).verify(got.body, got.headers)  # Standard Webhooks
        assert body["event"] == "screening_referral.created"
        view = body["screening_referral"]
        assert view["finding"] == "out_of_school"
        assert view["note"] == "请协助安排就近入学"
        assert view["record"]["school_status"] == "not_in_school"
        assert "guardian_phone" not in view["record"]  # education's mandate: schooling
        assert "*" in view["record"]["id_number"]
    # the agency acknowledges one in time
    edu = auth(agency="education")
    r = await client.post(f"{API}/{by_record[str(on_time.id)]}/acknowledge", headers=edu)
    assert r.status_code == 200

    # five days later the other is escalated to the district, once
    clock.set(clock.now() + timedelta(days=5, minutes=1))
    for _ in range(2):
        async with sessionmaker() as s:
            await enqueue(s, "incidents.escalate", {})
            await s.commit()
        await Worker(sessionmaker, local_settings, clock).drain()
    late_id = by_record[str(late.id)]
    got = (await client.get(f"{API}/{late_id}", headers=auth("admin"))).json()
    assert got["escalated_at"] is not None
    kept = (await client.get(f"{API}/{by_record[str(on_time.id)]}", headers=auth("admin"))).json()
    assert kept["escalated_at"] is None
    notes = (
        (
            await session.execute(
                select(Notification).where(Notification.referral_id == uuid.UUID(late_id))
            )
        )
        .scalars()
        .all()
    )
    assert {n.kind for n in notes} == {"screening_referral_overdue"}
    assert len(notes) == len({n.recipient_id for n in notes}) >= 2  # admin and leader, once
    r = await client.get("/api/v1/notifications", headers=auth("leader"))
    assert any(n["referral_id"] == late_id for n in r.json()["items"])
    listed = await client.get(API, params={"escalated": "true"}, headers=auth("admin"))
    assert late_id in [x["id"] for x in listed.json()["items"]]
