"""The batch upload's paths: items judged together, inserted together, flagged together —
and the items taken one by one (suspected infringement, an id repeated in the batch)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.models import AuditEntry, FollowUp, Incident, Visit, VisitFlag
from tests.conftest import NOW, VILLAGE3, AuthHeaders
from tests.visits.factories import make_child, visit_body

BATCH = "/api/v1/visits/batch"
COPIED = "家中一切正常，孩子身体健康，学习认真，监护人照料到位。"


async def _count(session: AsyncSession, column: Any, *ids: str) -> int:
    """How many rows have `column` (a visit id) among `ids`."""
    stmt = select(func.count()).where(column.in_([uuid.UUID(i) for i in ids]))
    return int(await session.scalar(stmt) or 0)


async def test_batch_with_every_kind_of_item(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    kids = [await make_child(session, settings) for _ in range(3)]
    other = await make_child(session, settings, village=VILLAGE3)
    await session.commit()
    stored = visit_body(kids[0])
    r = await client.post("/api/v1/visits", json=stored, headers=auth("dir1"))
    assert r.status_code == 201
    when = [(NOW - timedelta(days=d)).isoformat() for d in range(2, 8)]
    new = visit_body(
        kids[1], visited_at=when[0], difficulties=[{"kind": "medical", "text": "复查"}]
    )
    twice = visit_body(kids[2], visited_at=when[1])
    twice_other_body = dict(visit_body(kids[2], visited_at=when[2]), id=twice["id"])
    suspected = visit_body(
        kids[1], visited_at=when[3], suspected_infringement=True, notes="发现淤青，疑似遭受殴打"
    )
    suspected_again = dict(suspected)
    before_enrolment = visit_body(kids[0], visited_at="2024-01-01T10:00:00+08:00")
    items = [
        new,  # 0 created
        stored,  # 1 duplicate of a visit stored before
        dict(stored, notes="另一份内容"),  # 2 conflict with it
        twice,  # 3 created
        dict(twice),  # 4 the same id and body again in the batch: duplicate
        twice_other_body,  # 5 the same id, another body, in the batch: conflict
        suspected,  # 6 created, with its draft incident
        suspected_again,  # 7 duplicate of item 6
        visit_body(other),  # 8 outside the jurisdiction: invalid
        before_enrolment,  # 9 before the child's enrolment: invalid
        {"id": "nope"},  # 10 malformed: invalid
    ]
    r = await client.post(BATCH, json={"visits": items}, headers=auth("dir1", lang="en"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert [x["status"] for x in out["results"]] == [
        "created",
        "duplicate",
        "conflict",
        "created",
        "duplicate",
        "conflict",
        "created",
        "duplicate",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert [x["index"] for x in out["results"]] == list(range(11))
    assert (out["created"], out["duplicate"], out["conflict"], out["invalid"]) == (3, 3, 2, 3)
    assert out["results"][5]["id"] == twice["id"]
    assert out["results"][5]["errors"][0]["field"] == "id"
    assert out["results"][8]["errors"][0]["field"] == "child_id"
    assert out["results"][9]["errors"][0]["field"] == "visited_at"
    assert "2025-01-10" in out["results"][9]["errors"][0]["message"]
    assert out["results"][10]["id"] is None
    # what was stored: each created visit once, the first body of a repeated id
    ids = [new["id"], twice["id"], suspected["id"]]
    assert await _count(session, Visit.id, *ids) == 3
    r = await client.get(f"/api/v1/visits/{twice['id']}", headers=auth("dir1"))
    assert datetime.fromisoformat(r.json()["visited_at"]) == datetime.fromisoformat(when[1])
    follow = (
        await session.scalars(select(FollowUp).where(FollowUp.visit_id == uuid.UUID(new["id"])))
    ).all()
    assert [(f.kind, f.status, f.town_code) for f in follow] == [("medical", "open", "110115001")]
    r = await client.get(f"/api/v1/visits/{suspected['id']}", headers=auth("dir1"))
    incident_id = r.json()["incident_id"]
    assert incident_id is not None
    n_incidents = await session.scalar(
        select(func.count())
        .select_from(Incident)
        .where(Incident.visit_id == uuid.UUID(suspected["id"]))
    )
    assert n_incidents == 1
    # an audit entry for every visit written, none for the others
    audited = (
        await session.scalars(
            select(AuditEntry.resource_id).where(AuditEntry.action == "visit.create")
        )
    ).all()
    assert set(ids) <= set(audited)
    assert stored["id"] in audited  # from the single POST before
    assert audited.count(twice["id"]) == 1
    assert audited.count(stored["id"]) == 1
    suspicion = (
        await session.scalars(
            select(AuditEntry.resource_id).where(
                AuditEntry.action == "visit.suspected_infringement"
            )
        )
    ).all()
    assert suspicion.count(suspected["id"]) == 1


async def test_replaying_a_whole_batch_changes_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    kids = [await make_child(session, settings) for _ in range(3)]
    await session.commit()
    items = [
        visit_body(
            k,
            visited_at=(NOW - timedelta(days=1 + i)).isoformat(),
            difficulties=[{"kind": "living", "text": "屋顶漏雨"}],
        )
        for i, k in enumerate(kids)
    ]
    first = await client.post(BATCH, json={"visits": items}, headers=auth("dir1"))
    assert first.json()["created"] == 3
    again = await client.post(BATCH, json={"visits": items}, headers=auth("dir1"))
    assert again.status_code == 200
    assert [x["status"] for x in again.json()["results"]] == ["duplicate"] * 3
    ids = [i["id"] for i in items]
    assert await _count(session, Visit.id, *ids) == 3
    assert await _count(session, FollowUp.visit_id, *ids) == 3


async def test_flags_judge_each_visit_in_arrival_order(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    """Flags computed for the whole batch are those the visits would get arriving one by one:
    a visit sees the stored visits and the batch's earlier ones, never its later ones."""
    kids = [await make_child(session, settings) for _ in range(6)]
    await session.commit()
    start = NOW - timedelta(days=3, hours=5, minutes=17)
    # Stored before: three visits within the hour, the first with the notes copied later.
    earlier = [
        visit_body(
            kids[i],
            visited_at=(start + timedelta(minutes=5 * i)).isoformat(),
            notes=COPIED if i == 0 else None,
        )
        for i in range(3)
    ]
    r = await client.post(BATCH, json={"visits": earlier}, headers=auth("dir1"))
    assert r.json()["created"] == 3
    batch = [
        visit_body(
            kids[3 + i],
            visited_at=(start + timedelta(minutes=20 + 5 * i)).isoformat(),
            notes=COPIED if i == 2 else f"第{i}次探访，情况各不相同，记录详细。",
        )
        for i in range(3)
    ]
    # the same child's copied notes again: not a copy across children
    same_child = visit_body(kids[0], visited_at=(start - timedelta(days=1)).isoformat())
    same_child["notes"] = COPIED
    batch.append(same_child)
    r = await client.post(BATCH, json={"visits": batch}, headers=auth("dir1"))
    assert r.json()["created"] == 4
    flags = (
        await session.execute(
            select(VisitFlag.visit_id, VisitFlag.kind, VisitFlag.detail).where(
                VisitFlag.visit_id.in_([uuid.UUID(b["id"]) for b in earlier + batch])
            )
        )
    ).all()
    by_kind: dict[str, dict[str, dict[str, object]]] = {}
    for vid, kind, detail in flags:
        by_kind.setdefault(kind, {})[str(vid)] = detail
    # 3 stored + the batch's 5th and 6th visit within the hour: more than 4 → flagged; the
    # 4th (only 4 when it arrived) is not, though 6 lie in its hour once the batch is in.
    assert set(by_kind["burst"]) == {batch[1]["id"], batch[2]["id"]}
    assert by_kind["burst"][batch[1]["id"]] == {"visits_in_one_hour": 5}
    assert by_kind["burst"][batch[2]["id"]] == {"visits_in_one_hour": 6}
    # batch[2] copies the stored visit's notes (not those of the later visit in the batch);
    # the last visit copies batch[2]'s, its own child's visit left aside.
    assert by_kind["copied_notes"] == {
        batch[2]["id"]: {"same_notes_visit_ids": [earlier[0]["id"]], "other_children": 1},
        same_child["id"]: {"same_notes_visit_ids": [batch[2]["id"]], "other_children": 1},
    }
    assert "far_location" not in by_kind


