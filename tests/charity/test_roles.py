"""Every charity route × every role and agency: who gets 2xx, who 403, who 404 outside their
reach (a supervisor: another town's; the association: what was not forwarded to it)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.charity.factories import (
    A,
    Charity,
    application_body,
    apply,
    approved,
    forwarded,
    pay,
    report_body,
)
from tests.conftest import AGENCY_CLIENTS, TOWN2, USERS, AuthHeaders

READERS = {"admin", "leader", "auditor", "sup1", "sup2"}
# The second district's offices: their own district's applications only (DISTRICT's are a 404
# and absent from their lists); the city's offices none (403).
B = {"admin_b": 404, "sup_b": 404}
Call = Callable[[dict[str, str], str], Awaitable[httpx.Response]]


async def _matrix(
    auth: AuthHeaders, charity: Charity, call: Call, expected: dict[str, int]
) -> None:
    """`expected`: user or agency → status; those not named expect 403. `charity` is the
    association's client with `charity:write`; `charity-no-scope` the same without it."""
    callers: list[tuple[str, dict[str, str]]] = [(u, auth(u)) for u in USERS]
    callers += [(a, auth(agency=a)) for a in AGENCY_CLIENTS if a != "charity"]
    callers += [("charity", charity.payer), ("charity-no-scope", auth(agency="charity"))]
    wrong = []
    for name, headers in callers:
        r = await call(headers, name)
        want = expected.get(name, 403)
        if r.status_code != want:
            wrong.append((name, want, r.status_code, r.text[:200]))
    assert wrong == []


async def test_apply(client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity) -> None:
    async def call(h: dict[str, str], user: str) -> httpx.Response:
        change: dict[str, Any] = {"applicant_area_code": TOWN2} if user == "sup2" else {}
        return await client.post(A, json=application_body(**change), headers=h)

    # B's admin: "not within your district" (422); B's supervisor: "not your town" (403)
    await _matrix(auth, charity, call, {"admin": 201, "sup1": 201, "sup2": 201, "admin_b": 422})


async def test_list_and_overdue(
    client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity
) -> None:
    for path in (A, "/api/v1/charity/overdue-reports"):

        async def call(h: dict[str, str], _: str, path: str = path) -> httpx.Response:
            return await client.get(path, headers=h)

        readers = READERS | set(B)
        await _matrix(auth, charity, call, dict.fromkeys(readers, 200) | {"charity": 200})


async def test_read_one(client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity) -> None:
    fwd = await forwarded(client, auth)
    submitted = await apply(client, auth)

    async def call(h: dict[str, str], _: str) -> httpx.Response:
        return await client.get(f"{A}/{fwd['id']}", headers=h)

    await _matrix(
        auth, charity, call, dict.fromkeys(READERS, 200) | {"sup2": 404, "charity": 200} | B
    )

    async def call_submitted(h: dict[str, str], _: str) -> httpx.Response:
        return await client.get(f"{A}/{submitted['id']}", headers=h)

    await _matrix(
        auth,
        charity,
        call_submitted,
        dict.fromkeys(READERS, 200) | {"sup2": 404, "charity": 404} | B,
    )


async def test_review(client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity) -> None:
    async def call(h: dict[str, str], _: str) -> httpx.Response:
        app = await apply(client, auth)
        return await client.post(f"{A}/{app['id']}/review", json={"decision": "forward"}, headers=h)

    await _matrix(auth, charity, call, {"admin": 200, "admin_b": 404})


async def test_decide(client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity) -> None:
    async def call(h: dict[str, str], _: str) -> httpx.Response:
        app = await forwarded(client, auth)
        body = {"decision": "approve", "approved_amount": "100.00"}
        return await client.post(f"{A}/{app['id']}/decision", json=body, headers=h)

    await _matrix(auth, charity, call, {"charity": 200})


async def test_disburse(client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity) -> None:
    app = await approved(client, auth, charity, amount="10000.00")

    async def call(h: dict[str, str], _: str) -> httpx.Response:
        body = {"id": str(uuid.uuid4()), "amount": "1.00", "paid_on": "2026-06-01"}
        return await client.post(f"{A}/{app['id']}/disbursements", json=body, headers=h)

    await _matrix(auth, charity, call, {"charity": 201})


async def test_report(client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity) -> None:
    async def call(h: dict[str, str], _: str) -> httpx.Response:
        app = await approved(client, auth, charity)
        assert (await pay(client, charity, app["id"], "100.00")).status_code == 201
        return await client.post(
            f"{A}/{app['id']}/report",
            json=report_body(spending=[{"item": "活动物资", "amount": "100.00"}]),
            headers=h,
        )

    await _matrix(auth, charity, call, {"admin": 200, "sup1": 200, "sup2": 404} | B)


async def test_another_districts_lists_hold_none_of_the_applications(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    mine = await apply(client, auth)
    for user in ("admin", "admin_b"):
        r = await client.get(A, headers=auth(user), params={"limit": 500})
        assert r.status_code == 200
        ids = {a["id"] for a in r.json()["items"]}
        assert (mine["id"] in ids) == (user == "admin"), user
