"""The request context: one dependency for a request, `for_job` for a job; the audit log and a
visit's draft incident take it explicitly (nothing reads the request from the session)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.config import Settings
from app.kit import audit
from app.kit.clock import FixedClock
from app.kit.context import RequestContext, RequestCtx
from app.models import Area, AuditEntry, Incident, User
from app.visits import service as visits
from app.visits.schemas import VisitCreate
from tests.conftest import NOW, AuthHeaders
from tests.visits.factories import make_child, visit_body


async def _principal(session: AsyncSession, username: str) -> Principal:
    row = (
        await session.execute(
            select(User.id, User.role, User.area_code, Area.path, Area.level)
            .join(Area, Area.code == User.area_code)
            .where(User.username == username)
        )
    ).one()
    return Principal(
        kind="user",
        id=row.id,
        name=username,
        role=row.role,
        area_code=row.area_code,
        area_path=row.path,
        area_level=row.level,
    )


async def test_one_dependency_builds_the_context_of_a_request(
    app: FastAPI, client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    async def probe(ctx: RequestCtx) -> dict[str, object]:
        return {
            "who": ctx.actor.name,
            "role": ctx.actor.role,
            "language": ctx.language,
            "now": ctx.now.isoformat(),
            "today": ctx.today.isoformat(),
            "request_id": ctx.request_id,
            "has_keys": bool(ctx.keyring.keys),
            "client": ctx.client_addr,
        }

    app.router.add_api_route("/api/v1/test-context-probe", probe, methods=["GET"])
    r = await client.get(
        "/api/v1/test-context-probe",
        headers=auth("dir1") | {"Accept-Language": "en-GB,zh;q=0.5", "X-Request-ID": "probe-1"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["who"] == "dir1"
    assert body["role"] == "village_director"
    assert body["language"] == "en"
    assert body["now"] == NOW.isoformat()
    assert body["today"] == "2026-06-15"
    assert body["request_id"] == r.headers["x-request-id"]
    assert body["has_keys"] is True
    zh = await client.get("/api/v1/test-context-probe", headers=auth("dir1"))
    assert zh.json()["language"] == "zh"
    # no token: the dependency answers 401 like any authenticated route
    anonymous = await client.get("/api/v1/test-context-probe")
    assert anonymous.status_code == 401


def test_a_job_builds_the_same_context(settings: Settings, clock: FixedClock) -> None:
    ctx = RequestContext.for_job(settings, clock, job_id=42)
    assert ctx.principal is None
    assert ctx.request_id == "job:42"
    assert ctx.client_addr is None
    assert ctx.now == NOW
    assert ctx.language == "zh"
    assert ctx.keyring.decrypt(ctx.keyring.encrypt("110101201001011234")) == "110101201001011234"
    assert ctx.text("儿童", "child") == "儿童"


async def test_a_visit_recorded_by_a_job_opens_its_draft_incident(  # the app wires the hook
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    client: httpx.AsyncClient,
    auth: AuthHeaders,
) -> None:
    child = await make_child(session, settings)
    director = await _principal(session, "dir1")
    ctx = RequestContext.for_job(settings, clock, principal=director, job_id=7)
    body = VisitCreate.model_validate(
        visit_body(child, suspected_infringement=True, notes="发现多处淤青，疑似遭受殴打")
    )

    outcome, out = await visits.create_visit(session, ctx, body)
    await audit.flush(session, now=clock.now())
    await session.commit()

    assert outcome == "created"
    assert out.incident_id is not None
    incident = await session.get(Incident, out.incident_id)
    assert incident is not None
    assert incident.status == "draft"
    # the director who recorded it (through the job) completes it, as after a phone's upload
    r = await client.get(f"/api/v1/incidents/{out.incident_id}", headers=auth("dir1"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "draft"
    assert r.json()["visit_id"] == str(body.id)
    # the audit entries name the director and the job
    entries = (
        await session.execute(
            select(AuditEntry).where(
                AuditEntry.resource_id.in_([str(out.incident_id), str(body.id)]),
                AuditEntry.action.in_(["incident.create", "visit.suspected_infringement"]),
            )
        )
    ).scalars()
    by_action = {e.action: e for e in entries}
    assert set(by_action) == {"incident.create", "visit.suspected_infringement"}
    assert {e.principal_id for e in by_action.values()} == {str(director.id)}
    # an entry recorded with the context carries the job as its request
    assert by_action["visit.suspected_infringement"].request_id == "job:7"
