"""Counselling sessions 心理咨询: mode and children, the counsellor's art. 62 check, the
confidentiality of the notes by role, and a disclosure of abuse opening a draft report."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.models import AuditEntry, CounsellingSession, Incident, User
from tests.conftest import AuthHeaders, Base
from tests.incidents.factories import make_child
from tests.institution.factories import SESSIONS, counselling, fields, resident
from tests.visits.factories import make_child as insert_child

NOTES = "孩子谈到对生母的思念与愤怒（保密）"


async def _session(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    child_ids: list[uuid.UUID],
    **kw: object,
) -> dict[str, object]:
    r = await client.post(
        SESSIONS, json=counselling(base.users["counsel"], child_ids, **kw), headers=auth("counsel")
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_one_to_one_and_group_sessions(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    a, b = await resident(session, settings), await resident(session, settings)
    one = await _session(client, auth, base, [a.id])
    assert one["mode"] == "one_to_one"
    assert one["counsellor_name"] == "测试counsel"
    assert one["has_confidential_notes"] is True
    assert "confidential_notes" not in one
    group = await _session(client, auth, base, [a.id, b.id], topics=["人际交往"], minutes=90)
    assert group["mode"] == "group"
    r = await client.get(SESSIONS, params={"child_id": str(b.id)}, headers=auth("institute"))
    assert [s["id"] for s in r.json()["items"]] == [group["id"]]


async def test_the_same_id_and_body_is_answered_again_another_body_is_409(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    child = await resident(session, settings)
    body = counselling(base.users["counsel"], [child.id])
    first = await client.post(SESSIONS, json=body, headers=auth("counsel"))
    again = await client.post(SESSIONS, json=body, headers=auth("counsel"))
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    other = await client.post(
        SESSIONS, json=body | {"confidential_notes": "另一份"}, headers=auth("counsel")
    )
    assert other.status_code == 409
    assert other.json()["code"] == "id_conflict"
    n = (
        await session.execute(select(CounsellingSession).where(CounsellingSession.id == body["id"]))
    ).all()
    assert len(n) == 1


async def test_bad_input_names_the_field(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    a, b = await resident(session, settings), await resident(session, settings)
    dispersed = await make_child(session, settings)
    counsel = base.users["counsel"]
    cases: list[tuple[dict[str, object], str]] = [
        (counselling(counsel, [a.id], mode="group"), "child_ids"),
        (counselling(counsel, [a.id, b.id], mode="one_to_one"), "child_ids"),
        (counselling(counsel, [dispersed.id]), "child_ids.0"),
        (counselling(counsel, [a.id, dispersed.id]), "child_ids.1"),
        (counselling(counsel, [a.id, a.id]), "child_ids"),
        (counselling(counsel, [a.id], held_on="2026-06-16"), "held_on"),
        (counselling(counsel, [a.id], minutes=0), "minutes"),
        (counselling(counsel, [a.id], summary=""), "summary"),
        (counselling(counsel, [a.id], mode="family"), "mode"),
        (counselling(counsel, [a.id], risk="sadness"), "risk"),
        (counselling(counsel, [a.id], risk_child_ids=[str(a.id)]), "risk_child_ids"),
        (counselling(counsel, [a.id, b.id], risk="abuse_disclosure"), "risk_child_ids"),
        (
            counselling(counsel, [a.id], risk="self_harm", risk_child_ids=[str(b.id)]),
            "risk_child_ids.0",
        ),
        (counselling(base.users["institute"], [a.id]), "counsellor_id"),
        (counselling(counsel, []), "child_ids"),
    ]
    for body, field in cases:
        r = await client.post(SESSIONS, json=body, headers=auth("admin"))
        assert r.status_code == 422, (field, r.text)
        assert field in fields(r.json()), (field, r.json())


async def test_a_counsellor_records_only_their_own_sessions(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    child = await resident(session, settings)
    other = uuid.uuid4()
    session.add(
        User(
            id=other,
            username="counsel-2",
            password_hash="x",
            full_name="另一位咨询师",
            role="counsellor",
            area_code="110115",
            record_check_queried_on=date(2026, 2, 1),
            record_check_result="clear",
            record_check_reference="R-2",
        )
    )
    await session.commit()
    r = await client.post(SESSIONS, json=counselling(other, [child.id]), headers=auth("counsel"))
    assert r.status_code == 422
    assert fields(r.json()) == ["counsellor_id"]
    # the district admin may record it (from the counsellor's paper form)
    r = await client.post(SESSIONS, json=counselling(other, [child.id]), headers=auth("admin"))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("check", "reason"),
    [
        ({"record_check_queried_on": None, "record_check_result": None,
          "record_check_reference": None}, "missing"),
        ({"record_check_queried_on": date(2025, 6, 1)}, "expired"),
        ({"record_check_result": "record_found"}, "record_found"),
    ],
)  # fmt: skip
async def test_art_62_a_counsellor_without_a_clear_recent_check_is_refused(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
    check: dict[str, object],
    reason: str,
) -> None:
    child = await resident(session, settings)
    await session.execute(update(User).where(User.id == base.users["counsel"]).values(**check))
    await session.commit()
    body = counselling(base.users["counsel"], [child.id])
    r = await client.post(SESSIONS, json=body, headers=auth("counsel", lang="en"))
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["code"] == "record_check_failed"
    assert problem["reason"] == reason
    assert problem["person_id"] == str(base.users["counsel"])
    assert fields(problem) == ["counsellor_id"]
    assert "art. 62" in problem["detail"]
    gone = await session.execute(
        select(CounsellingSession).where(CounsellingSession.id == body["id"])
    )
    assert gone.first() is None


async def test_confidential_notes_by_role(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    child = await resident(session, settings)
    made = await _session(client, auth, base, [child.id])
    url = f"{SESSIONS}/{made['id']}"
    for user in ("counsel", "admin"):
        r = await client.get(url, headers=auth(user))
        assert r.status_code == 200
        assert r.json()["confidential_notes"] == NOTES, user
    for user in ("institute", "leader", "auditor"):
        r = await client.get(url, headers=auth(user))
        assert r.status_code == 200
        assert r.json()["confidential_notes"] is None, user
        assert r.json()["summary"] == "情绪较上月稳定，建议继续每两周一次"
    for user in ("counsel", "admin", "institute", "leader", "auditor"):
        r = await client.get(SESSIONS, headers=auth(user))
        assert NOTES not in r.text, user
        assert "confidential_notes" not in r.json()["items"][0]
    # each read of the notes is audited; no audit entry carries them
    entries = (
        await session.execute(
            select(AuditEntry.action, AuditEntry.principal_name, AuditEntry.detail).where(
                AuditEntry.resource_id == made["id"]
            )
        )
    ).all()
    reads = sorted(
        name for action, name, _ in entries if action == "counselling_session.read_notes"
    )
    assert reads == ["admin", "counsel"]
    every = (await session.execute(select(AuditEntry.detail))).scalars().all()
    assert all(NOTES not in json.dumps(d, ensure_ascii=False) for d in every)
    # and the database holds them only as ciphertext
    stored = (
        await session.execute(
            select(CounsellingSession.confidential_notes_enc).where(
                CounsellingSession.id == made["id"]
            )
        )
    ).scalar_one()
    assert stored is not None
    assert NOTES.encode() not in bytes(stored)


async def test_an_abuse_disclosure_opens_the_counsellors_draft_report(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    a, b = await resident(session, settings), await resident(session, settings)
    made = await _session(
        client,
        auth,
        base,
        [a.id, b.id],
        risk="abuse_disclosure",
        risk_child_ids=[str(b.id)],
        risk_note="孩子称回家探亲时被亲属殴打",
    )
    assert len(made["incident_ids"]) == 1  # type: ignore[arg-type]
    incident_id = made["incident_ids"][0]  # type: ignore[index]
    r = await client.get(f"/api/v1/incidents/{incident_id}", headers=auth("counsel"))
    assert r.status_code == 200, r.text
    incident = r.json()
    assert incident["status"] == "draft"
    assert incident["child"]["id"] == str(b.id)
    assert incident["reporter_id"] == str(base.users["counsel"])
    assert incident["description"] == "孩子称回家探亲时被亲属殴打"
    assert NOTES not in r.text
    r = await client.get("/api/v1/incidents", headers=auth("counsel"))
    assert [i["id"] for i in r.json()["items"]] == [incident_id]
    # a one-to-one disclosure concerns its child without naming it; self-harm opens no report
    one = await _session(client, auth, base, [a.id], risk="abuse_disclosure")
    assert len(one["incident_ids"]) == 1  # type: ignore[arg-type]
    harm = await _session(client, auth, base, [a.id], risk="self_harm")
    assert harm["incident_ids"] == []
    assert harm["risk_child_ids"] == [str(a.id)]


async def test_concurrent_retries_store_one_session_and_one_draft(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    committed_engine: AsyncEngine,
    settings: Settings,
) -> None:
    async with committed_engine.begin() as conn:
        child = await insert_child(conn, settings, placement="institution")
    body = counselling(base.users["counsel"], [child], risk="abuse_disclosure")
    answers = await asyncio.gather(
        *(committed_client.post(SESSIONS, json=body, headers=auth("counsel")) for _ in range(8))
    )
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.text for a in answers}) == 1
    async with committed_engine.connect() as conn:
        drafts = await conn.scalar(
            select(func.count()).select_from(Incident).where(Incident.child_id == child)
        )
    assert drafts == 1
