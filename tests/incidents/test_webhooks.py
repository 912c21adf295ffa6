"""Webhook delivery to a real receiver on 127.0.0.1: signed, retried, logged, re-sendable.

A receiver on this machine is a private target, which the service refuses by default: these
tests turn WEBHOOK_ALLOW_PRIVATE_TARGETS on (`local_settings`), except where they show the
refusal. Names resolve through `dns` (the egress guard's resolver, played back).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from standardwebhooks import Webhook, WebhookVerificationError

from app.config import Settings
from app.kit import egress
from app.kit.clock import FixedClock
from app.main import create_app
from app.models import AgencyClient
from app.observability import current_metrics
from app.webhooks import outbox, signing
from app.worker.runner import Worker
from tests.conftest import AuthHeaders, Base
from tests.incidents.factories import make_child, report
from tests.incidents.receiver import Receiver

API = "/api/v1"
PUBLIC_IP = "93.184.216.34"


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Name → addresses the egress guard resolves to; a test may change an answer (rebinding)."""
    answers = {"police.example": [PUBLIC_IP], "x.example": [PUBLIC_IP]}

    async def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(answers[host])

    monkeypatch.setattr(egress, "resolve", resolve)
    return answers


@pytest.fixture
def local_settings(settings: Settings) -> Settings:
    """The explicit setting for a receiver on this machine (off by default, everywhere)."""
    return settings.model_copy(update={"webhook_allow_private_targets": True})


