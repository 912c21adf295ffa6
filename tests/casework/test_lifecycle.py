"""A case from opening to closure: assessment, plan, services, reviews, the 409s of wrong moves."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEntry, Incident
from tests.casework.factories import (
    ASSESSMENT,
    BASE_AGENCY,
    case_in_service,
    child_on_assistance,
    child_without_assistance,
    open_case,
    plan,
    service,
)
from tests.conftest import AuthHeaders


async def test_a_case_runs_from_opening_to_closure(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await child_on_assistance(session, settings)
    worker = auth("caseworker")
    case = await open_case(client, auth, child.id)
    assert case["status"] == "open"
    assert case["assistance"] == [{"kind": "living_allowance", "category": "orphan"}]
    assert case["child"]["name"] == child.name
    assert case["child"]["id_number"].count("*") >= 8  # masked
    cid = case["id"]

    # a plan before the assessment: 409, nothing written
    r = await client.post(f"/api/v1/cases/{cid}/plan", json=plan(), headers=worker)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "case_state_refused"
    assert r.json()["status"] == "open"

    r = await client.post(f"/api/v1/cases/{cid}/assessment", json=ASSESSMENT, headers=worker)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "assessed"
    assert r.json()["assessment"]["safety"] == {"score": 3, "notes": "safety 评估"}

    # a review before the plan: 409
    r = await client.post(
        f"/api/v1/cases/{cid}/reviews",
        json={"reviewed_on": "2026-06-15", "progress": []},
        headers=worker,
    )
    assert r.status_code in (409, 422)

    r = await client.post(f"/api/v1/cases/{cid}/plan", json=plan(), headers=worker)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "in_service"
    assert body["next_review_due"] == "2026-09-15"  # three months after the plan
    goals = body["goals"]
    assert [g["domain"] for g in goals] == ["education", "psychological"]

    r = await client.post(
        f"/api/v1/cases/{cid}/services",
        json=service(goal_id=goals[0]["id"], minutes=90),
        headers=worker,
    )
    assert r.status_code == 201, r.text
    assert r.json()["goal_id"] == goals[0]["id"]
    assert r.json()["incident_id"] is None

    review = {
        "reviewed_on": "2026-06-15",
        "progress": [
            {"goal_id": goals[0]["id"], "progress": "in_progress", "note": "已复学"},
            {"goal_id": goals[1]["id"], "progress": "not_started"},
        ],
        "summary": "进展良好",
    }
    r = await client.post(f"/api/v1/cases/{cid}/reviews", json=review, headers=worker)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["next_review_due"] == "2026-09-15"
    assert body["goals"][0]["progress"] == "in_progress"
    assert body["minutes_delivered"] == 90
    assert len(body["reviews"]) == 1

    r = await client.post(
        f"/api/v1/cases/{cid}/close",
        json={"closed_on": "2026-06-15", "outcome": "goals_met", "note": "目标达成"},
        headers=worker,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "closed"
    assert body["outcome"] == "goals_met"
    assert [s["to_status"] for s in body["steps"]] == ["open", "assessed", "in_service", "closed"]

    # a closed case takes nothing more: 409 each time
    for path, payload in (
        ("reviews", review),
        ("services", service()),
        ("assessment", ASSESSMENT),
        ("plan", plan()),
        ("close", {"closed_on": "2026-06-15", "outcome": "other"}),
    ):
        r = await client.post(f"/api/v1/cases/{cid}/{path}", json=payload, headers=worker)
        assert r.status_code == 409, (path, r.text)
        assert r.json()["status"] == "closed"

    actions = (
        (await session.execute(select(AuditEntry.action).where(AuditEntry.resource_id == cid)))
        .scalars()
        .all()
    )
    assert {"case.create", "case.assess", "case.plan", "case.review", "case.close"} <= set(actions)


async def test_a_review_names_every_current_goal_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await child_on_assistance(session, settings)
    worker = auth("caseworker")
    case = await case_in_service(client, auth, child.id, worker)
    goals = case["goals"]
    r = await client.post(
        f"/api/v1/cases/{case['id']}/reviews",
        json={
            "reviewed_on": "2026-06-15",
            "progress": [
                {"goal_id": goals[0]["id"], "progress": "achieved"},
                {"goal_id": str(uuid.uuid4()), "progress": "achieved"},
            ],
        },
        headers=worker,
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"progress[1].goal_id", "progress"}
    got = await client.get(f"/api/v1/cases/{case['id']}", headers=worker)
    assert got.json()["reviews"] == []
    assert got.json()["goals"][0]["progress"] == "not_started"


async def test_a_revised_plan_keeps_named_goals_and_retires_the_others(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await child_on_assistance(session, settings)
    worker = auth("caseworker")
    case = await case_in_service(client, auth, child.id, worker)
    keep = case["goals"][0]
    r = await client.post(
        f"/api/v1/cases/{case['id']}/plan",
        json=plan(
            set_on="2026-06-15",
            goals=[
                {k: keep[k] for k in ("id", "domain", "title", "planned_services")},
                {
                    "domain": "family_relations",
                    "title": "改善亲子关系",
                    "planned_services": [{"description": "家庭会谈", "mode": "home_visit"}],
                },
            ],
        ),
        headers=worker,
    )
    assert r.status_code == 200, r.text
    goals = {g["title"]: g for g in r.json()["goals"]}
    assert goals["按时上学"]["id"] == keep["id"]
    assert not goals["按时上学"]["retired"]
    assert goals["情绪稳定"]["retired"]
    assert not goals["改善亲子关系"]["retired"]
    assert r.json()["next_review_due"] == "2026-09-15"  # a revision keeps the review date
    # a service may not serve a retired goal
    r = await client.post(
        f"/api/v1/cases/{case['id']}/services",
        json=service(goal_id=goals["情绪稳定"]["id"]),
        headers=worker,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "goal_id"


async def test_a_child_on_no_social_assistance_needs_the_districts_override(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await child_without_assistance(session, settings)
    body = {
        "id": str(uuid.uuid4()),
        "child_id": str(child.id),
        "agency_id": str(BASE_AGENCY),
        "reason": "家庭变故",
    }
    r = await client.post("/api/v1/cases", json=body, headers=auth("admin", lang="en"))
    assert r.status_code == 422
    err = r.json()["errors"]
    assert err[0]["field"] == "child_id"
    assert "social assistance" in err[0]["message"]
    r = await client.post(
        "/api/v1/cases",
        json=body | {"override_reason": "家庭突遭变故，经局务会研究"},
        headers=auth("admin"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["assistance"] == []
    assert r.json()["override_reason"] == "家庭突遭变故，经局务会研究"


async def test_household_assistance_counts_as_social_assistance(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await child_without_assistance(session, settings)
    child.household_assistance = "subsistence"
    await session.commit()
    case = await open_case(client, auth, child.id)
    assert case["assistance"] == [{"kind": "household_assistance", "programme": "subsistence"}]


async def test_one_open_case_per_child_and_the_same_id_replays(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await child_on_assistance(session, settings)
    body = {
        "id": str(uuid.uuid4()),
        "child_id": str(child.id),
        "agency_id": str(BASE_AGENCY),
        "reason": "学业困难",
    }
    first = await client.post("/api/v1/cases", json=body, headers=auth("admin"))
    assert first.status_code == 201
    again = await client.post("/api/v1/cases", json=body, headers=auth("admin"))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    changed = await client.post(
        "/api/v1/cases", json=body | {"reason": "别的理由"}, headers=auth("admin")
    )
    assert changed.status_code == 409
    other = await client.post(
        "/api/v1/cases", json=body | {"id": str(uuid.uuid4())}, headers=auth("admin")
    )
    assert other.status_code == 409
    assert other.json()["code"] == "open_case_exists"
    assert other.json()["open_case_id"] == first.json()["id"]


async def test_a_disclosure_opens_a_draft_mandatory_report(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await child_on_assistance(session, settings)
    worker = auth("caseworker")
    case = await case_in_service(client, auth, child.id, worker)
    r = await client.post(
        f"/api/v1/cases/{case['id']}/services",
        json=service(disclosure=True, disclosure_note="孩子说被继父打"),
        headers=worker,
    )
    assert r.status_code == 201, r.text
    incident_id = r.json()["incident_id"]
    assert incident_id is not None
    incident = await session.get(Incident, uuid.UUID(incident_id))
    assert incident is not None
    assert incident.status == "draft"
    assert incident.child_id == child.id
    assert incident.description == "孩子说被继父打"


async def test_service_records_replay_and_minutes_must_be_positive(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await child_on_assistance(session, settings)
    worker = auth("caseworker")
    case = await case_in_service(client, auth, child.id, worker)
    url = f"/api/v1/cases/{case['id']}/services"
    body = service()
    assert (await client.post(url, json=body, headers=worker)).status_code == 201
    again = await client.post(url, json=body, headers=worker)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert (await client.post(url, json=body | {"minutes": 30}, headers=worker)).status_code == 409
    listed = await client.get(url, headers=worker)
    assert [s["id"] for s in listed.json()["items"]] == [body["id"]]
    for minutes in (0, -5, 1441, "60", 1.5):
        r = await client.post(url, json=service(minutes=minutes), headers=worker)
        assert r.status_code == 422, minutes
        assert r.json()["errors"][0]["field"] == "minutes"
