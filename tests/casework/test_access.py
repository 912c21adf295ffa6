"""Who may call each route of case work and screening referrals: every route × every role and
agency; a case worker's jurisdiction (their agency's cases only, 404 elsewhere, no ledger)."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.casework.factories import (
    ASSESSMENT,
    BASE_AGENCY,
    case_in_service,
    child_on_assistance,
    make_agency,
    make_case_worker,
    plan,
    service,
)
from tests.casework.test_screening_referrals import out_of_school, records
from tests.conftest import AGENCY_CLIENTS, USERS, AuthHeaders

DISTRICT = {"admin", "leader", "auditor"}
STAFF = set(USERS) | {"other_worker"}
# A city's second district and the city's offices: the screening referrals' routes are the
# screening domain's (its own tests sweep them); here only case work's.
OTHER_DISTRICT_AND_CITY = {"admin_b", "sup_b", "dir_b", "protect_b", "city_admin", "city_viewer"}
CALLERS = sorted(STAFF) + [f"agency:{a}" for a in AGENCY_CLIENTS]


def _expect(
    allowed: dict[str, int], hidden: frozenset[str] | set[str] = frozenset()
) -> Callable[[str], int]:
    """Allowed callers get their status, `hidden` ones 404 (outside their jurisdiction), the
    rest 403."""

    def status(caller: str) -> int:
        if caller in allowed:
            return allowed[caller]
        return 404 if caller in hidden else 403

    return status


async def test_every_route_by_every_caller(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    other_agency = await make_agency(session)
    other_worker = await make_case_worker(session, other_agency.id)

    def headers(caller: str) -> dict[str, str]:
        if caller.startswith("agency:"):
            return auth(agency=caller.split(":", 1)[1])
        if caller == "other_worker":
            return auth(user_id=other_worker)
        return auth(caller)

    child = await child_on_assistance(session, settings)
    worker = auth("caseworker")
    case = await case_in_service(client, auth, child.id, worker)
    cid = case["id"]
    goal = case["goals"][0]["id"]
    [rec] = await records(session, settings, [out_of_school()])
    r = await client.post(
        "/api/v1/screening/referrals",
        json={"record_ids": [str(rec.id)], "agency": "education", "finding": "out_of_school"},
        headers=auth("admin"),
    )
    ref = r.json()["created"][0]["id"]

    def new_agency() -> dict[str, Any]:
        return {
            "name": f"机构{uuid.uuid4().hex[:8]}",
            "contract_from": "2026-01-01",
            "contract_to": "2026-12-31",
            "hours_bought": 10,
            "hourly_rate": "100.00",
        }

    async def new_case_body() -> dict[str, Any]:
        c = await child_on_assistance(session, settings)
        return {
            "id": str(uuid.uuid4()),
            "child_id": str(c.id),
            "agency_id": str(BASE_AGENCY),
            "reason": "测试",
        }

    readers = dict.fromkeys(DISTRICT, 200)
    own = readers | {"caseworker": 200}
    # B's admin: their own district's agencies and cases (none of DISTRICT's: a 404)
    b_lists = {"admin_b": 200}
    b_hidden = {"other_worker", "admin_b"}
    agency_url = f"/api/v1/casework/agencies/{BASE_AGENCY}"
    review = {
        "reviewed_on": "2026-06-15",
        "progress": [{"goal_id": goal, "progress": "in_progress"}],
    }
    plan_again = plan(
        goals=[
            {
                "id": goal,
                "domain": "education",
                "title": "按时上学",
                "planned_services": [{"description": "辅导", "mode": "home_visit"}],
            }
        ]
    )
    routes: list[tuple[str, str, Any, Callable[[str], int]]] = [
        ("POST", "/api/v1/casework/agencies", new_agency, _expect({"admin": 201, "admin_b": 201})),
        ("GET", "/api/v1/casework/agencies", None, _expect(readers | b_lists)),
        ("GET", agency_url, None, _expect(own, b_hidden)),
        ("GET", f"{agency_url}/months/2026-06", None, _expect(own, b_hidden)),
        ("GET", f"{agency_url}/months/2026-06/export", None, _expect(own, b_hidden)),
        # B's admin: neither DISTRICT's child nor its agency exists for them
        ("POST", "/api/v1/cases", new_case_body, _expect({"admin": 201, "admin_b": 422})),
        ("GET", "/api/v1/cases", None, _expect(own | {"other_worker": 200} | b_lists)),
        ("GET", f"/api/v1/cases/{cid}", None, _expect(own, b_hidden)),
        (
            "POST",
            f"/api/v1/cases/{cid}/assessment",
            ASSESSMENT,
            _expect({"caseworker": 200}, {"other_worker"}),
        ),
        (
            "POST",
            f"/api/v1/cases/{cid}/plan",
            plan_again,
            _expect({"caseworker": 200}, {"other_worker"}),
        ),
        (
            "POST",
            f"/api/v1/cases/{cid}/services",
            lambda: service(),
            _expect({"caseworker": 201}, {"other_worker"}),
        ),
        ("GET", f"/api/v1/cases/{cid}/services", None, _expect(own, b_hidden)),
        (
            "POST",
            f"/api/v1/cases/{cid}/reviews",
            review,
            _expect({"caseworker": 201}, {"other_worker"}),
        ),
        ("GET", "/api/v1/screening/referrals/stats", None, _expect(readers)),
        (
            "GET",
            "/api/v1/screening/referrals",
            None,
            _expect(readers | {f"agency:{a}": 200 for a in AGENCY_CLIENTS}),
        ),
        (
            "GET",
            f"/api/v1/screening/referrals/{ref}",
            None,
            _expect(
                readers | {"agency:education": 200},
                {f"agency:{a}" for a in AGENCY_CLIENTS if a != "education"},
            ),
        ),
        (
            "POST",
            f"/api/v1/screening/referrals/{ref}/acknowledge",
            {},
            _expect(
                {"agency:education": 200},
                {f"agency:{a}" for a in AGENCY_CLIENTS if a != "education"},
            ),
        ),
        (
            "POST",
            f"/api/v1/screening/referrals/{ref}/outcome",
            {"outcome": "other", "note": "测试"},
            _expect(
                {"agency:education": 200},
                {f"agency:{a}" for a in AGENCY_CLIENTS if a != "education"},
            ),
        ),
        (
            "POST",
            "/api/v1/screening/referrals",
            lambda: {"filter": {}, "agency": "education", "finding": "out_of_school"},
            _expect({"admin": 201}),
        ),
        (
            "POST",
            f"/api/v1/cases/{cid}/close",
            {"closed_on": "2026-06-15", "outcome": "other"},
            # both may close (the case worker does in test_lifecycle); the district closes it
            # first here, so the case worker then finds it closed
            _expect({"admin": 200, "caseworker": 409}, b_hidden),
        ),
    ]
    wrong = []
    for method, path, body, expect in routes:
        # the refused first, then the allowed (a write changes what comes after it)
        order = sorted(CALLERS, key=lambda c: (expect(c) not in (403, 404), c != "admin"))
        if "/screening/" in path:
            order = [c for c in order if c not in OTHER_DISTRICT_AND_CITY]
        for caller in order:
            payload = body() if callable(body) else body
            if inspect.isawaitable(payload):
                payload = await payload
            r = await client.request(method, path, json=payload, headers=headers(caller))
            if r.status_code != expect(caller):
                wrong.append((method, path, caller, r.status_code, expect(caller)))
    assert wrong == []


async def test_a_case_worker_sees_only_the_cases_of_their_agency(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    other_agency = await make_agency(session)
    other = auth(user_id=await make_case_worker(session, other_agency.id))
    mine = auth("caseworker")
    c1 = await child_on_assistance(session, settings)
    c2 = await child_on_assistance(session, settings)
    my_case = await case_in_service(client, auth, c1.id, mine)
    their_case = await case_in_service(client, auth, c2.id, other, other_agency.id)

    listed = (await client.get("/api/v1/cases", headers=mine)).json()["items"]
    assert [c["id"] for c in listed] == [my_case["id"]]
    assert (await client.get(f"/api/v1/cases/{their_case['id']}", headers=mine)).status_code == 404
    r = await client.post(
        f"/api/v1/cases/{their_case['id']}/services", json=service(), headers=mine
    )
    assert r.status_code == 404
    assert r.json()["code"] == "case_not_found"
    # the agency filter does not open another agency's cases
    r = await client.get("/api/v1/cases", params={"agency_id": str(other_agency.id)}, headers=mine)
    assert r.json()["items"] == []
    # the ledger stays closed to them: the case view is where they read the child
    for path in (f"/api/v1/children/{c1.id}", "/api/v1/children", f"/api/v1/children/{c2.id}"):
        r = await client.get(path, headers=mine)
        assert r.status_code in (403, 404) or r.json()["items"] == [], path
    got = (await client.get(f"/api/v1/cases/{my_case['id']}", headers=mine)).json()
    assert got["child"]["name"] == c1.name
    # the district sees both
    listed = (
        await client.get("/api/v1/cases", params={"limit": 500}, headers=auth("leader"))
    ).json()
    assert {my_case["id"], their_case["id"]} <= {c["id"] for c in listed["items"]}


async def test_a_deactivated_case_worker_reaches_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    from app.models import User

    agency = await make_agency(session)
    uid = await make_case_worker(session, agency.id)
    child = await child_on_assistance(session, settings)
    case = await case_in_service(client, auth, child.id, auth(user_id=uid), agency.id)
    user = await session.get(User, uid)
    assert user is not None
    user.is_active = False
    await session.commit()
    r = await client.get(f"/api/v1/cases/{case['id']}", headers=auth(user_id=uid))
    assert r.status_code == 401
