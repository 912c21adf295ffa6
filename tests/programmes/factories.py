"""Small builders for the programmes' tests: ledger children written directly (synthetic ID
numbers with valid check characters), caring mothers and pairings made through the API."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import VILLAGE1
from tests.visits.factories import make_child


def fields(r: httpx.Response) -> list[str]:
    """The fields a problem+json answer names."""
    return [e["field"] for e in r.json().get("errors", [])]


CLEAR = {"queried_on": "2026-03-01", "result": "clear", "reference": "京公查-2026-0301"}


async def child(
    session: AsyncSession,
    settings: Settings,
    *,
    village: str | None = VILLAGE1,
    placement: str = "dispersed",
    revoked_on: date | None = None,
) -> uuid.UUID:
    """A ledger child of `village` (approved 2025-01-10), committed for the app's session."""
    cid = await make_child(
        session, settings, village=village, placement=placement, revoked_on=revoked_on
    )
    await session.commit()
    return cid


def mother_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "测试爱心妈妈",
        "organisation": "测试镇妇联",
        "phone": "13900000000",
        "record_check": CLEAR,
    }
    body.update(over)
    return body


async def mother(client: httpx.AsyncClient, headers: dict[str, str], **over: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/caring-mothers", json=mother_body(**over), headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def pairing_body(child_id: uuid.UUID, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "child_id": str(child_id),
        "since": "2026-03-01",
        "consent": {"child": True, "guardian": True},
    }
    body.update(over)
    return body


async def pair(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    mother_id: str,
    child_id: uuid.UUID,
    **over: Any,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/caring-mothers/{mother_id}/pairings",
        json=pairing_body(child_id, **over),
        headers=headers,
    )


async def paired(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    mother_id: str,
    child_id: uuid.UUID,
    **over: Any,
) -> dict[str, Any]:
    r = await pair(client, headers, mother_id, child_id, **over)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def contact_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "contacted_on": "2026-06-01",
        "mode": "visit",
        "notes": "陪孩子写作业，聊了学校的事",
    }
    body.update(over)
    return body
