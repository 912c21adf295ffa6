from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.models import FollowUp, Visit
from tests.conftest import NOW, VILLAGE1, VILLAGE3, AuthHeaders
from tests.visits.factories import make_child, visit_body

URL = "/api/v1/visits"
# A photo is a document id (the phone uploads it to /api/v1/documents with that id).
PHOTO = "0c0ffee0-0000-4000-8000-000000000001"


async def count_visits(session: AsyncSession, *children: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(Visit).where(Visit.child_id.in_(children))
    return int(await session.scalar(stmt) or 0)


async def test_director_records_a_visit(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    await session.commit()
    body = visit_body(
        child,
        difficulties=[{"kind": "medical", "text": "需要复查"}],
        location={"lat": 39.7, "lon": 116.3},
        photos=[PHOTO],
        notes="一切正常",
    )
    r = await client.post(URL, json=body, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["id"] == body["id"]
    assert out["month"] == "2026-06"
    assert out["visitor_name"] == "dir1"
    assert out["village_code"] == VILLAGE1
    assert out["location"] == {"lat": 39.7, "lon": 116.3}
    assert out["findings"]["schooling"] == {"rating": "fair", "text": "成绩一般"}
    assert out["photos"] == [PHOTO]
    follow = (await session.scalars(select(FollowUp).where(FollowUp.child_id == child))).all()
    assert [(f.kind, f.status, f.town_code) for f in follow] == [("medical", "open", "110115001")]
    assert follow[0].due_on == date(2026, 6, 15) + timedelta(days=settings.follow_up_due_days)


async def test_same_id_same_body_is_replayed_and_other_body_conflicts(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    await session.commit()
    body = visit_body(child, difficulties=[{"kind": "living", "text": "屋顶漏雨"}])
    first = await client.post(URL, json=body, headers=auth("dir1"))
    assert first.status_code == 201
    # The same visit sent again, with another offset for the same instant: the stored visit.
    again = dict(body, visited_at=(NOW - timedelta(days=1)).astimezone().isoformat())
    second = await client.post(URL, json=again, headers=auth("dir1"))
    assert second.status_code == 200
    assert second.json() == first.json()
    changed = dict(body, notes="改过的内容")
    third = await client.post(URL, json=changed, headers=auth("dir1", lang="en"))
    assert third.status_code == 409
    assert third.headers["content-type"].startswith("application/problem+json")
    assert third.json()["code"] == "visit_id_conflict"
    assert await count_visits(session, child) == 1
    n_follow = await session.scalar(
        select(func.count()).select_from(FollowUp).where(FollowUp.child_id == child)
    )
    assert n_follow == 1


async def test_twenty_concurrent_duplicates_store_one_visit(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
) -> None:
    async with committed_engine.begin() as conn:
        child = await make_child(conn, settings)
    body = visit_body(child, difficulties=[{"kind": "education", "text": "缺少学习用品"}])
    headers = auth("dir1")
    answers = await asyncio.gather(
        *(committed_client.post(URL, json=body, headers=headers) for _ in range(20))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 19 + [201]
    assert len({a.text for a in answers}) == 1
    async with committed_engine.connect() as conn:
        n = await conn.scalar(
            select(func.count()).select_from(Visit).where(Visit.id == uuid.UUID(body["id"]))
        )
        f = await conn.scalar(
            select(func.count()).select_from(FollowUp).where(FollowUp.child_id == child)
        )
    assert (n, f) == (1, 1)


async def test_refuses_future_visit(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    await session.commit()
    body = visit_body(child, visited_at=(NOW + timedelta(hours=1)).isoformat())
    r = await client.post(URL, json=body, headers=auth("dir1", lang="en"))
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "visited_at", "message": "The visit cannot be in the future"}
    ]
    assert await count_visits(session, child) == 0


async def test_refuses_visit_before_enrolment_and_after_revocation(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    young = await make_child(session, settings, approved_on=date(2026, 6, 10))
    gone = await make_child(
        session, settings, approved_on=date(2025, 1, 1), revoked_on=date(2026, 6, 1)
    )
    await session.commit()
    # 2026-06-09T23:30+08:00 is still the 9th in Beijing: before enrolment on the 10th.
    r = await client.post(
        URL,
        json=visit_body(young, visited_at="2026-06-09T23:30:00+08:00"),
        headers=auth("dir1"),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "visited_at"
    assert "2026-06-10" in r.json()["errors"][0]["message"]
    ok = await client.post(
        URL, json=visit_body(young, visited_at="2026-06-10T00:10:00+08:00"), headers=auth("dir1")
    )
    assert ok.status_code == 201
    r = await client.post(URL, json=visit_body(gone), headers=auth("dir1"))
    assert r.status_code == 422
    assert await count_visits(session, young, gone) == 1


async def test_jurisdiction_and_roles(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings, village=VILLAGE3)
    inst = await make_child(session, settings, placement="institution")
    await session.commit()
    assert (await client.post(URL, json=visit_body(child))).status_code == 401
    r = await client.post(URL, json=visit_body(child), headers=auth("dir1"))
    assert r.status_code == 404
    assert r.json()["code"] == "child_not_found"
    assert (await client.post(URL, json=visit_body(child), headers=auth("sup1"))).status_code == 404
    assert (await client.post(URL, json=visit_body(inst), headers=auth("dir3"))).status_code == 404
    assert (
        await client.post(URL, json=visit_body(child), headers=auth("auditor"))
    ).status_code == 403
    assert (
        await client.post(URL, json=visit_body(child), headers=auth(agency="police"))
    ).status_code == 403
    assert (await client.post(URL, json=visit_body(child), headers=auth("dir3"))).status_code == 201
    assert (await client.post(URL, json=visit_body(child), headers=auth("sup2"))).status_code == 201
    r = await client.post(URL, json=visit_body(inst, mode="institution"), headers=auth("institute"))
    assert r.status_code == 201
    assert r.json()["village_code"] is None
    assert await count_visits(session, child, inst) == 3


async def test_bad_input_names_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    await session.commit()
    cases = [
        (visit_body(child, mode="drive-by"), "mode"),
        (visit_body(child, visited_at="2026-06-01T10:00:00"), "visited_at"),
        # Would overflow when turned to UTC: a 422, never a 500.
        (visit_body(child, visited_at="0001-01-01T00:00:00+08:00"), "visited_at"),
        (visit_body(child, visited_at="1899-12-31T23:59:59+00:00"), "visited_at"),
        (visit_body(child, difficulties=[{"kind": "money", "text": "x"}]), "difficulties.0.kind"),
        (visit_body(child, location={"lat": 120, "lon": 0}), "location.lat"),
        (visit_body(child, extra_field=1), "extra_field"),
        (visit_body(child, id="not-a-uuid"), "id"),
    ]
    body = visit_body(child)
    del body["findings"]["health"]
    cases.append((body, "findings.health"))
    for payload, field in cases:
        r = await client.post(URL, json=payload, headers=auth("dir1"))
        assert r.status_code == 422, (field, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], (field, r.json())
    assert await count_visits(session, child) == 0


async def test_suspected_infringement_listed_for_district(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    other = await make_child(session, settings, village=VILLAGE3)
    await session.commit()
    flagged = visit_body(child, suspected_infringement=True, notes="发现多处淤青，疑似遭受殴打")
    assert (await client.post(URL, json=flagged, headers=auth("dir1"))).status_code == 201
    assert (await client.post(URL, json=visit_body(other), headers=auth("dir3"))).status_code == 201
    r = await client.get(URL, params={"suspected_infringement": "true"}, headers=auth("admin"))
    assert [v["id"] for v in r.json()["items"]] == [flagged["id"]]
    incident_id = r.json()["items"][0]["incident_id"]
    assert incident_id is not None
    r = await client.get(URL, params={"suspected_infringement": "true"}, headers=auth("sup2"))
    assert r.json()["items"] == []
    # the visit opened a draft mandatory report that its director (the reporter) completes
    r = await client.get(f"/api/v1/incidents/{incident_id}", headers=auth("dir1"))
    assert r.status_code == 200
    assert r.json()["status"] == "draft"
    assert r.json()["visit_id"] == flagged["id"]
    assert r.json()["child"]["id"] == str(child)
    assert r.json()["child"]["on_ledger"] is True
    r = await client.get(f"/api/v1/incidents/{incident_id}", headers=auth("dir2"))
    assert r.status_code == 404