@pytest.fixture
async def app(
    local_settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> AsyncIterator[FastAPI]:
    application = create_app(local_settings, engine=engine, sessionmaker=sessionmaker, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def strict_client(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with the default settings: no private target allowed."""
    application = create_app(settings, engine=engine, sessionmaker=sessionmaker, clock=clock)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


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
        "pending_url": None,
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
    local_settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    secret = await _register(client, auth, base, receiver.url)
    iid = await _report(client, auth, session, settings)
    await Worker(sessionmaker, local_settings, clock).drain()
    [got] = receiver.received
    # Standard Webhooks: the specification's reference library verifies the delivery as sent
    # and refuses it with another secret, a changed body, or a changed id.
    assert secret.startswith("whsec_")
    Webhook(secret).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(got.body.replace(b'"referral.', b'"Referral.'), got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(got.body, {**got.headers, "webhook-id": str(uuid.uuid4())})
    assert got.headers["webhook-signature"].startswith("v1,")
    assert " " not in got.headers["webhook-signature"]  # one secret, one signature
    assert "x-webhook-signature" not in got.headers  # a new secret: the former scheme is gone
    body = json.loads(got.body)
    assert body["delivery_id"] == got.headers["webhook-id"]
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
    await Worker(sessionmaker, local_settings, clock).drain()
    events = [json.loads(x.body)["event"] for x in receiver.received]
    assert events == ["referral.created", "incident.status_changed"]
    # Both over one kept-alive connection (an answer left unread would have closed it).
    assert receiver.received[0].peer is not None
    assert receiver.received[1].peer == receiver.received[0].peer
    assert json.loads(receiver.received[1].body)["referral"]["incident"]["status"] == "acknowledged"


async def test_rotation_signs_with_both_secrets_during_the_grace_period(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    local_settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    old = await _register(client, auth, base, receiver.url)
    r = await client.put(
        f"{API}/agency-clients/{base.clients['police']}/webhook",
        json={"url": receiver.url, "rotate_secret": True},
        headers=auth(agency="police"),
    )
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert new.startswith("whsec_")
    assert new != old
    await _report(client, auth, session, settings)
    await Worker(sessionmaker, local_settings, clock).drain()
    [during] = receiver.received
    # Two signatures: a receiver still on the old secret and one already on the new verify.
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)

    # After WEBHOOK_SECRET_GRACE_HOURS (24 by default) only the new secret signs.
    clock.set(clock.now() + timedelta(hours=24, seconds=1))
    await _report(client, auth, session, settings)
    await Worker(sessionmaker, local_settings, clock).drain()
    after = receiver.received[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


async def test_a_legacy_secret_keeps_its_former_headers_until_rotated(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    local_settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    receiver: Receiver,
    app: FastAPI,
) -> None:
    """A secret issued before Standard Webhooks (URL-safe text): the partner's old verifier
    keeps working, and the library verifies with the secret's `whsec_` form."""
    await _register(client, auth, base, receiver.url)
    legacy = "whsec_" + "Ab-_" * 10  # the former secrets' shape: token_urlsafe text
    await session.execute(
        update(AgencyClient)
        .where(AgencyClient.id == base.clients["police"])
        .values(webhook_secret_enc=app.state.keyring.encrypt(legacy))
    )
    await session.commit()
    await _report(client, auth, session, settings)
    await Worker(sessionmaker, local_settings, clock).drain()
    [got] = receiver.received
    ts = got.headers["x-webhook-timestamp"]
    expected = hmac.new(legacy.encode(), ts.encode() + b"." + got.body, hashlib.sha256)
    assert got.headers["x-webhook-signature"] == "v1=" + expected.hexdigest()
    Webhook(signing.standard_form(legacy)).verify(got.body, got.headers)


async def test_retries_after_500_and_timeout(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    local_settings: Settings,
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
    quick = local_settings.model_copy(
        update={"outbound_connect_timeout_seconds": 1.0, "outbound_timeout_seconds": 0.3}
    )
    await Worker(sessionmaker, quick, clock).drain()
    assert len(receiver.received) == 4
    # /metrics counts every attempt: three failed (to be retried), one delivered
    assert counter.labels("failed")._value.get() - before["failed"] == 3
    assert counter.labels("delivered")._value.get() - before["delivered"] == 1
    ids = {r.headers["webhook-id"] for r in receiver.received}
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
    local_settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    await _register(client, auth, base, receiver.url)
    receiver.script = [500, 500, 500, 500]
    await _report(client, auth, session, settings)
    await Worker(sessionmaker, local_settings, clock).drain()
    assert len(receiver.received) == 4  # the cap
    [failed] = [
        d
        for d in await _deliveries(client, auth, status="failed")
        if d["id"] == receiver.received[0].headers["webhook-id"]
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
    await Worker(sessionmaker, local_settings, clock).drain()
    assert receiver.received[-1].headers["webhook-id"] == failed["id"]
    [d] = [x for x in await _deliveries(client, auth) if x["id"] == failed["id"]]
    assert (d["status"], d["attempts"]) == ("delivered", 5)


async def test_nothing_lost_when_the_worker_restarts(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    local_settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    await _register(client, auth, base, receiver.url)
    receiver.script = [500]
    await _report(client, auth, session, settings)
    first = Worker(sessionmaker, local_settings, clock)
    assert await first.run_once()  # one attempt (500), the retry queued; then it "dies"
    assert len(receiver.received) == 1
    del first
    await Worker(sessionmaker, local_settings, clock).drain()  # a new process picks the retry up
    assert len(receiver.received) == 2
    delivery_id = receiver.received[0].headers["webhook-id"]
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
    await Worker(sessionmaker, local_settings, clock).drain()
    assert len(receiver.received) == 3
    assert receiver.received[2].headers["webhook-id"] != delivery_id


# --- SSRF: where a webhook may point ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:8000/hooks",
        "https://127.1.2.3/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]:5432/",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://[::ffff:a9fe:a9fe]/hooks",  # 169.254.169.254, IPv4-mapped
        "https://[64:ff9b::a00:1]/hooks",  # 10.0.0.1 through NAT64
        "https://[fe80::1]/hooks",
        "https://[fd00:ec2::254]/hooks",
        "https://10.0.0.5/hooks",
        "https://172.16.3.4/hooks",
        "https://192.168.1.1/hooks",
        "https://100.64.1.1/hooks",
        "https://100.100.100.200/latest/meta-data/",
        "https://0.0.0.0/hooks",
        "https://[::]/hooks",
        "https://224.0.0.1/hooks",
        "https://240.0.0.1/hooks",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://localhost/hooks",
        "https://internal.example/hooks",  # a name that resolves into the network
        "https://mixed.example/hooks",  # one public and one private address
        "https://nowhere.example/hooks",  # does not resolve
        "http://police.example/hooks",  # plain http outside development
    ],
)
async def test_webhook_to_a_private_target_is_refused_when_saved(
    strict_client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    dns: dict[str, list[str]],
    url: str,
) -> None:
    dns["internal.example"] = ["10.1.2.3"]
    dns["mixed.example"] = [PUBLIC_IP, "192.168.0.10"]
    path = f"{API}/agency-clients/{base.clients['health']}/webhook"
    for who in (auth("admin"), auth(agency="health")):
        r = await strict_client.put(path, json={"url": url}, headers=who)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["errors"][0]["field"] == "url"
    r = await strict_client.post(
        f"{API}/agency-clients",
        json={"name": "测试", "agency": "police", "scopes": ["referrals:read"], "webhook_url": url},
        headers=auth("admin"),
    )
    assert r.status_code == 422, (url, r.text)
    stored = await session.get(AgencyClient, base.clients["health"])
    assert stored is not None
    assert (stored.webhook_url, stored.webhook_pending_url) == (None, None)


async def test_metadata_stays_refused_with_private_targets_allowed(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    path = f"{API}/agency-clients/{base.clients['health']}/webhook"
    for url in ("http://169.254.169.254/latest/meta-data/", "http://100.100.100.200/"):
        r = await client.put(path, json={"url": url}, headers=auth("admin"))
        assert r.status_code == 422, url
        assert "metadata" in r.json()["errors"][0]["message"]


async def test_a_name_rebound_to_a_private_address_gets_nothing(
    strict_client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    dns: dict[str, list[str]],
    receiver: Receiver,
) -> None:
    """Public when saved, loopback at delivery (DNS rebinding): refused at once, never retried."""
    dns["partner.example"] = [PUBLIC_IP]
    url = f"https://partner.example:{receiver.port}/hooks"
    r = await strict_client.put(
        f"{API}/agency-clients/{base.clients['police']}/webhook",
        json={"url": url},
        headers=auth("admin"),
    )
    assert r.status_code == 200, r.text
    dns["partner.example"] = [PUBLIC_IP, "127.0.0.1"]  # every address is checked
    await _report(strict_client, auth, session, settings)
    await Worker(sessionmaker, settings, clock).drain()
    assert receiver.received == []
    [d] = await _deliveries(strict_client, auth, agency_client_id=str(base.clients["police"]))
    assert (d["status"], d["attempts"], d["last_status_code"]) == ("failed", 1, None)
    assert d["last_error"] == "target refused: partner.example: 127.0.0.1 is loopback"


async def test_delivery_connects_to_the_address_it_checked(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    local_settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    dns: dict[str, list[str]],
    receiver: Receiver,
) -> None:
    """The name is resolved once, by the guard, and the connection goes to that address: the
    system resolver (which does not know partner.test) is never asked again."""
    dns["partner.test"] = ["127.0.0.1"]
    await _register(client, auth, base, f"http://partner.test:{receiver.port}/hooks")
    await _report(client, auth, session, settings)
    await Worker(sessionmaker, local_settings, clock).drain()
    [got] = receiver.received
    assert got.headers["host"] == f"partner.test:{receiver.port}"


async def test_a_client_changed_url_waits_for_a_district_admin(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    local_settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    approved = receiver
    asked = Receiver()
    await asked.start()
    try:
        await _register(client, auth, base, approved.url)
        path = f"{API}/agency-clients/{base.clients['police']}/webhook"
        r = await client.put(path, json={"url": asked.url}, headers=auth(agency="police"))
        assert r.status_code == 200
        assert (r.json()["webhook_url"], r.json()["pending_url"]) == (approved.url, asked.url)
        await _report(client, auth, session, settings)
        await Worker(sessionmaker, local_settings, clock).drain()
        assert (len(approved.received), len(asked.received)) == (1, 0)

        approve = f"{path}/approve"
        r = await client.post(approve, json={"url": asked.url}, headers=auth(agency="police"))
        assert r.status_code == 403
        r = await client.post(approve, json={"url": asked.url}, headers=auth("leader"))
        assert r.status_code == 403
        r = await client.post(approve, json={"url": approved.url}, headers=auth("admin"))
        assert r.status_code == 409  # not the URL waiting: the admin looks again
        r = await client.post(approve, json={"url": asked.url}, headers=auth("admin"))
        assert r.status_code == 200, r.text
        assert (r.json()["webhook_url"], r.json()["pending_url"]) == (asked.url, None)
        r = await client.post(approve, json={"url": asked.url}, headers=auth("admin"))
        assert r.status_code == 409  # nothing waits any more
        await _report(client, auth, session, settings)
        await Worker(sessionmaker, local_settings, clock).drain()
        assert (len(approved.received), len(asked.received)) == (1, 1)
        r = await client.get(
            f"{API}/audit",
            params={"resource_id": str(base.clients["police"])},
            headers=auth("auditor"),
        )
        actions = {e["action"] for e in r.json()["items"]}
        assert {"agency_client.webhook_requested", "agency_client.webhook_approved"} <= actions
    finally:
        await asked.stop()
