"""Adult-orphan placement plans: the 2024 plan (7 placed, 2 + 5, 750,000 yuan), approval, each
placement carried out and paid once; roles and bad entries."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Child, PlacementPlan
from tests.conftest import AuthHeaders
from tests.subsidies.factories import make_child

P = "/api/v1/placements/plans"


async def _orphans(session: AsyncSession, settings: Settings, n: int = 7) -> list[Child]:
    return [
        await make_child(
            session, settings, placement="institution", birth_date=date(2006, 1 + i, 5)
        )
        for i in range(n)
    ]


def _plan(children: list[Child], year: int = 2024) -> dict[str, Any]:
    entries = [
        {
            "child_id": str(c.id),
            "assessment": "专业评估：具备安置条件",
            "placement_type": "extreme_poverty_support" if i < 2 else "social_placement",
            "subsidy": "75000.00" if i < 2 else "120000.00",
        }
        for i, c in enumerate(children)
    ]
    return {"year": year, "note": "2024年成年孤儿安置计划", "entries": entries}


async def test_the_2024_plan_from_filing_to_payment(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    kids = await _orphans(session, settings)
    candidates = await client.get(
        "/api/v1/placements/candidates", params={"year": 2024}, headers=auth("institute")
    )
    assert {c["child_id"] for c in candidates.json()} == {str(k.id) for k in kids}
    r = await client.post(P, json=_plan(kids), headers=auth("admin"))
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["status"] == "draft"
    assert plan["entry_count"] == 7
    assert plan["by_type"] == {"extreme_poverty_support": 2, "social_placement": 5}
    assert plan["total_subsidy"] == "750000.00"
    assert (await client.post(P, json=_plan(kids), headers=auth("admin"))).status_code == 422
    entry = plan["entries"][0]
    url = f"{P}/{plan['id']}/entries/{entry['id']}"
    early = await client.post(
        f"{url}/place", json={"placed_on": "2024-06-30"}, headers=auth("admin")
    )
    assert early.status_code == 409
    approval = {"approval_reference": "大兴区政府批复〔2024〕1号", "approved_on": "2024-03-15"}
    for who in ("admin", "auditor", "institute", "sup1"):
        assert (
            await client.post(f"{P}/{plan['id']}/approve", json=approval, headers=auth(who))
        ).status_code == 403
    ok = await client.post(f"{P}/{plan['id']}/approve", json=approval, headers=auth("leader"))
    assert ok.status_code == 200
    assert ok.json()["status"] == "approved"
    assert ok.json()["approval_reference"] == "大兴区政府批复〔2024〕1号"
    assert (
        await client.post(f"{P}/{plan['id']}/approve", json=approval, headers=auth("leader"))
    ).status_code == 409
    unplaced = await client.post(f"{url}/pay", headers=auth("admin"))
    assert unplaced.status_code == 409
    placed = await client.post(
        f"{url}/place", json={"placed_on": "2024-06-30"}, headers=auth("admin")
    )
    assert placed.status_code == 200
    paid = await client.post(f"{url}/pay", headers=auth("admin"))
    assert paid.status_code == 200
    got = next(e for e in paid.json()["entries"] if e["id"] == entry["id"])
    assert got["status"] == "paid"
    twice = await client.post(f"{url}/pay", headers=auth("admin"))
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_paid"
    listed = await client.get(P, params={"year": 2024}, headers=auth("auditor"))
    assert [p["id"] for p in listed.json()] == [plan["id"]]
    assert (await client.get(P, headers=auth("dir1"))).status_code == 403


async def test_second_plan_for_a_year_is_409(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    kids = await _orphans(session, settings, 2)
    assert (await client.post(P, json=_plan(kids[:1]), headers=auth("admin"))).status_code == 201
    r = await client.post(P, json=_plan(kids[1:]), headers=auth("admin"))
    assert r.status_code == 409
    assert r.json()["code"] == "placement_plan_exists"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"placement": "dispersed"}, "entries.0.child_id"),
        ({"category": "de_facto_unsupported"}, "entries.0.child_id"),
        ({"birth_date": date(2007, 1, 1)}, "entries.0.child_id"),  # 18 only in 2025
    ],
)
async def test_only_the_institutes_orphans_of_age(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    overrides: dict[str, Any],
    field: str,
) -> None:
    values = {"placement": "institution", "birth_date": date(2006, 5, 5)} | overrides
    child = await make_child(session, settings, **values)
    r = await client.post(P, json=_plan([child]), headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field
    assert await session.scalar(select(func.count()).select_from(PlacementPlan)) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subsidy": "0.00"}, "entries.0.subsidy"),
        ({"subsidy": 1000.0}, "entries.0.subsidy"),
        ({"placement_type": "adoption"}, "entries.0.placement_type"),
        ({"assessment": ""}, "entries.0.assessment"),
    ],
)
async def test_bad_entry_is_422(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    change: dict[str, Any],
    field: str,
) -> None:
    kids = await _orphans(session, settings, 1)
    body = _plan(kids)
    body["entries"][0] |= change
    r = await client.post(P, json=body, headers=auth("admin"))
    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]]


async def test_duplicates_and_roles(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    kids = await _orphans(session, settings, 1)
    r = await client.post(P, json=_plan(kids + kids), headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "entries.1.child_id"
    for who in ("leader", "institute", "sup1", "dir1"):
        assert (await client.post(P, json=_plan(kids), headers=auth(who))).status_code == 403
    assert (await client.post(P, json=_plan(kids))).status_code == 401


async def test_an_unknown_child_is_the_one_child_not_found(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    kids = await _orphans(session, settings, 1)
    body = _plan(kids)
    body["entries"][0]["child_id"] = str(uuid.uuid4())
    r = await client.post(P, json=body, headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "field": "entries.0.child_id",
        "message": "儿童不存在或不在您的辖区内",
    }
    r = await client.post(P, json=body, headers=auth("admin") | {"Accept-Language": "en"})
    assert r.json()["errors"][0]["message"] == "No such child in your jurisdiction"
