"""A city of two districts: the second district's staff read nothing of the first.

Records are made in DISTRICT (children dispersed and in the institute, a visit, an incident, a
screening record, a payroll, a medical claim, a change proposal, a ledger review); then every GET
route of the API is swept as each of DISTRICT_B's staff (admin_b, sup_b, dir_b, protect_b), with
the route's ids filled with those records' ids: no answer may carry any of them (their ids, names),
and an aggregate read (ledger, statistics, dashboard) answers the same as before they existed.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import FixedClock
from app.main import create_app
from app.models import ScreeningRecord
from tests.children.factories import child_body, create
from tests.conftest import VILLAGE1, VILLAGE_B, AuthHeaders
from tests.incidents.factories import report
from tests.programmes.aid_factories import named_child
from tests.screening.factories import load_records, row
from tests.subsidies.factories import make_child
from tests.visits.factories import visit_body

B_STAFF = ("admin_b", "sup_b", "dir_b", "protect_b")
PUBLIC = {"/api/v1/auth/token", "/api/v1/auth/revoke"}
# Reads that carry no one's record and no district's figures (reference data, the caller's own).
REFERENCE = {
    "/api/v1/auth/me",
    "/api/v1/incidents/situations",
    "/api/v1/subsidy/standards",
    "/api/v1/screening/template",
    "/api/v1/insurance/schemes",
}
# Reads whose answer grows with the caller's own activity: the district's audit log holds the
# sweep's own reads. They are searched for DISTRICT's records, not compared before and after.
OWN_ACTIVITY = {"/api/v1/audit"}


@pytest.fixture
async def app(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> AsyncIterator[FastAPI]:
    """Without the rate limit (a sweep of every route is more than one client's burst), and
    without the dashboard's cache (a cached answer would hide what a fresh one reads)."""
    quiet = settings.model_copy(update={"rate_limit_enabled": False})
    application = create_app(quiet, engine=engine, sessionmaker=sessionmaker, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A route that fails answers 500 here rather than stopping the sweep."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def _get_routes(app: FastAPI) -> list[str]:
    return [
        path
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/") and path not in PUBLIC and "get" in operations
    ]


def _fill(path: str, ids: dict[str, str]) -> str:
    def value(m: re.Match[str]) -> str:
        return ids.get(m.group(1).split(":")[0], str(uuid.uuid4()))

    return re.sub(r"\{([^}]+)\}", value, path)


async def _sweep(
    client: httpx.AsyncClient, headers: dict[str, str], paths: list[str], ids: dict[str, str]
) -> dict[str, tuple[int, str]]:
    out = {}
    for path in paths:
        r = await client.get(_fill(path, ids), headers=headers, params={"limit": 500})
        out[path] = (r.status_code, r.text)
    return out


def _comparable(text: str) -> Any:
    """A JSON answer without what changes between two identical reads (generation times)."""
    try:
        body = json.loads(text)
    except ValueError:
        return text

    def strip(v: Any) -> Any:
        if isinstance(v, dict):
            return {
                k: strip(x)
                for k, x in v.items()
                if k
                not in {
                    "generated_at",
                    "computed_at",
                    "as_of",
                    "instance",
                    "request_id",
                    "cursor",
                    "next_cursor",
                }
            }
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    return strip(body)


async def _district_records(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> tuple[dict[str, str], list[str]]:
    """Records of DISTRICT: the ids to fill the routes with, and the markers no answer may hold."""
    enrolled = await create(client, auth("admin"), name="甲区登记")  # with its ledger history
    kid = await make_child(session, settings, name="甲区儿童", village_code=VILLAGE1)
    resident = await make_child(session, settings, name="甲区院童", placement="institution")
    await session.commit()
    markers = [str(kid.id), str(resident.id), "甲区儿童", "甲区院童", enrolled["id"], "甲区登记"]

    visit = visit_body(kid.id)
    r = await client.post("/api/v1/visits", json=visit, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    incident = report(kid.id)
    r = await client.post("/api/v1/incidents", json=incident, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    await load_records(session, settings, [row(name="甲区筛查")])
    await session.commit()
    record = await session.scalar(
        select(ScreeningRecord.id).where(ScreeningRecord.name == "甲区筛查")
    )
    assert record is not None
    r = await client.post(
        "/api/v1/subsidy/payrolls", json={"month": "2026-06"}, headers=auth("admin")
    )
    assert r.status_code == 201, r.text
    payroll = r.json()["id"]
    claim = {
        "child_id": str(kid.id),
        "kind": "inpatient",
        "service_date": "2026-05-20",
        "bill_total": "1000.00",
        "basic_insurance_paid": "600.00",
        "other_insurance_paid": "100.00",
    }
    r = await client.post("/api/v1/subsidy/medical-claims", json=claim, headers=auth("admin"))
    assert r.status_code == 201, r.text
    claim_id = r.json()["id"]
    r = await client.post(
        f"/api/v1/children/{kid.id}/proposals",
        json={"changes": {"school_name": "甲区新学校"}, "reason": "入户走访发现已升学"},
        headers=auth("dir1"),
    )
    assert r.status_code == 201, r.text
    proposal = r.json()["id"]
    r = await client.post(
        "/api/v1/ledger/reviews",
        json={"quarter": "2026Q2", "comment": "甲区审核"},
        headers=auth("leader"),
    )
    assert r.status_code == 201, r.text
    review = r.json()["id"]
    r = await client.post("/api/v1/ledger/2026-06/close", headers=auth("admin"))
    assert r.status_code in (200, 201), r.text
    markers += [visit["id"], incident["id"], str(record), "甲区筛查", payroll, claim_id, proposal]
    markers += [review, "甲区审核"]
    programmes = await _programme_records(client, auth, kid.id)
    markers += [*programmes.values(), "甲区帮扶", "甲区受助", "甲区读书会"]
    ids = {
        **programmes,
        "child_id": str(kid.id),
        "visit_id": visit["id"],
        "incident_id": incident["id"],
        "record_id": str(record),
        "claim_id": claim_id,
        "proposal_id": proposal,
        "month": "2026-06",
        "quarter": "2026Q2",
        "school_year": "2025-2026",
        "code": "110115",
    }
    return ids, markers


async def _programme_records(
    client: httpx.AsyncClient, auth: AuthHeaders, kid: uuid.UUID
) -> dict[str, str]:
    """DISTRICT's programmes: an aid round and an application, a holiday run's gifts, an
    activity of a village's venue."""
    r = await client.post(
        "/api/v1/education-aid/rounds",
        json={"year": 2026, "name": "甲区帮扶"},
        headers=auth("admin"),
    )
    assert r.status_code == 201, r.text
    round_id = r.json()["id"]
    body = {
        "child": named_child("female", VILLAGE1, name="甲区受助"),
        "programme": "spring_bud",
        "amount": "500",
    }
    r = await client.post(
        f"/api/v1/education-aid/rounds/{round_id}/applications", json=body, headers=auth("admin")
    )
    assert r.status_code == 201, r.text
    application = r.json()["id"]
    r = await client.post(
        "/api/v1/subsidy/holiday-runs",
        json={"occasion": "childrens_day", "year": 2026},
        headers=auth("admin"),
    )
    assert r.status_code == 201, r.text
    gifts = {"occasion": "childrens_day", "year": 2026, "item": "书包", "value": "50"}
    r = await client.post("/api/v1/holiday-gifts", json=gifts, headers=auth("admin"))
    assert r.status_code == 201, r.text
    r = await client.get("/api/v1/holiday-gifts", headers=auth("admin"))
    gift = r.json()["items"][0]["id"]
    activity = {
        "id": str(uuid.uuid4()),
        "village_code": VILLAGE1,
        "held_on": "2026-06-01",
        "kind": "reading",
        "title": "甲区读书会",
        "child_ids": [str(kid)],
        "others": 0,
    }
    r = await client.post("/api/v1/activities", json=activity, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    return {
        "round_id": round_id,
        "application_id": application,
        "gift_id": gift,
        "activity_id": activity["id"],
    }


async def test_second_districts_staff_read_nothing_of_the_first(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
) -> None:
    paths = [p for p in _get_routes(app) if p not in REFERENCE]
    ids_before = {"month": "2026-06", "quarter": "2026Q2", "school_year": "2025-2026"}
    before = {u: await _sweep(client, auth(u), paths, ids_before) for u in B_STAFF}
    ids, markers = await _district_records(client, auth, session, settings)
    leaks: list[tuple[str, str, str]] = []
    changed: list[tuple[str, str]] = []
    for user in B_STAFF:
        after = await _sweep(client, auth(user), paths, ids)
        for path, (status, text) in after.items():
            if status == 200:
                leaks += [(user, path, m) for m in markers if m in text]
            old_status, old_text = before[user][path]
            if "{" in path:
                # an id of DISTRICT is as unknown to B as a random one
                if status != old_status:
                    changed.append((user, path))
            elif path in OWN_ACTIVITY:
                if status != old_status:
                    changed.append((user, path))
            elif (status, _comparable(text)) != (old_status, _comparable(old_text)):
                changed.append((user, path))
    leaked = sorted({(user, path) for user, path, _ in leaks})
    assert (leaked, changed) == ([], []), "\n".join(map(str, [*leaked, "--", *changed]))


# -- the other way round, and the district-owned runs ---------------------------------------


async def test_first_districts_staff_reach_nothing_of_the_second(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    b_child = await create(client, auth("admin_b"), name="乙区儿童", village_code=VILLAGE_B)
    b_resident = await create(
        client, auth("admin_b"), name="乙区院童", placement="institution", village_code=None
    )
    incident = report(uuid.UUID(b_child["id"]))
    r = await client.post("/api/v1/incidents", json=incident, headers=auth("dir_b"))
    assert r.status_code == 201, r.text
    for kid in (b_child, b_resident):
        for user in ("admin", "leader", "auditor", "institute", "sup1", "dir1"):
            r = await client.get(f"/api/v1/children/{kid['id']}", headers=auth(user))
            assert r.status_code == 404, (user, kid["name"], r.status_code)
        r = await client.patch(
            f"/api/v1/children/{kid['id']}",
            json={"school_name": "改写"},
            headers=auth("admin") | {"If-Match": '"1"'},
        )
        assert r.status_code == 404, r.text
        r = await client.get(f"/api/v1/children/{kid['id']}", headers=auth("admin_b"))
        assert r.status_code == 200, r.text
    listed = await client.get("/api/v1/children", headers=auth("admin"), params={"limit": 500})
    assert {c["id"] for c in listed.json()["items"]}.isdisjoint({b_child["id"], b_resident["id"]})
    for user in ("admin", "auditor"):
        r = await client.get(f"/api/v1/incidents/{incident['id']}", headers=auth(user))
        assert r.status_code == 404, (user, r.status_code)
    r = await client.get(f"/api/v1/incidents/{incident['id']}", headers=auth("admin_b"))
    assert r.status_code == 200, r.text
    # a district admin cannot enrol a child in another district's village, nor move one there
    r = await client.post(
        "/api/v1/children", json=child_body(village_code=VILLAGE_B), headers=auth("admin")
    )
    assert r.status_code == 422, r.text
    mine = await create(client, auth("admin"))
    r = await client.patch(
        f"/api/v1/children/{mine['id']}",
        json={"village_code": VILLAGE_B},
        headers=auth("admin") | {"If-Match": f'"{mine["version"]}"'},
    )
    assert r.status_code == 422, r.text


async def test_each_district_runs_its_own_payroll(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    a = await make_child(session, settings, village_code=VILLAGE1)
    b = await make_child(session, settings, village_code=VILLAGE_B)
    await session.commit()
    runs = {}
    for admin, own, other in (("admin", a, b), ("admin_b", b, a)):
        r = await client.post(
            "/api/v1/subsidy/payrolls", json={"month": "2026-05"}, headers=auth(admin)
        )
        assert r.status_code == 201, (admin, r.text)  # not the other district's 409
        runs[admin] = r.json()["id"]
        r = await client.get(
            "/api/v1/subsidy/payrolls/2026-05/lines", headers=auth(admin), params={"limit": 500}
        )
        assert r.status_code == 200, r.text
        children = {line["child_id"] for line in r.json()["items"]}
        assert str(own.id) in children, admin
        assert str(other.id) not in children, admin
    assert runs["admin"] != runs["admin_b"]
    r = await client.get("/api/v1/subsidy/payrolls/2026-05", headers=auth("admin_b"))
    assert r.json()["id"] == runs["admin_b"]


async def test_each_district_keeps_its_own_ledger(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    await create(client, auth("admin"), name="甲区登记")
    await create(client, auth("admin_b"), name="乙区登记", village_code=VILLAGE_B)
    await create(
        client, auth("admin_b"), name="乙区院童", placement="institution", village_code=None
    )
    for admin, names in (("admin", {"甲区登记"}), ("admin_b", {"乙区登记", "乙区院童"})):
        r = await client.get("/api/v1/ledger/2026-06", headers=auth(admin))
        assert r.status_code == 200, r.text
        ledger = r.json()
        assert ledger["totals"]["total"] == len(names), (admin, ledger["totals"])
        assert {m["name"] for m in ledger["additions"]} == names
        r = await client.post("/api/v1/ledger/2026-06/close", headers=auth(admin))
        assert r.status_code in (200, 201), (admin, r.text)  # each district closes its month


# Writes that act on the caller's own district whatever the path names (a district closes its
# own month): not a reach into another district.
OWN_DISTRICT_WRITES = {"/api/v1/ledger/{month}/close"}


async def test_second_districts_staff_write_nothing_of_the_first(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
) -> None:
    ids, _ = await _district_records(client, auth, session, settings)
    written = []
    for path, operations in app.openapi()["paths"].items():
        if "{" not in path or path in OWN_DISTRICT_WRITES or not path.startswith("/api/"):
            continue
        for method in set(operations) & {"post", "put", "patch", "delete"}:
            for user in B_STAFF:
                headers = auth(user) | {"If-Match": '"1"'}
                r = await client.request(method, _fill(path, ids), headers=headers, json={})
                if r.status_code < 300:
                    written.append((user, method, path, r.status_code))
    assert written == []
