"""POST /visits for one visit: its lookup, insert and quality flags in one statement (issue 30).

The flags of visits sent one at a time are those of the same visits sent as a batch; the
burst count of one visit agrees with the definition (flags.densest_hour) whatever the
visitor's stored visits; a retried, refused or foreign visit is answered as before.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.auth.roles import Role
from app.config import Settings
from app.kit.audit import verify_chain
from app.models import AreaLocation, AuditEntry, Visit, VisitFlag
from app.visits.flags import densest_hour
from tests.conftest import NOW, VILLAGE1, VILLAGE3, AuthHeaders
from tests.visits.factories import make_child, make_user, visit_body

URL = "/api/v1/visits"


async def flags_of(session: AsyncSession, ids: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    rows = await session.execute(
        select(VisitFlag.visit_id, VisitFlag.kind, VisitFlag.detail).where(
            VisitFlag.visit_id.in_([uuid.UUID(i) for i in ids])
        )
    )
    return {(str(v), k): d for v, k, d in rows.tuples()}


async def test_visits_sent_one_by_one_are_flagged_as_a_batch_is(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await session.execute(insert(AreaLocation).values(code=VILLAGE1, lat=39.70, lon=116.30))
    one = await make_user(session, "dir_one", Role.VILLAGE_DIRECTOR, VILLAGE1)
    many = await make_user(session, "dir_many", Role.VILLAGE_DIRECTOR, VILLAGE1)
    kids = [await make_child(session, settings) for _ in range(12)]
    await session.commit()
    copied = f"家中一切正常，孩子身体健康，学习认真，监护人照料到位。{uuid.uuid4()}"

    def bodies(children: list[uuid.UUID], notes: str) -> list[dict[str, Any]]:
        return [
            visit_body(
                k,
                visited_at=(NOW - timedelta(hours=3, minutes=-10 * i)).isoformat(),
                notes=notes if i < 2 else f"第{i}次探访，情况各不相同。",
                location={"lat": 39.70, "lon": 116.30 + (0.2 if i == 5 else 0)},
            )
            for i, k in enumerate(children)
        ]

    singles = bodies(kids[:6], copied)
    for b in singles:
        r = await client.post(URL, json=b, headers=auth(user_id=one))
        assert r.status_code == 201, r.text
    batch = bodies(kids[6:], copied + "另一批")
    r = await client.post(f"{URL}/batch", json={"visits": batch}, headers=auth(user_id=many))
    assert r.json()["created"] == 6

    got = await flags_of(session, [b["id"] for b in singles])
    want = await flags_of(session, [b["id"] for b in batch])
    # The same visits' flags, one by one or together (their ids differ: compare by position).
    position = {b["id"]: i for i, b in enumerate(singles)} | {
        b["id"]: i for i, b in enumerate(batch)
    }
    assert (
        {(position[v], k) for v, k in got}
        == {(position[v], k) for v, k in want}
        == {
            (4, "burst"),
            (5, "burst"),
            (1, "copied_notes"),
            (5, "far_location"),
        }
    )
    assert got[(singles[4]["id"], "burst")] == {"visits_in_one_hour": 5}
    assert got[(singles[5]["id"], "burst")] == {"visits_in_one_hour": 6}
    assert got[(singles[1]["id"], "copied_notes")] == {
        "same_notes_visit_ids": [singles[0]["id"]],
        "other_children": 1,
    }
    far = got[(singles[5]["id"], "far_location")]
    assert far == want[(batch[5]["id"], "far_location")]
    assert far["village_code"] == VILLAGE1
    assert 15 < far["distance_km"] < 20


async def test_the_burst_count_of_one_visit_is_the_definitions(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    rng = random.Random(7)
    t0 = NOW - timedelta(days=1)
    cases = []
    for n in range(12):
        visitor = await make_user(session, f"dir_burst{n}", Role.VILLAGE_DIRECTOR, VILLAGE1)
        stored = [
            t0 + timedelta(minutes=rng.choice([0, 60, 120, rng.randint(0, 240)]))
            for _ in range(rng.randint(0, 12))
        ]
        if stored:
            await session.execute(
                insert(Visit),
                [
                    {
                        "id": uuid.uuid4(),
                        "child_id": child,
                        "visited_at": at,
                        "visit_month": at.date().replace(day=1),
                        "mode": "home",
                        "findings": {},
                        "visitor_id": visitor,
                        "visitor_name": "测试",
                        "body_hash": "x",
                    }
                    for at in stored
                ],
            )
        at = (
            t0
            + timedelta(minutes=rng.choice([30, 60, rng.randint(0, 240)]))
            + timedelta(microseconds=rng.choice([0, 0, -1, 1]))
        )
        cases.append((visitor, stored, at))
    await session.commit()
    for visitor, stored, at in cases:
        body = visit_body(child, visited_at=at.isoformat())
        r = await client.post(URL, json=body, headers=auth(user_id=visitor))
        assert r.status_code == 201, r.text
        dense = densest_hour(at, [*stored, at])
        flag = (await flags_of(session, [body["id"]])).get((body["id"], "burst"))
        if dense > settings.visit_max_per_hour:
            assert flag == {"visits_in_one_hour": dense}
        else:
            assert flag is None


async def test_refused_foreign_and_retried_visits_are_answered_as_before(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    mine = await make_child(session, settings)
    foreign = await make_child(session, settings, village=VILLAGE3)
    await session.commit()
    early = visit_body(mine, visited_at=(NOW - timedelta(days=800)).isoformat())
    r = await client.post(URL, json=early, headers=auth("dir1", lang="en"))
    assert r.status_code == 422
    assert "enrolment" in r.text
    r = await client.post(URL, json=visit_body(foreign), headers=auth("dir1"))
    assert r.status_code == 404
    body = visit_body(mine, difficulties=[{"kind": "medical", "text": "需要复查"}])
    first = await client.post(URL, json=body, headers=auth("dir1"))
    assert first.status_code == 201
    again = await client.post(URL, json=body, headers=auth("dir1"))
    assert again.status_code == 200
    assert again.json() == first.json()
    other = await client.post(URL, json=dict(body, notes="不同"), headers=auth("dir1"))
    assert other.status_code == 409
    # The id of a visit of another village's child: not the caller's, a conflict.
    theirs = visit_body(foreign)
    r = await client.post(URL, json=theirs, headers=auth("dir3"))
    assert r.status_code == 201, r.text
    r = await client.post(URL, json=theirs, headers=auth("dir1"))
    assert r.status_code == 409
    stored = await session.scalar(select(Visit).where(Visit.id == uuid.UUID(body["id"])))
    assert stored is not None
    assert stored.village_code == VILLAGE1


async def test_concurrent_visits_each_audited_in_one_chain(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
) -> None:
    """Each visit's audit entry is written by its own statement's reservation of the chain
    (not the session's flush): under concurrency every created visit has exactly one entry,
    with its request's id, and the chain still verifies."""
    async with committed_engine.begin() as conn:
        child = await make_child(conn, settings)
    bodies = [visit_body(child, notes=f"并发探访{i}") for i in range(16)]
    answers = await asyncio.gather(
        *(committed_client.post(URL, json=b, headers=auth("dir1")) for b in bodies)
    )
    assert [a.status_code for a in answers] == [201] * 16
    ids = [b["id"] for b in bodies]
    async with committed_engine.connect() as conn:
        rows = (
            await conn.execute(
                select(AuditEntry.resource_id, AuditEntry.action, AuditEntry.request_id).where(
                    AuditEntry.resource_id.in_(ids)
                )
            )
        ).all()
        report = await verify_chain(conn)
    assert sorted(r.resource_id for r in rows) == sorted(ids)
    assert {r.action for r in rows} == {"visit.create"}
    assert {r.request_id for r in rows} == {a.headers["x-request-id"] for a in answers}
    assert report.first_broken_id is None
