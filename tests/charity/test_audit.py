"""Every write of the charity project funds and of the training cascade is in the audit log,
with its actor; refused writes leave nothing."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEntry
from tests.charity.factories import A, Charity, approved, pay, report_body
from tests.conftest import AuthHeaders, Base
from tests.training.factories import attend, create


async def _actions(session: AsyncSession, resource_id: str) -> list[tuple[str, str | None]]:
    rows = await session.execute(
        select(AuditEntry.action, AuditEntry.principal_name)
        .where(AuditEntry.resource_id == resource_id)
        .order_by(AuditEntry.id)
    )
    return [(a, n) for a, n in rows.tuples()]


async def test_charity_writes_are_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity, session: AsyncSession
) -> None:
    app = await approved(client, auth, charity)
    assert (await pay(client, charity, app["id"], "100.00")).status_code == 201
    assert (await pay(client, charity, app["id"], "9999.00")).status_code == 409
    r = await client.post(
        f"{A}/{app['id']}/report",
        json=report_body(spending=[{"item": "活动物资", "amount": "100.00"}]),
        headers=auth("sup1"),
    )
    assert r.status_code == 200
    assert [a for a, _ in await _actions(session, app["id"])] == [
        "charity.apply",
        "charity.forward",
        "charity.approve",
        "charity.disburse",
        "charity.report",
    ]
    actors = dict(await _actions(session, app["id"]))
    assert actors["charity.apply"] == "sup1"
    assert actors["charity.forward"] == "admin"


async def test_training_writes_are_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession
) -> None:
    s = await create(client, auth, "sup1")
    await attend(client, auth, s["id"], base.users["dir1"], by="sup1")
    await attend(client, auth, s["id"], base.users["dir1"], by="sup1")  # unchanged: no entry
    await attend(client, auth, s["id"], base.users["dir3"], by="sup1")  # refused: no entry
    assert await _actions(session, s["id"]) == [
        ("training.create", "sup1"),
        ("training.attendance", "sup1"),
    ]