async def test_single_visit_is_flagged_too(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    a, b = await make_child(session, settings), await make_child(session, settings)
    await session.commit()
    first = visit_body(a, notes=COPIED)
    second = visit_body(b, notes=COPIED, visited_at=(NOW - timedelta(hours=30)).isoformat())
    for body in (first, second):
        assert (await client.post("/api/v1/visits", json=body, headers=auth("dir1"))).is_success
    kinds = (
        await session.scalars(
            select(VisitFlag.kind).where(VisitFlag.visit_id == uuid.UUID(second["id"]))
        )
    ).all()
    assert list(kinds) == ["copied_notes"]
    assert await _count(session, VisitFlag.visit_id, first["id"]) == 0


async def test_concurrent_batches_sharing_ids_store_each_visit_once(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
) -> None:
    async with committed_engine.begin() as conn:
        kids = [await make_child(conn, settings) for _ in range(4)]
    items = [
        visit_body(
            k,
            visited_at=(NOW - timedelta(days=1 + i)).isoformat(),
            difficulties=[{"kind": "education", "text": "缺少学习用品"}],
        )
        for i, k in enumerate(kids)
    ]
    headers = auth("dir1")
    # Eight phones send the same visits, in different orders.
    orders = [items[k:] + items[:k] for k in range(4)] * 2
    answers = await asyncio.gather(
        *(committed_client.post(BATCH, json={"visits": o}, headers=headers) for o in orders)
    )
    assert [a.status_code for a in answers] == [200] * 8
    outcomes: dict[str, list[str]] = {}
    for a in answers:
        for x in a.json()["results"]:
            outcomes.setdefault(x["id"], []).append(x["status"])
    assert {k: sorted(v) for k, v in outcomes.items()} == {
        i["id"]: ["created"] + ["duplicate"] * 7 for i in items
    }
    ids = [uuid.UUID(i["id"]) for i in items]
    async with committed_engine.connect() as conn:
        n = await conn.scalar(select(func.count()).select_from(Visit).where(Visit.id.in_(ids)))
        f = await conn.scalar(
            select(func.count()).select_from(FollowUp).where(FollowUp.visit_id.in_(ids))
        )
    assert (n, f) == (4, 4)
