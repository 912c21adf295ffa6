"""Every programmes route × every staff role and agency: who gets 2xx, who 403, who 404 (or a
422 naming the child) outside their jurisdiction; and the women's federation's projection."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import AGENCY_CLIENTS, TOWN1, USERS, AuthHeaders
from tests.programmes.factories import child, contact_body, mother, paired, pairing_body

NO_AREA = {"protect": 403, "counsel": 403, "caseworker": 403, "protect_b": 403}
# DISTRICT_B's area roles read their own district's lists (200, without DISTRICT's rows) and
# find none of DISTRICT's mothers, pairings or children (404; a child named in a body: 422).
B_READERS = {u: 200 for u in ("admin_b", "sup_b", "dir_b")}
B_NOT_FOUND = {u: 404 for u in ("admin_b", "sup_b", "dir_b")}
READERS = (
    {u: 200 for u in ("admin", "leader", "auditor", "institute", "sup1", "sup2")}
    | {u: 200 for u in ("dir1", "dir2", "dir3")}
    | B_READERS
)
# A write about a child of village 1 (town 1): its workers succeed, the others find nothing.
CHILD_WRITE = (
    {"admin": 2, "sup1": 2, "dir1": 2}
    | {u: 404 for u in ("institute", "sup2", "dir2", "dir3")}
    | B_NOT_FOUND
)


@dataclass
class World:
    client: httpx.AsyncClient
    auth: AuthHeaders
    session: AsyncSession
    settings: Settings

    async def child(self) -> uuid.UUID:
        return await child(self.session, self.settings)

    async def mother(self) -> str:
        return str((await mother(self.client, self.auth("admin")))["id"])

    async def pairing(self) -> str:
        return str(
            (
                await paired(
                    self.client, self.auth("admin"), await self.mother(), await self.child()
                )
            )["id"]
        )

    async def parent_class(self) -> str:
        r = await self.client.post(
            "/api/v1/parent-classes",
            json={
                "topic": "依法带娃",
                "expert_field": "law",
                "mode": "school",
                "held_on": "2026-05-20",
                "place": "测试小学",
                "town_code": TOWN1,
            },
            headers=self.auth("admin"),
        )
        assert r.status_code == 201
        return str(r.json()["id"])


Call = Callable[[World], Awaitable[tuple[str, str, dict[str, Any] | None]]]


async def _create_mother(w: World) -> tuple[str, str, dict[str, Any] | None]:
    body = {"name": "妈妈", "organisation": "妇联", "phone": "13900000001"}
    return "POST", "/api/v1/caring-mothers", body


async def _renew_check(w: World) -> tuple[str, str, dict[str, Any] | None]:
    body = {"queried_on": "2026-06-01", "result": "clear", "reference": "续查-1"}
    return "POST", f"/api/v1/caring-mothers/{await w.mother()}/record-check", body


async def _list_mothers(w: World) -> tuple[str, str, dict[str, Any] | None]:
    return "GET", "/api/v1/caring-mothers", None


async def _pair(w: World) -> tuple[str, str, dict[str, Any] | None]:
    body = pairing_body(await w.child())
    return "POST", f"/api/v1/caring-mothers/{await w.mother()}/pairings", body


async def _list_pairings(w: World) -> tuple[str, str, dict[str, Any] | None]:
    return "GET", "/api/v1/pairings", None


async def _without_contact(w: World) -> tuple[str, str, dict[str, Any] | None]:
    return "GET", "/api/v1/pairings/without-contact", None


async def _contact(w: World) -> tuple[str, str, dict[str, Any] | None]:
    return "POST", f"/api/v1/pairings/{await w.pairing()}/contacts", contact_body()


async def _end(w: World) -> tuple[str, str, dict[str, Any] | None]:
    body = {"ended_on": "2026-06-01", "reason": "结束"}
    return "POST", f"/api/v1/pairings/{await w.pairing()}/end", body


async def _wish(w: World) -> tuple[str, str, dict[str, Any] | None]:
    body = {"child_id": str(await w.child()), "wished_on": "2026-05-01"}
    return "POST", "/api/v1/caring-mother-wishes", body


async def _list_wishes(w: World) -> tuple[str, str, dict[str, Any] | None]:
    return "GET", "/api/v1/caring-mother-wishes", None


async def _create_class(w: World) -> tuple[str, str, dict[str, Any] | None]:
    body = {
        "topic": "家庭教育",
        "expert_field": "education",
        "mode": "online",
        "held_on": "2026-05-01",
        "link": "https://meeting.example/1",
        "town_code": TOWN1,
    }
    return "POST", "/api/v1/parent-classes", body


async def _list_classes(w: World) -> tuple[str, str, dict[str, Any] | None]:
    return "GET", "/api/v1/parent-classes", None


async def _report(w: World) -> tuple[str, str, dict[str, Any] | None]:
    return "GET", "/api/v1/parent-classes/report?year=2026", None


async def _get_class(w: World) -> tuple[str, str, dict[str, Any] | None]:
    return "GET", f"/api/v1/parent-classes/{await w.parent_class()}", None


async def _attendance(w: World) -> tuple[str, str, dict[str, Any] | None]:
    body = {"child_ids": [str(await w.child())]}
    return "POST", f"/api/v1/parent-classes/{await w.parent_class()}/attendance", body


# expected status per user (2 = any 2xx); anyone not named gets 403
MATRIX: dict[str, tuple[Call, dict[str, int]]] = {
    # the second district's admin registers its own mothers; DISTRICT's are unknown to it
    "create caring mother": (_create_mother, {"admin": 2, "admin_b": 2}),
    "renew record check": (_renew_check, {"admin": 2, "admin_b": 404}),
    "list caring mothers": (_list_mothers, READERS),
    "create pairing": (_pair, CHILD_WRITE),
    "list pairings": (_list_pairings, READERS | {"women_federation": 200}),
    "pairings without contact": (_without_contact, READERS),
    "record contact": (_contact, CHILD_WRITE),
    "end pairing": (_end, CHILD_WRITE),
    "record wish": (_wish, CHILD_WRITE),
    "list wishes": (_list_wishes, READERS),
    # a supervisor of another town may organise classes, not town 1's
    # (another district's admin and supervisor know no town 1: 422 naming town_code)
    "create class": (
        _create_class,
        {"admin": 2, "sup1": 2, "sup2": 422, "admin_b": 422, "sup_b": 422},
    ),
    "list classes": (_list_classes, READERS),
    "class report": (
        _report,
        {"admin": 200, "leader": 200, "auditor": 200, "sup1": 200, "sup2": 200}
        | {"admin_b": 200, "sup_b": 200},
    ),
    # DISTRICT's class is unknown to DISTRICT_B's roles
    "get class": (_get_class, READERS | B_NOT_FOUND),
    # a child outside one's jurisdiction, named in the body: a 422 naming child_ids.0
    "record attendance": (
        _attendance,
        {"admin": 2, "sup1": 2, "dir1": 2}
        | {u: 422 for u in ("institute", "sup2", "dir2", "dir3")}
        | B_NOT_FOUND,
    ),
}
PRINCIPALS = [*USERS, *(f"agency:{a}" for a in AGENCY_CLIENTS)]


def test_every_programmes_route_is_in_the_matrix() -> None:
    from app.main import create_app
    from tests.conftest import make_settings

    spec = create_app(make_settings("postgresql+asyncpg://u@localhost/x")).openapi()
    ours = [
        (m, p)
        for p, ops in spec["paths"].items()
        for m, op in ops.items()
        if "programmes" in op["tags"]
        and any(
            p.startswith(x)
            for x in ("/api/v1/caring-mother", "/api/v1/pairings", "/api/v1/parent-classes")
        )
    ]
    assert len(ours) == len(MATRIX)


@pytest.mark.parametrize("route", list(MATRIX))
async def test_route_by_role(
    route: str,
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
) -> None:
    make, expected = MATRIX[route]
    w = World(client, auth, session, settings)
    for who in PRINCIPALS:
        method, path, body = await make(w)
        if who.startswith("agency:"):
            agency = who.split(":", 1)[1]
            headers = auth(agency=agency)
            want = expected.get(agency, 403)
        else:
            headers = auth(who)
            want = expected.get(who, NO_AREA.get(who, 403))
        r = await client.request(method, path, json=body, headers=headers)
        if want == 2:
            assert 200 <= r.status_code < 300, (route, who, r.status_code, r.text)
        else:
            assert r.status_code == want, (route, who, r.status_code, r.text)
        if want == 422:
            assert [e["field"] for e in r.json()["errors"]] in (["child_ids.0"], ["town_code"])


async def test_the_federation_reads_its_pairings_projected(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    w = World(client, auth, session, settings)
    pid = await w.pairing()
    r = await client.post(
        f"/api/v1/pairings/{pid}/contacts", json=contact_body(), headers=auth("dir1")
    )
    assert r.status_code == 201
    fed = auth(agency="women_federation", scopes=["programmes:read"])
    r = await client.get("/api/v1/pairings", headers=fed, params={"limit": 500})
    assert r.status_code == 200
    item = next(x for x in r.json()["items"] if x["id"] == pid)
    assert set(item) == {
        "id",
        "mother_id",
        "mother_name",
        "organisation",
        "child_name",
        "child_gender",
        "town_code",
        "since",
        "status",
        "ended_on",
        "last_contact_on",
        "contacts",
    }
    assert (item["town_code"], item["contacts"], item["last_contact_on"]) == (
        TOWN1,
        1,
        "2026-06-01",
    )
    # without the scope, or another agency: 403
    r = await client.get("/api/v1/pairings", headers=auth(agency="women_federation", scopes=[]))
    assert r.status_code == 403
    r = await client.get(
        "/api/v1/pairings", headers=auth(agency="police", scopes=["programmes:read"])
    )
    assert r.status_code == 403
    # the federation's other reads of the programme are refused
    for path in ("/api/v1/pairings/without-contact", "/api/v1/caring-mother-wishes"):
        assert (await client.get(path, headers=fed)).status_code == 403


async def test_a_director_lists_only_the_pairings_of_the_village(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    w = World(client, auth, session, settings)
    pid = await w.pairing()
    for user, sees in (
        ("dir1", True),
        ("sup1", True),
        ("dir2", False),
        ("sup2", False),
        ("institute", False),
    ):
        items = (
            await client.get("/api/v1/pairings", headers=auth(user), params={"limit": 500})
        ).json()["items"]
        assert (pid in {x["id"] for x in items}) is sees, user
