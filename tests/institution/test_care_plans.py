"""Care plans 个案照护计划: one per resident and year, ETag / If-Match, reviewed every 6 months."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEntry
from tests.conftest import AuthHeaders
from tests.incidents.factories import make_child
from tests.institution.factories import CARE_PLAN, fields, plan, resident


async def test_create_read_and_replace_with_if_match(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await resident(session, settings)
    url = CARE_PLAN.format(child.id)
    h = auth("institute")
    assert (await client.get(url, headers=h)).status_code == 404

    r = await client.put(url, json=plan(), headers=h)
    assert r.status_code == 201, r.text
    assert r.headers["ETag"] == '"1"'
    out = r.json()
    assert out["review_due_on"] == "2026-12-01"
    assert out["review_overdue"] is False
    assert out["domains"]["treatment"]["goals"] == ["控制哮喘"]

    r = await client.get(url, headers=auth("leader"))
    assert r.status_code == 200
    assert r.headers["ETag"] == '"1"'

    changed = plan(reviewed_on="2026-06-14", note="复评")
    assert (await client.put(url, json=changed, headers=h)).status_code == 428
    r = await client.put(url, json=changed, headers=h | {"If-Match": '"7"'})
    assert r.status_code == 412
    r = await client.put(url, json=changed, headers=h | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"2"'
    assert r.json()["note"] == "复评"
    # the stale version is refused: nothing is lost to a lost update
    r = await client.put(url, json=plan(), headers=h | {"If-Match": '"1"'})
    assert r.status_code == 412


async def test_plan_review_overdue_after_six_months(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await resident(session, settings)
    url = CARE_PLAN.format(child.id)
    r = await client.put(url, json=plan(reviewed_on="2025-12-14"), headers=auth("admin"))
    assert r.status_code == 201, r.text
    assert r.json()["review_due_on"] == "2026-06-14"
    assert r.json()["review_overdue"] is True  # today is 2026-06-15


async def test_reads_and_writes_are_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await resident(session, settings)
    url = CARE_PLAN.format(child.id)
    await client.put(url, json=plan(), headers=auth("institute"))
    await client.get(url, headers=auth("auditor"))
    actions = (
        (
            await session.execute(
                select(AuditEntry.action).where(AuditEntry.resource_id == str(child.id))
            )
        )
        .scalars()
        .all()
    )
    assert {"care_plan.create", "care_plan.read"} <= set(actions)


async def test_bad_input_names_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await resident(session, settings)
    url = CARE_PLAN.format(child.id)
    h = auth("institute")
    cases = {
        "reviewed_on": plan(reviewed_on="2026-06-16"),
        "year": plan(year=2030),
        "domains": plan(
            domains={
                d: {"goals": [], "services": []}
                for d in ("care", "treatment", "education", "rehabilitation")
            }
        ),
    }
    for field, body in cases.items():
        r = await client.put(url, json=body, headers=h)
        assert r.status_code == 422, (field, r.text)
        assert field in fields(r.json()), (field, r.json())
    body = plan()
    del body["domains"]["rehabilitation"]
    r = await client.put(url, json=body, headers=h)
    assert r.status_code == 422
    assert "domains.rehabilitation" in fields(r.json())
    # a review earlier than the last one
    await client.put(url, json=plan(reviewed_on="2026-06-10"), headers=h)
    r = await client.put(url, json=plan(reviewed_on="2026-06-01"), headers=h | {"If-Match": "*"})
    assert r.status_code == 422
    assert fields(r.json()) == ["reviewed_on"]


async def test_a_child_who_is_not_a_resident_has_no_plan(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    dispersed = await make_child(session, settings)
    url = CARE_PLAN.format(dispersed.id)
    assert (await client.put(url, json=plan(), headers=auth("admin"))).status_code == 404
    assert (await client.get(url, headers=auth("admin"))).status_code == 404
    left = await resident(session, settings, left_on=date(2026, 5, 1))
    r = await client.put(CARE_PLAN.format(left.id), json=plan(), headers=auth("institute"))
    assert r.status_code == 404
