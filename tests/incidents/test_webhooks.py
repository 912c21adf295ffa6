"""Webhook delivery to a real receiver on 127.0.0.1: signed, retried, logged, re-sendable."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import FixedClock
from app.models import AgencyClient
from app.observability import current_metrics
from app.webhooks import outbox, signing
from app.worker.runner import Worker
from tests.conftest import AuthHeaders, Base
from tests.incidents.factories import make_child, report
from tests.incidents.receiver import Receiver

API = "/api/v1"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.stop()


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        outbox,
        "POLICY",
        outbox.DeliveryPolicy(max_attempts=4, base_seconds=0.0, cap_seconds=0.0),
    )


async def _register(client: httpx.AsyncClient, auth: AuthHeaders, base: Base, url: str) -> str:
    r = await client.put(
        f"{API}/agency-clients/{base.clients['police']}/webhook",
        json={"url": url},
        headers=auth("admin"),
    )
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    assert isinstance(secret, str)
    return secret


async def _report(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> str:
    child = await make_child(session, settings, name="测试小兰")
    body = report(child.id)
    r = await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
    assert r.status_code == 201
    return str(body["id"])


async def _deliveries(client: httpx.AsyncClient, auth: AuthHeaders, **params: str) -> list[dict]:  # type: ignore[type-arg]
    r = await client.get(
        f"{API}/webhook-deliveries", params={"limit": 500, **params}, headers=auth("admin")
    )
    assert r.status_code == 200
    return list(r.json()["items"])


async def test_register_rotate_and_remove(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession
) -> None:
    url = f"{API}/agency-clients/{base.clients['police']}/webhook"
    first = await _register(client, auth, base, "https://police.example/hooks")
    r = await client.put(url, json={"url": "https://police.example/v2"}, headers=auth("admin"))
    assert r.json() == {
        "agency_client_id": str(base.clients["police"]),
        "webhook_url": "https://police.example/v2",
        "secret": None,
        "secret_issued": False,
    }
    r = await client.put(
        url,
        json={"url": "https://police.example/v2", "rotate_secret": True},
        headers=auth(agency="police"),
    )
    assert r.status_code == 200
    assert r.json()["secret"] not in (None, first)
    stored = (
        await session.execute(
            select(AgencyClient.webhook_secret_enc).where(AgencyClient.id == base.clients["police"])
        )
    ).scalar_one()
    assert stored is not None
    assert r.json()["secret"].encode() not in stored
    # Another agency cannot see it, non-admin staff may not, bad URLs are refused.
    r = await client.put(url, json={"url": "https://x.example/h"}, headers=auth(agency="health"))
    assert r.status_code == 404
    r = await client.put(url, json={"url": "https://x.example/h"}, headers=auth("leader"))
    assert r.status_code == 403
    for bad in ("ftp://x.example/h", "http://a[b.example/h", "http://x.example/\x19h"):
        r = await client.put(url, json={"url": bad}, headers=auth("admin"))
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["field"] == "url"
    r = await client.delete(url, headers=auth(agency="police"))
    assert r.status_code == 204
    r = await client.get(
        f"{API}/agency-clients", headers=auth("admin"), params={"agency": "police"}
    )
    assert [c["webhook_url"] for c in r.json()["items"]] == [None]


async def test_delivery_is_signed_and_projected(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    secret = await _register(client, auth, base, receiver.url)
    iid = await _report(client, auth, session, settings)
    await Worker(sessionmaker, settings, clock).drain()
    [got] = receiver.received
    assert signing.verify(
        secret, got.headers["x-webhook-timestamp"], got.headers["x-webhook-signature"], got.body
    )
    assert not signing.verify(
        "whsec_wrong",
        got.headers["x-webhook-timestamp"],
        got.headers["x-webhook-signature"],
        got.body,
    )
    assert not signing.verify(
        secret,
        got.headers["x-webhook-timestamp"],
        got.headers["x-webhook-signature"],
        got.body + b" ",
    )
    body = json.loads(got.body)
    assert body["delivery_id"] == got.headers["x-webhook-id"]
    assert body["event"] == "referral.created"
    assert body["referral"]["incident"]["id"] == iid
    # the statutory ground of the report, in the 2020 opinion's words
    assert body["referral"]["incident"]["situations"] == [
        {
            "code": "injuries_suggesting_violence",
            "number": 4,
            "text": "未成年人身体存在多处损伤、严重营养不良、意识不清，存在或疑似存在受到家庭暴力、"
            "欺凌、虐待、殴打或者被人麻醉等情形的",
        }
    ]
    assert body["referral"]["incident"]["situations_inferred"] is False
    assert body["referral"]["child"]["name"] == "测试小兰"
    assert len(body["referral"]["child"]["id_number"]) == 18
    assert "*" not in body["referral"]["child"]["id_number"]  # the police: the whole number
    assert "school_name" not in body["referral"]["child"]
    [d] = [x for x in await _deliveries(client, auth) if x["id"] == body["delivery_id"]]
    assert (d["status"], d["attempts"], d["last_status_code"]) == ("delivered", 1, 200)

    # A status change is delivered too.
    ref = body["referral"]["id"]
    r = await client.post(f"{API}/referrals/{ref}/acknowledge", headers=auth(agency="police"))
    assert r.status_code == 200
    await Worker(sessionmaker, settings, clock).drain()
    events = [json.loads(x.body)["event"] for x in receiver.received]
    assert events == ["referral.created", "incident.status_changed"]
    # Both over one kept-alive connection (an answer left unread would have closed it).
    assert receiver.received[0].peer is not None
    assert receiver.received[1].peer == receiver.received[0].peer
    assert json.loads(receiver.received[1].body)["referral"]["incident"]["status"] == "acknowledged"


async def test_retries_after_500_and_timeout(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    await _register(client, auth, base, receiver.url)
    receiver.script = [500, 1.0, 503, 200]  # the second answer comes after 1 s
    await _report(client, auth, session, settings)
    counter = current_metrics().webhook_deliveries
    before = {o: counter.labels(o)._value.get() for o in ("delivered", "failed")}
    # The deliveries' timeouts are the settings' OUTBOUND_* ones (a 0.3 s read: the 1 s answer
    # is a timeout)
    quick = settings.model_copy(
        update={"outbound_connect_timeout_seconds": 1.0, "outbound_timeout_seconds": 0.3}
    )
    await Worker(sessionmaker, quick, clock).drain()
    assert len(receiver.received) == 4
    # /metrics counts every attempt: three failed (to be retried), one delivered
    assert counter.labels("failed")._value.get() - before["failed"] == 3
    assert counter.labels("delivered")._value.get() - before["delivered"] == 1
    ids = {r.headers["x-webhook-id"] for r in receiver.received}
    assert len(ids) == 1  # the same delivery every time: the receiver can de-duplicate
    assert len({r.body for r in receiver.received}) == 1
    r = await client.get(f"{API}/webhook-deliveries/{ids.pop()}", headers=auth("auditor"))
    assert r.status_code == 200
    log = r.json()["attempt_log"]
    assert [a["status_code"] for a in log] == [500, None, 503, 200]
    assert log[1]["error"].startswith("timeout")
    assert r.json()["status"] == "delivered"


async def test_failed_delivery_is_listed_and_resent(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    await _register(client, auth, base, receiver.url)
    receiver.script = [500, 500, 500, 500]
    await _report(client, auth, session, settings)
    await Worker(sessionmaker, settings, clock).drain()
    assert len(receiver.received) == 4  # the cap
    [failed] = [
        d
        for d in await _deliveries(client, auth, status="failed")
        if d["id"] == receiver.received[0].headers["x-webhook-id"]
    ]
    assert (failed["attempts"], failed["last_error"]) == (4, "HTTP 500")
    assert (await client.get(f"{API}/webhook-deliveries", headers=auth("dir1"))).status_code == 403
    assert (
        await client.post(
            f"{API}/webhook-deliveries/{failed['id']}/resend", headers=auth("auditor")
        )
    ).status_code == 403
    r = await client.post(f"{API}/webhook-deliveries/{failed['id']}/resend", headers=auth("admin"))
    assert r.status_code == 200
    assert r.json()["status"] == "pending"
    r = await client.post(f"{API}/webhook-deliveries/{failed['id']}/resend", headers=auth("admin"))
    assert r.status_code == 409
    await Worker(sessionmaker, settings, clock).drain()
    assert receiver.received[-1].headers["x-webhook-id"] == failed["id"]
    [d] = [x for x in await _deliveries(client, auth) if x["id"] == failed["id"]]
    assert (d["status"], d["attempts"]) == ("delivered", 5)


async def test_nothing_lost_when_the_worker_restarts(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    await _register(client, auth, base, receiver.url)
    receiver.script = [500]
    await _report(client, auth, session, settings)
    first = Worker(sessionmaker, settings, clock)
    assert await first.run_once()  # one attempt (500), the retry queued; then it "dies"
    assert len(receiver.received) == 1
    del first
    await Worker(sessionmaker, settings, clock).drain()  # a new process picks the retry up
    assert len(receiver.received) == 2
    delivery_id = receiver.received[0].headers["x-webhook-id"]
    [d] = [x for x in await _deliveries(client, auth) if x["id"] == delivery_id]
    assert (d["status"], d["attempts"]) == ("delivered", 2)

    # A worker that died mid-send (its job claimed, never finished) is taken over after its lease.
    await _report(client, auth, session, settings)
    await session.execute(
        text(
            "UPDATE jobs SET status='running', attempts=attempts+1, locked_by='dead', "
            "locked_until=now() - interval '1 second' "
            "WHERE kind='webhooks.deliver' AND status='queued'"
        )
    )
    await session.commit()
    await Worker(sessionmaker, settings, clock).drain()
    assert len(receiver.received) == 3
    assert receiver.received[2].headers["x-webhook-id"] != delivery_id
