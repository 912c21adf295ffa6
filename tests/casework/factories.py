"""Builders for case-work tests: agencies and case workers written directly (not through
POST /users, whose body other issues extend), cases driven through the API."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.passwords import hash_password
from app.config import Settings
from app.models import CaseworkAgency, Child, User
from tests.conftest import CASEWORK_AGENCY_ID, DISTRICT, AuthHeaders
from tests.incidents.factories import make_child

BASE_AGENCY = CASEWORK_AGENCY_ID  # the base "caseworker" works for it (1000 h at 120.00/h)


async def make_agency(
    session: AsyncSession,
    *,
    hours_bought: int = 100,
    hourly_rate_fen: int = 10000,
    contract_from: date = date(2026, 1, 1),
    contract_to: date = date(2026, 12, 31),
    district: str = DISTRICT,
) -> CaseworkAgency:
    agency = CaseworkAgency(
        id=uuid.uuid4(),
        name=f"测试社工机构{uuid.uuid4().hex[:8]}",
        contract_from=contract_from,
        contract_to=contract_to,
        hours_bought=hours_bought,
        hourly_rate_fen=hourly_rate_fen,
        district_code=district,
        version=1,
    )
    session.add(agency)
    await session.commit()
    return agency


async def make_case_worker(session: AsyncSession, agency_id: uuid.UUID) -> uuid.UUID:
    user = User(
        id=uuid.uuid4(),
        username=f"cw{uuid.uuid4().hex[:10]}",
        password_hash=hash_password("Test-Pass-12345"),
        full_name="测试社工",
        role="case_worker",
        area_code=DISTRICT,
        agency_id=agency_id,
        is_active=True,
        failed_logins=0,
        version=1,
    )
    session.add(user)
    await session.commit()
    return user.id


async def child_on_assistance(session: AsyncSession, settings: Settings, **kw: Any) -> Child:
    """An orphan on the ledger: the living allowance is social assistance."""
    return await make_child(session, settings, **kw)


async def child_without_assistance(session: AsyncSession, settings: Settings) -> Child:
    """A child revoked from the ledger whose household has no assistance."""
    child = await make_child(session, settings)
    child.status = "revoked"
    child.revoked_on = date(2026, 3, 1)
    child.revoke_reason = "family_recovered"
    await session.commit()
    return child


ASSESSMENT: dict[str, Any] = {
    "assessed_on": "2026-06-15",
    **{
        d: {"score": 3, "notes": f"{d} 评估"}
        for d in ("living", "health", "education", "psychological", "family_relations", "safety")
    },
}


def plan(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "set_on": "2026-06-15",
        "goals": [
            {
                "domain": "education",
                "title": "按时上学",
                "planned_services": [{"description": "学业辅导", "mode": "home_visit"}],
            },
            {
                "domain": "psychological",
                "title": "情绪稳定",
                "planned_services": [
                    {"description": "心理疏导", "mode": "office", "frequency": "每月两次"}
                ],
            },
        ],
    }
    body.update(overrides)
    return body


def service(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "served_on": "2026-06-15",
        "minutes": 90,
        "mode": "home_visit",
        "notes": "入户辅导",
    }
    body.update(overrides)
    return body


async def open_case(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    child_id: uuid.UUID,
    agency_id: uuid.UUID = BASE_AGENCY,
    **overrides: Any,
) -> dict[str, Any]:
    body = {
        "id": str(uuid.uuid4()),
        "child_id": str(child_id),
        "agency_id": str(agency_id),
        "reason": "学业困难，情绪低落",
    } | overrides
    r = await client.post("/api/v1/cases", json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def case_in_service(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    child_id: uuid.UUID,
    worker: dict[str, str],
    agency_id: uuid.UUID = BASE_AGENCY,
    *,
    on: str = "2026-06-15",
) -> dict[str, Any]:
    """A case opened, assessed and planned on `on` (the clock's today)."""
    case = await open_case(client, auth, child_id, agency_id)
    assessment = ASSESSMENT | {"assessed_on": on}
    r = await client.post(f"/api/v1/cases/{case['id']}/assessment", json=assessment, headers=worker)
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/cases/{case['id']}/plan", json=plan(set_on=on), headers=worker)
    assert r.status_code == 200, r.text
    return dict(r.json())
