"""Every training route × every role: who gets 2xx, who 403, who 404 outside their reach."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from tests.conftest import AGENCY_CLIENTS, TOWN1, TOWN2, USERS, AuthHeaders, Base
from tests.training.factories import T, create, session_body

READERS = {"admin", "leader", "auditor", "sup1", "sup2"}
ORGANISERS = {"admin", "sup1", "sup2"}
TRAINEES = {"sup1", "sup2", "dir1", "dir2", "dir3", "institute", "protect", "counsel", "caseworker"}
# The second district's: they read and organise their own district's training, not DISTRICT's
# (another district's session is a 404, its town a 422); the city's offices none (403).
B_READERS = {"admin_b", "sup_b"}
B_TRAINEES = {"sup_b", "dir_b", "protect_b"}
Call = Callable[[dict[str, str], str], Awaitable[httpx.Response]]


async def _matrix(auth: AuthHeaders, call: Call, expected: dict[str, int]) -> None:
    """`expected`: user → status; users not named expect 403; every agency 403."""
    wrong = []
    for user in USERS:
        r = await call(auth(user), user)
        want = expected.get(user, 403)
        if r.status_code != want:
            wrong.append((user, want, r.status_code, r.text[:200]))
    for agency in AGENCY_CLIENTS:
        r = await call(auth(agency=agency, scopes=["charity:write"]), agency)
        if r.status_code != 403:
            wrong.append((agency, 403, r.status_code, r.text[:200]))
    assert wrong == []


async def test_create_a_session(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    async def call(h: dict[str, str], user: str) -> httpx.Response:
        if user == "admin":
            body = session_body(level="district", area_code=None)
        else:
            body = session_body(area_code=TOWN2 if user == "sup2" else TOWN1)
        return await client.post(T, json=body, headers=h)

    await _matrix(auth, call, dict.fromkeys(ORGANISERS, 201) | dict.fromkeys(B_READERS, 422))


async def test_list_sessions(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    async def call(h: dict[str, str], _: str) -> httpx.Response:
        return await client.get(T, headers=h)

    await _matrix(auth, call, dict.fromkeys(READERS | B_READERS, 200))


async def test_read_a_session(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    s = await create(client, auth, "sup1")

    async def call(h: dict[str, str], _: str) -> httpx.Response:
        return await client.get(f"{T}/{s['id']}", headers=h)

    await _matrix(
        auth, call, dict.fromkeys(READERS, 200) | {"sup2": 404} | dict.fromkeys(B_READERS, 404)
    )


async def test_record_attendance(client: httpx.AsyncClient, auth: AuthHeaders, base: Base) -> None:
    s = await create(client, auth, "sup1")

    async def call(h: dict[str, str], _: str) -> httpx.Response:
        body = {"user_id": str(base.users["dir1"]), "status": "present"}
        return await client.post(f"{T}/{s['id']}/attendance", json=body, headers=h)

    # the first records (201), the second finds it recorded (200)
    await _matrix(
        auth, call, {"admin": 201, "sup1": 200, "sup2": 404} | dict.fromkeys(B_READERS, 404)
    )


async def test_check_in(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    s = await create(client, auth, "admin", level="district")

    async def call(h: dict[str, str], _: str) -> httpx.Response:
        return await client.post("/api/v1/training/check-in", json={"code": s["code"]}, headers=h)

    await _matrix(auth, call, dict.fromkeys(TRAINEES, 201) | dict.fromkeys(B_TRAINEES, 422))


async def test_my_attendance(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    async def call(h: dict[str, str], _: str) -> httpx.Response:
        return await client.get("/api/v1/training/my-attendance", headers=h)

    await _matrix(auth, call, dict.fromkeys(TRAINEES | B_TRAINEES, 200))


async def test_coverage_and_certificates(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    for path in ("/api/v1/training/coverage", "/api/v1/training/certificates"):

        async def call(h: dict[str, str], _: str, path: str = path) -> httpx.Response:
            return await client.get(path, params={"year": 2026}, headers=h)

        await _matrix(auth, call, dict.fromkeys(READERS | B_READERS, 200))
