"""Every API route checks who is calling: no token and an expired or forged token are 401."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import FixedClock
from app.main import create_app
from tests.conftest import AGENCY_CLIENTS, AuthHeaders
from tests.incidents.factories import make_child
from tests.screening.factories import load_records, row

PUBLIC = {"/api/v1/auth/token", "/api/v1/auth/revoke"}


@pytest.fixture
async def app(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> AsyncIterator[FastAPI]:
    """The tests' app without the rate limit: a sweep of every route (over 200 of them) is more
    than one client's burst. The rate limit has its own tests (tests/ops/test_ratelimit.py)."""
    quiet = settings.model_copy(update={"rate_limit_enabled": False})
    application = create_app(quiet, engine=engine, sessionmaker=sessionmaker, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


SAMPLE = {"month": "2026-06", "quarter": "2026Q2", "school_year": "2025-2026", "code": "110115"}


def _fill(path: str) -> str:
    def value(m: re.Match[str]) -> str:
        name = m.group(1).split(":")[0]
        return SAMPLE.get(name, str(uuid.uuid4()))

    return re.sub(r"\{([^}]+)\}", value, path)


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    out = []
    for path, operations in app.openapi()["paths"].items():
        if path.startswith("/api/") and path not in PUBLIC:
            for method in sorted(operations):
                out.append((method.upper(), _fill(path)))
    assert len(out) >= 10
    return out


async def test_every_route_refuses_a_missing_token(app: FastAPI, client: httpx.AsyncClient) -> None:
    for method, path in _routes(app):
        r = await client.request(method, path)
        assert r.status_code == 401, (method, path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_every_route_refuses_an_expired_token(
    app: FastAPI, client: httpx.AsyncClient, auth: AuthHeaders, clock: FixedClock
) -> None:
    headers = auth("admin")
    clock.set(clock.now() + timedelta(hours=1))
    for method, path in _routes(app):
        r = await client.request(method, path, headers=headers)
        assert r.status_code == 401, (method, path, r.status_code, r.text)


@pytest.mark.parametrize("scheme", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not.a.jwt", "Token x"])
async def test_malformed_authorization_headers(client: httpx.AsyncClient, scheme: str) -> None:
    r = await client.get("/api/v1/areas", headers={"Authorization": scheme})
    assert r.status_code == 401


async def test_agency_token_cannot_use_staff_routes(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.get("/api/v1/users", headers=auth(agency="police"))
    assert r.status_code == 403
    r = await client.post("/api/v1/areas/import", headers=auth(agency="police"), content=b"")
    assert r.status_code == 403


# The only reads a partner agency gets an answer from: its referrals, the children and screening
# records of its open referrals (app.auth.mandate), and data that is no one's personal record.
# A new route an agency can read belongs here only once its rows are bounded by the mandate.
AGENCY_READABLE = {
    "/api/v1/auth/me",
    "/api/v1/areas",
    "/api/v1/referrals",
    "/api/v1/children",
    "/api/v1/screening/records",
    "/api/v1/screening/stats",
    "/api/v1/screening/template",
    # the women's federation (programmes:read): the rounds of its own aid programmes, totals only
    "/api/v1/education-aid/rounds",
    # the charity association (with charity:write): only the applications forwarded to it
    "/api/v1/charity/applications",
    "/api/v1/charity/overdue-reports",
    # the women's federation (programmes:read): the pairings of its own caring mothers, projected
    # (app.programmes.mothers); every other agency gets 403
    "/api/v1/pairings",
    # the police (scope protection:write): the intakes they announced, status only
    "/api/v1/protection/intakes",
    # its own screening referrals, the record projected to its mandate (closed: the id only)
    "/api/v1/screening/referrals",
    # the evidence documents of the incidents its open referrals concern (the police: also of
    # the intakes it announced), projected (app/documents/records.py); a record is required
    "/api/v1/documents",
}
MANDATE_LISTS = ("/api/v1/children", "/api/v1/screening/records")


async def test_agency_tokens_read_nothing_beyond_their_mandate(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
) -> None:
    await make_child(session, settings)
    await load_records(session, settings, [row()])
    for agency in AGENCY_CLIENTS:
        h = auth(agency=agency)  # every scope
        for method, path in _routes(app):
            if method != "GET":
                continue
            r = await client.get(path, headers=h)
            assert r.status_code != 200 or path in AGENCY_READABLE, (agency, path)
        # no open referral: the lists of children and screening records are empty, not the ledger
        for path in MANDATE_LISTS:
            r = await client.get(path, headers=h, params={"limit": 500})
            assert r.status_code in (200, 403), (agency, path)
            assert r.status_code == 403 or r.json()["items"] == [], (agency, path)


# The second wave's roles reach no area: before their own domains grant them rows, every read
# of the ledger's domains answers them 403, 404 or an empty list — never a child, an incident or
# a screening record of the district.
NO_AREA_ROLES = ("protect", "counsel", "caseworker")
# Reads that hold no one's personal record (reference data, the caller's own account).
NOT_PERSONAL = {
    "/api/v1/auth/me",
    "/api/v1/areas",
    "/api/v1/incidents/situations",
    "/api/v1/subsidy/standards",
    "/api/v1/screening/template",
    "/api/v1/protection/occupancy",  # counts of the centre, no one's record
}


def _personal_rows(body: object) -> list[object]:
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return list(body["items"])
    if isinstance(body, list):
        return list(body)
    return [body]


async def test_roles_without_an_area_read_no_ledger_record(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
) -> None:
    await make_child(session, settings)
    await load_records(session, settings, [row()])
    seen = []
    for user in NO_AREA_ROLES:
        h = auth(user)
        for method, path in _routes(app):
            if method != "GET" or path in NOT_PERSONAL:
                continue
            r = await client.get(path, headers=h, params={"limit": 500})
            if r.status_code != 200 or not r.headers["content-type"].startswith("application/json"):
                continue
            if _personal_rows(r.json()):
                seen.append((user, path))
    assert seen == []
