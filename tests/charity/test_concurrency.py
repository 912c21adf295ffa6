"""Instalments sent concurrently, really committed: a retried instalment pays once, and two
instalments that together pass the approved amount cannot both be paid."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.kit.clock import FixedClock
from app.kit.secrets import hash_client_secret
from app.models import AgencyClient, CharityApplication, CharityDisbursement
from tests.charity.factories import CHARITY_SCOPES, A, Charity, application_body
from tests.conftest import DISTRICT, AuthHeaders


async def test_concurrent_instalments(
    committed_client: httpx.AsyncClient,
    committed_engine: AsyncEngine,
    auth: AuthHeaders,
    settings: Settings,
    clock: FixedClock,
) -> None:
    charity = Charity(settings, clock, uuid.uuid4())
    clients = [charity.decider_id, charity.payer_id]
    async with committed_engine.begin() as conn:
        await conn.execute(
            insert(AgencyClient),
            [
                {
                    "id": cid,
                    "client_id": f"test-charity-{cid.hex[:10]}",
                    "name": f"测试慈善协会-{cid.hex[:6]}",
                    "agency": "charity",
                    "area_code": DISTRICT,
                    "scopes": CHARITY_SCOPES,
                    "secret_hash": hash_client_secret("x"),
                    "is_active": True,
                    "version": 1,
                }
                for cid in clients
            ],
        )
    app_id = None
    try:
        body = application_body(title="并发测试")
        r = await committed_client.post(A, json=body, headers=auth("sup1"))
        assert r.status_code == 201, r.text
        app_id = r.json()["id"]
        r = await committed_client.post(
            f"{A}/{app_id}/review", json={"decision": "forward"}, headers=auth("admin")
        )
        assert r.status_code == 200
        r = await committed_client.post(
            f"{A}/{app_id}/decision",
            json={"decision": "approve", "approved_amount": "8000.00"},
            headers=charity.decider,
        )
        assert r.status_code == 200
        url = f"{A}/{app_id}/disbursements"
        # the same instalment five times at once: paid once
        same = {"id": str(uuid.uuid4()), "amount": "1000.00", "paid_on": "2026-06-01"}
        answers = await asyncio.gather(
            *(committed_client.post(url, json=same, headers=charity.payer) for _ in range(5))
        )
        assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
        # two instalments of 6000.00 at once, 7000.00 left: one is paid, the other refused
        answers = await asyncio.gather(
            *(
                committed_client.post(
                    url,
                    json={"id": str(uuid.uuid4()), "amount": "6000.00", "paid_on": "2026-06-01"},
                    headers=charity.payer,
                )
                for _ in range(2)
            )
        )
        assert sorted(a.status_code for a in answers) == [201, 409]
        async with committed_engine.connect() as conn:
            total = await conn.scalar(
                select(func.sum(CharityDisbursement.amount_fen)).where(
                    CharityDisbursement.application_id == uuid.UUID(app_id)
                )
            )
            disbursed = await conn.scalar(
                select(CharityApplication.disbursed_fen).where(
                    CharityApplication.id == uuid.UUID(app_id)
                )
            )
        assert total == disbursed == 700000
    finally:
        async with committed_engine.begin() as conn:
            if app_id is not None:
                key = uuid.UUID(app_id)
                await conn.execute(
                    delete(CharityDisbursement).where(CharityDisbursement.application_id == key)
                )
                await conn.execute(delete(CharityApplication).where(CharityApplication.id == key))
            await conn.execute(delete(AgencyClient).where(AgencyClient.id.in_(clients)))
