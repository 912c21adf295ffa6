"""Builders for the charity tests: the association's clients holding `charity:write`, a second
district admin (four eyes), application bodies and the steps of a project's life."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.passwords import hash_password
from app.auth.tokens import create_access_token
from app.config import Settings
from app.kit.clock import FixedClock
from app.kit.secrets import hash_client_secret
from app.models import AgencyClient, User
from tests.conftest import ALL_SCOPES, DISTRICT, TOWN1, AuthHeaders

A = "/api/v1/charity/applications"
CHARITY_SCOPES = [*ALL_SCOPES, "charity:write"]


def application_body(**change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "applicant_area_code": TOWN1,
        "service_type": "psychological_support",
        "title": "困境儿童心理疏导小组",
        "target_group": "困境儿童及其监护人",
        "planned_beneficiaries": 40,
        "budget": [
            {"item": "专业社工服务费", "amount": "6000.00"},
            {"item": "活动物资", "amount": "4000.00"},
        ],
        "period_from": "2026-03-01",
        "period_to": "2026-05-31",
    }
    body.update(change)
    return body


class Charity:
    """The association: `decider` approves, `payer` (another of its clients) pays."""

    def __init__(self, settings: Settings, clock: FixedClock, decider: uuid.UUID) -> None:
        self.settings, self.clock = settings, clock
        self.decider_id = decider
        self.payer_id = uuid.uuid4()

    def headers(self, client_id: uuid.UUID, lang: str | None = None) -> dict[str, str]:
        token, _ = create_access_token(
            self.settings,
            now=self.clock.now(),
            subject=client_id,
            kind="agency",
            extra={"agency": "charity", "scopes": CHARITY_SCOPES},
        )
        h = {"Authorization": f"Bearer {token}"}
        if lang:
            h["Accept-Language"] = lang
        return h

    @property
    def decider(self) -> dict[str, str]:
        return self.headers(self.decider_id)

    @property
    def payer(self) -> dict[str, str]:
        return self.headers(self.payer_id)


async def grant_charity(
    session: AsyncSession, settings: Settings, clock: FixedClock, decider: uuid.UUID
) -> Charity:
    """Give the base's charity client `charity:write` and add a second client of the association
    (both rolled back with the test)."""
    charity = Charity(settings, clock, decider)
    await session.execute(
        update(AgencyClient).where(AgencyClient.id == decider).values(scopes=CHARITY_SCOPES)
    )
    session.add(
        AgencyClient(
            id=charity.payer_id,
            client_id=f"test-charity-pay-{charity.payer_id.hex[:8]}",
            name="测试慈善协会财务",
            agency="charity",
            area_code=DISTRICT,
            scopes=CHARITY_SCOPES,
            secret_hash=hash_client_secret("test-charity-pay-secret"),
            is_active=True,
        )
    )
    await session.commit()
    return charity


async def second_admin(session: AsyncSession) -> uuid.UUID:
    uid = uuid.uuid4()
    session.add(
        User(
            id=uid,
            username=f"admin2-{uid.hex[:6]}",
            password_hash=hash_password("Test-Pass-12345"),
            full_name="第二位管理员",
            role="district_admin",
            area_code=DISTRICT,
            is_active=True,
            failed_logins=0,
        )
    )
    await session.commit()
    return uid


async def apply(
    client: httpx.AsyncClient, auth: AuthHeaders, user: str = "sup1", **change: Any
) -> dict[str, Any]:
    r = await client.post(A, json=application_body(**change), headers=auth(user))
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def forwarded(
    client: httpx.AsyncClient, auth: AuthHeaders, user: str = "sup1", **change: Any
) -> dict[str, Any]:
    app = await apply(client, auth, user, **change)
    r = await client.post(
        f"{A}/{app['id']}/review", json={"decision": "forward"}, headers=auth("admin")
    )
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def approved(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    charity: Charity,
    amount: str = "8000.00",
    **change: Any,
) -> dict[str, Any]:
    app = await forwarded(client, auth, **change)
    r = await client.post(
        f"{A}/{app['id']}/decision",
        json={"decision": "approve", "approved_amount": amount},
        headers=charity.decider,
    )
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def pay(
    client: httpx.AsyncClient, charity: Charity, app_id: str, amount: str, **extra: Any
) -> httpx.Response:
    body = {"id": str(uuid.uuid4()), "amount": amount, "paid_on": "2026-06-01", **extra}
    return await client.post(f"{A}/{app_id}/disbursements", json=body, headers=charity.payer)


def report_body(**change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "beneficiaries_reached": 38,
        "ledger_child_ids": [],
        "spending": [
            {"item": "专业社工服务费", "amount": "4500.00"},
            {"item": "活动物资", "amount": "500.00"},
        ],
        "summary": "开展小组活动 8 次，个案辅导 12 人次",
    }
    body.update(change)
    return body
