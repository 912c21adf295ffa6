"""Who reads and writes documents: every route × every role and the agencies, and for each kind
of record, the record's own access clause (outside it: 404). Every read is audited."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEntry
from tests.casework.factories import open_case
from tests.conftest import AGENCY_CLIENTS, USERS, AuthHeaders
from tests.documents.factories import API, begin, chunk, form, jpeg, stored, upload
from tests.incidents.factories import make_child as make_ledger_child
from tests.incidents.factories import report
from tests.protection.factories import create as create_intake
from tests.visits.factories import make_child, visit_body

# A dispersed child of VILLAGE1: its readers (the district, the town's supervisor, the village's
# director); its writers are those readers who keep records (not the leader, not the auditor).
CHILD_READERS = {"admin", "leader", "auditor", "sup1", "dir1"}
CHILD_WRITERS = {"admin", "sup1", "dir1"}
# The city's roles keep no one's records: every write is refused them outright.
READ_ONLY = {"leader", "auditor", "city_admin", "city_viewer"}

Call = Callable[
    [httpx.AsyncClient, AuthHeaders, uuid.UUID, dict[str, str]], Awaitable[httpx.Response]
]


async def _upload(
    c: httpx.AsyncClient, a: AuthHeaders, child: uuid.UUID, h: dict[str, str]
) -> httpx.Response:
    return await upload(c, h, form("child", child), jpeg())


async def _begun(c: httpx.AsyncClient, a: AuthHeaders, child: uuid.UUID) -> str:
    fields = form("child", child)
    assert (await begin(c, a("admin"), fields, 100)).status_code == 201
    return fields["id"]


async def _append(
    c: httpx.AsyncClient, a: AuthHeaders, child: uuid.UUID, h: dict[str, str]
) -> httpx.Response:
    return await chunk(c, h, await _begun(c, a, child), 0, jpeg()[:50])


async def _offset(
    c: httpx.AsyncClient, a: AuthHeaders, child: uuid.UUID, h: dict[str, str]
) -> httpx.Response:
    return await c.head(f"{API}/{await _begun(c, a, child)}/upload", headers=h)


async def _list(
    c: httpx.AsyncClient, a: AuthHeaders, child: uuid.UUID, h: dict[str, str]
) -> httpx.Response:
    await stored(c, a, "child", child)
    return await c.get(API, params={"record_type": "child", "record_id": str(child)}, headers=h)


def _get(suffix: str) -> Call:
    async def call(
        c: httpx.AsyncClient, a: AuthHeaders, child: uuid.UUID, h: dict[str, str]
    ) -> httpx.Response:
        doc = await stored(c, a, "child", child)
        return await c.get(f"{API}/{doc['id']}{suffix}", headers=h)

    return call


# route: (call, {user: status}); users not named get 404 (the record is not theirs)
ROUTES: dict[str, tuple[Call, Mapping[str, int]]] = {
    "POST /documents": (_upload, dict.fromkeys(CHILD_WRITERS, 201) | dict.fromkeys(READ_ONLY, 403)),
    "PATCH /documents/{id}/upload": (_append, {"admin": 200} | dict.fromkeys(READ_ONLY, 403)),
    "HEAD /documents/{id}/upload": (_offset, {"admin": 200} | dict.fromkeys(READ_ONLY, 403)),
    "GET /documents": (_list, dict.fromkeys(CHILD_READERS, 200)),
    "GET /documents/{id}": (_get(""), dict.fromkeys(CHILD_READERS, 200)),
    "GET /documents/{id}/content": (_get("/content"), dict.fromkeys(CHILD_READERS, 200)),
    "GET /documents/{id}/thumbnail": (_get("/thumbnail"), dict.fromkeys(CHILD_READERS, 200)),
}
AGENCY_WRITES = {"POST /documents", "PATCH /documents/{id}/upload", "HEAD /documents/{id}/upload"}


@pytest.mark.parametrize("route", list(ROUTES))
async def test_every_route_for_every_role_and_agency(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    route: str,
) -> None:
    call, allowed = ROUTES[route]
    child = await make_child(session, settings)
    for user in USERS:
        r = await call(client, auth, child, auth(user))
        assert r.status_code == allowed.get(user, 404), (route, user, r.text)
    for agency in AGENCY_CLIENTS:
        r = await call(client, auth, child, auth(agency=agency))
        expected = 403 if route in AGENCY_WRITES else 404
        assert r.status_code == expected, (route, agency, r.text)


async def _can_read(client: httpx.AsyncClient, h: dict[str, str], doc_id: str) -> bool:
    r = await client.get(f"{API}/{doc_id}", headers=h)
    assert r.status_code in (200, 404), r.text
    return r.status_code == 200


async def test_a_visit_photo_is_read_by_whoever_reads_the_visit(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    visit = visit_body(child)
    r = await client.post("/api/v1/visits", json=visit, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    doc = await stored(client, auth, "visit", visit["id"], user="dir1", kind="visit_photo")
    assert doc["record_type"] == "visit"
    assert await _can_read(client, auth("sup1"), doc["id"])
    assert not await _can_read(client, auth("dir2"), doc["id"])
    assert not await _can_read(client, auth("sup2"), doc["id"])
    r = await upload(client, auth("dir2"), form("visit", visit["id"], kind="visit_photo"), jpeg())
    assert r.status_code == 404


async def test_the_police_read_the_evidence_of_their_incidents_only(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_ledger_child(session, settings)
    r = await client.post("/api/v1/incidents", json=report(child.id), headers=auth("dir1"))
    assert r.status_code == 201, r.text
    incident = r.json()["id"]
    evidence = await stored(client, auth, "incident", incident, user="dir1")
    consent = await stored(client, auth, "incident", incident, user="dir1", kind="consent")
    # Its reporter, the district; not another village.
    assert await _can_read(client, auth("dir1"), consent["id"])
    assert await _can_read(client, auth("admin"), consent["id"])
    assert not await _can_read(client, auth("dir2"), evidence["id"])
    # The police hold the referral: the evidence, projected (no uploader, no file name).
    police = auth(agency="police")
    seen = await client.get(f"{API}/{evidence['id']}", headers=police)
    assert seen.status_code == 200
    assert seen.json()["uploaded_by"] is None
    assert seen.json()["file_name"] is None
    got = await client.get(f"{API}/{evidence['id']}/content", headers=police)
    assert got.status_code == 200
    assert got.content[:3] == b"\xff\xd8\xff"
    assert not await _can_read(client, police, consent["id"])
    listed = await client.get(
        API, params={"record_type": "incident", "record_id": incident}, headers=police
    )
    assert [d["id"] for d in listed.json()["items"]] == [evidence["id"]]
    # No referral: the health commission reaches nothing of it.
    health = auth(agency="health")
    assert not await _can_read(client, health, evidence["id"])
    r = await client.get(
        API, params={"record_type": "incident", "record_id": incident}, headers=health
    )
    assert r.status_code == 404
    # Nor a child's own documents, whoever the agency.
    own = await stored(client, auth, "child", child.id)
    assert not await _can_read(client, police, own["id"])


async def test_intake_documents_stay_in_the_centre_and_the_district(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    intake = await create_intake(client, auth)
    doc = await stored(client, auth, "intake", intake["id"], user="protect", kind="decision")
    for user in ("institute", "protect", "admin", "leader", "auditor"):
        assert await _can_read(client, auth(user), doc["id"]), user
    for user in ("dir1", "sup1", "counsel", "caseworker"):
        assert not await _can_read(client, auth(user), doc["id"]), user
    # The police did not announce this intake.
    assert not await _can_read(client, auth(agency="police"), doc["id"])
    r = await upload(client, auth("dir1"), form("intake", intake["id"]), jpeg())
    assert r.status_code == 404


async def test_case_documents_are_read_by_the_cases_agency(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_ledger_child(session, settings)
    case = await open_case(client, auth, child.id)
    doc = await stored(client, auth, "case", case["id"], user="caseworker", kind="consent")
    assert await _can_read(client, auth("caseworker"), doc["id"])
    assert await _can_read(client, auth("admin"), doc["id"])
    assert not await _can_read(client, auth("dir1"), doc["id"])
    assert not await _can_read(client, auth("counsel"), doc["id"])


async def test_every_read_is_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    doc = await stored(client, auth, "child", child)
    h = auth("sup1")
    await client.get(f"{API}/{doc['id']}", headers=h)
    await client.get(f"{API}/{doc['id']}/content", headers=h)
    await client.get(f"{API}/{doc['id']}/thumbnail", headers=h)
    await client.get(API, params={"record_type": "child", "record_id": str(child)}, headers=h)
    rows = (
        await session.execute(
            select(AuditEntry.action, AuditEntry.resource_id, AuditEntry.principal_name).where(
                AuditEntry.resource_type == "document", AuditEntry.action != "document.create"
            )
        )
    ).all()
    assert sorted(a for a, _, _ in rows) == [
        "document.content",
        "document.list",
        "document.read",
        "document.thumbnail",
    ]
    assert {r for _, r, _ in rows} == {doc["id"], None}
