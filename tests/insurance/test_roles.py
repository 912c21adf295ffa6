"""Every insurance route × every staff role and every agency: who gets 2xx, who 403, who 404
(or nothing) outside their jurisdiction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import AGENCY_CLIENTS, USERS, VILLAGE3, AuthHeaders
from tests.insurance.factories import INS, YEAR, answer_csv, enrol, kid, scheme_body, schemes

DISTRICT = {"admin", "leader", "auditor"}
READERS = DISTRICT | {"sup1", "sup2"}
Call = Callable[[dict[str, str], str], Awaitable[httpx.Response]]
Q: dict[str, str | int] = {"year": YEAR, "scheme": "basic_medical"}
# The roles of one district (and the city's): the second district's staff reach none of these
# records, which tests/test_district_isolation.py shows for every route.
SECOND_DISTRICT = {"admin_b", "sup_b", "dir_b", "protect_b"}


async def _matrix(auth: AuthHeaders, call: Call, expected: dict[str, int]) -> None:
    """`expected`: user → status; those not named (and every agency) expect 403."""
    callers = [(u, auth(u)) for u in USERS if u not in SECOND_DISTRICT]
    callers += [(a, auth(agency=a)) for a in AGENCY_CLIENTS]
    wrong = []
    for name, headers in callers:
        r = await call(headers, name)
        want = expected.get(name, 403)
        if r.status_code != want:
            wrong.append((name, want, r.status_code, r.text[:200]))
    assert wrong == []


async def test_schemes(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    async def read(h: dict[str, str], _: str) -> httpx.Response:
        return await client.get(f"{INS}/schemes", headers=h)

    await _matrix(auth, read, dict.fromkeys(READERS, 200))

    async def write(h: dict[str, str], user: str) -> httpx.Response:
        body = scheme_body(effective_from=f"2026-0{1 + len(user) % 9}-0{1 + len(user) % 7}")
        return await client.post(f"{INS}/schemes", json=body, headers=h)

    await _matrix(auth, write, {"admin": 201})


async def test_worklist_and_generate(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    there, _ = await kid(session, settings, village_code=VILLAGE3)

    async def read(h: dict[str, str], user: str) -> httpx.Response:
        r = await client.get(f"{INS}/worklist", params=Q | {"limit": 500}, headers=h)
        if r.status_code == 200:
            seen = {i["child_id"] for i in r.json()["items"]}
            # town 1's supervisor does not see town 2's child
            assert (str(there.id) in seen) == (user != "sup1"), user
        return r

    await _matrix(auth, read, dict.fromkeys(READERS, 200))

    async def generate(h: dict[str, str], _: str) -> httpx.Response:
        return await client.post(f"{INS}/worklist/generate", json=Q, headers=h)

    await _matrix(auth, generate, {"admin": 200})


async def test_enrolments(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    there, _ = await kid(session, settings, village_code=VILLAGE3)  # town 2
    made = await enrol(client, auth, there)
    assert made.status_code == 201
    eid = made.json()["id"]

    async def create(h: dict[str, str], _: str) -> httpx.Response:
        child, _id = await kid(session, settings)
        body = {"child_id": str(child.id), "scheme": "basic_medical", "year": YEAR}
        return await client.post(f"{INS}/enrolments", json=body, headers=h)

    await _matrix(auth, create, {"admin": 201})

    async def listing(h: dict[str, str], user: str) -> httpx.Response:
        r = await client.get(f"{INS}/enrolments", params=Q | {"limit": 500}, headers=h)
        if r.status_code == 200:
            ids = {e["id"] for e in r.json()["items"]}
            assert (eid in ids) == (user != "sup1"), user
        return r

    await _matrix(auth, listing, dict.fromkeys(READERS, 200))

    async def read(h: dict[str, str], _: str) -> httpx.Response:
        return await client.get(f"{INS}/enrolments/{eid}", headers=h)

    await _matrix(auth, read, dict.fromkeys(READERS, 200) | {"sup1": 404})

    async def patch(h: dict[str, str], _: str) -> httpx.Response:
        current = await client.get(f"{INS}/enrolments/{eid}", headers=auth("admin"))
        tag = {"If-Match": current.headers["ETag"]}
        return await client.patch(
            f"{INS}/enrolments/{eid}", json={"premium": "380.00"}, headers=h | tag
        )

    await _matrix(auth, patch, {"admin": 200})


async def test_files_and_premiums(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    child, idn = await kid(session, settings)
    assert (await enrol(client, auth, child, status="submitted")).status_code == 201

    async def submission(h: dict[str, str], _: str) -> httpx.Response:
        return await client.post(f"{INS}/submission-file", json=Q, headers=h)

    await _matrix(auth, submission, {"admin": 200})

    answer = answer_csv(
        [{"id_number": idn, "year": str(YEAR), "result": "enrolled", "policy_number": "P-9"}]
    )

    async def answers(h: dict[str, str], _: str) -> httpx.Response:
        return await client.post(
            f"{INS}/answers/import",
            params=Q,
            content=answer,
            headers=h | {"Content-Type": "text/csv"},
        )

    await _matrix(auth, answers, {"admin": 200})

    async def premiums(h: dict[str, str], _: str) -> httpx.Response:
        return await client.get(f"{INS}/premiums", params={"year": YEAR}, headers=h)

    await _matrix(auth, premiums, dict.fromkeys(DISTRICT, 200))
