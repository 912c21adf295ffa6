"""Every institute-care route × every role: who gets 2xx, who 403, and 404 for a child who is
not a resident (rule we set; app/institution/auth.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.institution.router import router
from tests.conftest import AGENCY_CLIENTS, USERS, AuthHeaders, Base
from tests.incidents.factories import make_child
from tests.institution.factories import (
    ACTIVITIES,
    CARE_PLAN,
    CARE_RECORDS,
    REPORTS,
    SESSIONS,
    TUTORING,
    VOLUNTEERS,
    activity,
    care_record,
    counselling,
    plan,
    resident,
    tutoring,
    volunteer,
)

READERS = {"admin", "leader", "auditor", "institute", "admin_b"}
WRITERS = {"admin", "institute", "admin_b"}
COUNSELLING_WRITERS = {"admin", "counsel", "admin_b"}
COUNSELLING_READERS = READERS | {"counsel"}


@dataclass
class World:
    child: uuid.UUID
    dispersed: uuid.UUID
    counsellor: uuid.UUID
    session: str
    volunteer: str


@dataclass(frozen=True)
class Case:
    method: str
    template: str
    allowed: set[str]
    path: Callable[[World], str]
    body: Callable[[World], Any] | None = None
    headers: dict[str, str] | None = None


CASES = [
    Case("GET", "/api/v1/children/{child_id}/care-plan", READERS,
         lambda w: CARE_PLAN.format(w.child)),
    Case("PUT", "/api/v1/children/{child_id}/care-plan", WRITERS,
         lambda w: CARE_PLAN.format(w.child), lambda w: plan(), {"If-Match": "*"}),
    Case("POST", "/api/v1/institution/care-records", WRITERS,
         lambda w: CARE_RECORDS, lambda w: care_record(w.child)),
    Case("GET", "/api/v1/institution/care-records", READERS, lambda w: CARE_RECORDS),
    Case("POST", "/api/v1/institution/counselling-sessions", COUNSELLING_WRITERS,
         lambda w: SESSIONS, lambda w: counselling(w.counsellor, [w.child])),
    Case("GET", "/api/v1/institution/counselling-sessions", COUNSELLING_READERS,
         lambda w: SESSIONS),
    Case("GET", "/api/v1/institution/counselling-sessions/{session_id}", COUNSELLING_READERS,
         lambda w: f"{SESSIONS}/{w.session}"),
    Case("POST", "/api/v1/institution/activities", WRITERS,
         lambda w: ACTIVITIES, lambda w: activity([w.child])),
    Case("GET", "/api/v1/institution/activities", READERS, lambda w: ACTIVITIES),
    Case("POST", "/api/v1/volunteers", WRITERS, lambda w: VOLUNTEERS, lambda w: volunteer()),
    Case("GET", "/api/v1/volunteers", READERS, lambda w: VOLUNTEERS),
    Case("GET", "/api/v1/volunteers/{volunteer_id}", READERS,
         lambda w: f"{VOLUNTEERS}/{w.volunteer}"),
    Case("PATCH", "/api/v1/volunteers/{volunteer_id}", WRITERS,
         lambda w: f"{VOLUNTEERS}/{w.volunteer}", lambda w: {"phone": "13900000000"},
         {"If-Match": "*"}),
    Case("POST", "/api/v1/institution/tutoring-sessions", WRITERS,
         lambda w: TUTORING, lambda w: tutoring([w.volunteer], [w.child])),
    Case("GET", "/api/v1/institution/tutoring-sessions", READERS, lambda w: TUTORING),
    Case("GET", "/api/v1/institution/reports/{month}", READERS,
         lambda w: REPORTS.format("2026-06")),
    Case("GET", "/api/v1/institution/reports/{month}/export", READERS,
         lambda w: REPORTS.format("2026-06") + "/export"),
]  # fmt: skip


# The other district's admin passes the role check but reaches none of DISTRICT's institute:
# DISTRICT's resident, session and volunteer are a 404 by id (a resident named in a body: 422),
# its lists and its report are its own district's (200, without DISTRICT's rows); a volunteer
# it registers is its own. (sup_b, dir_b, protect_b and the city's roles: 403 by role.)
OTHER_DISTRICT = "admin_b"
OTHER_DISTRICT_ANSWERS = {
    ("GET", "/api/v1/children/{child_id}/care-plan"): 404,
    ("PUT", "/api/v1/children/{child_id}/care-plan"): 404,
    ("POST", "/api/v1/institution/care-records"): 422,
    ("POST", "/api/v1/institution/counselling-sessions"): 422,
    ("GET", "/api/v1/institution/counselling-sessions/{session_id}"): 404,
    ("POST", "/api/v1/institution/activities"): 422,
    ("GET", "/api/v1/volunteers/{volunteer_id}"): 404,
    ("PATCH", "/api/v1/volunteers/{volunteer_id}"): 404,
    ("POST", "/api/v1/institution/tutoring-sessions"): 422,
}


def _template(path: str) -> str:
    return path.replace(":uuid", "")


def test_every_route_of_the_domain_is_in_the_table() -> None:
    routes = {
        (method, _template(route.path))  # type: ignore[attr-defined]
        for route in router.routes
        for method in route.methods  # type: ignore[attr-defined]
    }
    assert routes == {(c.method, c.template) for c in CASES}


async def _world(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession,
    settings: Settings,
) -> World:  # fmt: skip
    child = await resident(session, settings)
    dispersed = await make_child(session, settings)
    r = await client.put(CARE_PLAN.format(child.id), json=plan(), headers=auth("admin"))
    assert r.status_code == 201, r.text
    r = await client.post(
        SESSIONS, json=counselling(base.users["counsel"], [child.id]), headers=auth("counsel")
    )
    assert r.status_code == 201, r.text
    made = r.json()["id"]
    r = await client.post(VOLUNTEERS, json=volunteer(), headers=auth("admin"))
    return World(child.id, dispersed.id, base.users["counsel"], made, r.json()["id"])


async def _call(
    client: httpx.AsyncClient, case: Case, w: World, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(
        case.method,
        case.path(w),
        json=None if case.body is None else case.body(w),
        headers=headers | (case.headers or {}),
    )


async def test_every_route_by_every_role(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    w = await _world(client, auth, base, session, settings)
    wrong = []
    for case in CASES:
        for user in USERS:
            r = await _call(client, case, w, auth(user))
            if user == OTHER_DISTRICT and user in case.allowed:
                expected = OTHER_DISTRICT_ANSWERS.get((case.method, case.template))
                if expected is not None:
                    if r.status_code != expected:
                        wrong.append(
                            (case.method, case.template, user, r.status_code, r.text[:200])
                        )
                    continue
            ok = r.status_code in (200, 201)
            if (user in case.allowed) != ok or (not ok and r.status_code != 403):
                wrong.append((case.method, case.template, user, r.status_code, r.text[:200]))
        for agency in AGENCY_CLIENTS:
            r = await _call(client, case, w, auth(agency=agency))
            if r.status_code != 403:
                wrong.append((case.method, case.template, agency, r.status_code, ""))
    assert wrong == []


async def test_a_child_who_is_not_a_resident_is_404_or_named_422(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    w = await _world(client, auth, base, session, settings)
    for user in READERS:
        r = await client.get(CARE_PLAN.format(w.dispersed), headers=auth(user))
        assert r.status_code == 404, user
    for user in WRITERS:
        r = await client.put(CARE_PLAN.format(w.dispersed), json=plan(), headers=auth(user))
        assert r.status_code == 404, user
        r = await client.post(CARE_RECORDS, json=care_record(w.dispersed), headers=auth(user))
        assert r.status_code == 422, user
    r = await client.post(
        SESSIONS, json=counselling(w.counsellor, [w.dispersed]), headers=auth("counsel")
    )
    assert r.status_code == 422
    r = await client.get(f"{SESSIONS}/{uuid.uuid4()}", headers=auth("counsel"))
    assert r.status_code == 404
    r = await client.get(f"{VOLUNTEERS}/{uuid.uuid4()}", headers=auth("institute"))
    assert r.status_code == 404
