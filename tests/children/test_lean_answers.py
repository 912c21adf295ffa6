"""The child's record and the list of children answered on the lean path (issue 30): byte for
byte what the schemas' validation and dump made, for every kind of caller and record."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import TypeAdapter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children.projection import project_for_agency, shaped, view
from app.children.schemas import ChildOut, ChildPartnerView
from app.kit.context import RequestContext
from app.kit.pagination import Page
from app.models import AuditEntry, Child
from tests.children.factories import create, institution_body, new_id
from tests.conftest import VILLAGE1, AuthHeaders
from tests.incidents.factories import report

URL = "/api/v1/children"
ONE = TypeAdapter(ChildOut | ChildPartnerView)
PAGE = TypeAdapter(Page[ChildOut | ChildPartnerView])
AGENCIES = ("police", "health", "education", "disabled_federation")
ODD = 'a "quoted" \\ back\u2028slash </script> 😀 \x7f 全角'


async def _refer(client: httpx.AsyncClient, auth: AuthHeaders, child_id: str, agency: str) -> None:
    incident = report(uuid.UUID(child_id))
    r = await client.post("/api/v1/incidents", json=incident, headers=auth("admin"))
    assert r.status_code == 201, r.text
    if agency != "police":
        r = await client.post(
            f"/api/v1/incidents/{incident['id']}/referrals",
            json={"agency": agency},
            headers=auth("admin"),
        )
        assert r.status_code == 201, r.text


async def _records(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> list[str]:
    """Records of every shape: rich facts, the institute's, a revoked one, review flags."""
    admin = auth("admin")
    rich = await create(
        client, admin, id_number=new_id(date(2012, 7, 9), "female"),
        category="poor_family_disabled", parents=[], household_assistance="low_income",
        disability={"kind": "hearing", "grade": 2, "certificate_no": "D-1"},
        serious_illness={"diagnosis": "白血病", "diagnosed_on": "2025-03-01", "hospital": ODD},
        guardians=[{"name": ODD, "relation": "祖母", "phone": "13800000000"}],
        school_stage="senior_secondary", school_name="第一中学", school_enrolment_year=2025,
        insurance={"basic_medical": True, "puhuibao": True, "supplementary": False},
    )  # fmt: skip
    institute = await create(client, admin, **institution_body(id_number=new_id()))
    revoked = await create(client, admin, id_number=new_id(date(2009, 1, 2)))
    r = await client.post(
        f"{URL}/{revoked['id']}/revoke",
        json={"reason": "adopted", "effective_on": "2026-05-01", "note": ODD},
        headers=admin | {"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    flagged = (await session.execute(select(Child).where(Child.id == rich["id"]))).scalar_one()
    flagged.review_flags = [
        {"rule": "r1", "field": "parents.0", "reason_zh": "需复核", "reason_en": "Review",
         "flagged_on": "2026-02-03", "extra": 1},
    ]  # fmt: skip
    flagged.reverify_on = date(2026, 2, 3)
    await session.flush()
    return [rich["id"], institute["id"], revoked["id"]]


def _ctx(app: FastAPI, principal: Principal) -> RequestContext:
    state = app.state
    return RequestContext(
        principal=principal,
        clock=state.clock,
        settings=state.settings,
        keyring=state.keyring,
        now=state.clock.now(),
    )


def _staff(app: FastAPI, child: Child, *, reveal: bool) -> Any:
    who = Principal(kind="user", id=uuid.uuid4(), name="x", role="district_admin")
    return shaped(view(child, _ctx(app, who), reveal=reveal))


def _partner(app: FastAPI, child: Child, agency: str) -> Any:
    return shaped(project_for_agency(agency, child, app.state.keyring))


async def _orm(session: AsyncSession, ids: list[str]) -> dict[str, Child]:
    stmt = select(Child).where(Child.id.in_(ids)).execution_options(populate_existing=True)
    rows = (await session.execute(stmt)).scalars().all()
    return {str(c.id): c for c in rows}


async def test_a_record_is_the_models_bytes_for_every_caller(
    app: FastAPI, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    ids = await _records(client, auth, session)
    children = await _orm(session, ids)
    for cid in ids:
        child = children[cid]
        # a revealer (district admin, institution staff) and one who sees the mask
        for who, reveal in (("admin", True), ("institute", True), ("leader", False)):
            r = await client.get(f"{URL}/{cid}", headers=auth(who))
            if who == "institute" and child.placement != "institution":
                assert r.status_code == 404
                continue
            assert r.status_code == 200, r.text
            expected = ONE.dump_json(_staff(app, child, reveal=reveal), exclude_unset=True)
            assert r.content == expected, who
            assert r.headers["content-type"] == "application/json"
            assert r.headers["etag"] == f'"{child.version}"'
        assert (await client.get(f"{URL}/{cid}", headers=auth("dir1"))).status_code == (
            200 if child.village_code == VILLAGE1 else 404
        )
    for agency in AGENCIES:
        for cid in ids:
            await _refer(client, auth, cid, agency)
            r = await client.get(f"{URL}/{cid}", headers=auth(agency=agency))
            assert r.status_code == 200, r.text
            expected = ONE.dump_json(_partner(app, children[cid], agency), exclude_unset=True)
            assert r.content == expected, agency


async def test_a_page_is_the_models_bytes_for_every_caller(
    app: FastAPI, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    ids = await _records(client, auth, session)
    for agency in AGENCIES:
        for cid in ids:
            await _refer(client, auth, cid, agency)
    children = await _orm(session, ids)
    for who in ("admin", "leader", "dir1", "institute"):
        for limit in (2, 50):
            r = await client.get(URL, params={"limit": limit}, headers=auth(who))
            assert r.status_code == 200, r.text
            page = r.json()
            shown = await _orm(session, [i["id"] for i in page["items"]])
            items = [_staff(app, shown[i["id"]], reveal=False) for i in page["items"]]
            expected = PAGE.dump_json(
                Page(items=items, next_cursor=page["next_cursor"]), exclude_unset=True
            )
            assert r.content == expected, who
    for agency in AGENCIES:
        r = await client.get(URL, headers=auth(agency=agency))
        assert r.status_code == 200, r.text
        page = r.json()
        assert sorted(i["id"] for i in page["items"]) == sorted(ids)
        items = [_partner(app, children[i["id"]], agency) for i in page["items"]]
        expected = PAGE.dump_json(Page(items=items, next_cursor=None), exclude_unset=True)
        assert r.content == expected, agency
        # an agency's page is audited as a read of each child on it
        entry = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.action == "child.list", AuditEntry.principal_kind == "agency")
                    .order_by(AuditEntry.id.desc())
                    .limit(1)
                )
            )
            .scalars()
            .one()
        )
        assert entry.detail == {"count": 3, "ids": [i["id"] for i in page["items"]]}


async def test_paging_through_every_filter_finds_each_child_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    ids = await _records(client, auth, session)
    more = [(await create(client, auth("admin")))["id"] for _ in range(4)]
    for params in (
        {},
        {"category": "orphan"},
        {"placement": "dispersed", "status": "active"},
        {"area_code": VILLAGE1},
        {"updated_since": "2000-01-01T00:00:00+08:00"},
        {"status": "revoked"},
    ):
        seen: list[str] = []
        cursor = None
        for _ in range(20):
            q = params | {"limit": 2} | ({"cursor": cursor} if cursor else {})
            r = await client.get(URL, params=q, headers=auth("admin"))
            assert r.status_code == 200, r.text
            seen += [i["id"] for i in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)), params
        whole = await client.get(URL, params=params | {"limit": 500}, headers=auth("admin"))
        assert seen == [i["id"] for i in whole.json()["items"]], params
        if not params:
            assert set(ids + more) <= set(seen)
    bad = await client.get(URL, params={"cursor": "garbage"}, headers=auth("admin"))
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["cursor"]


async def test_a_listed_child_changed_in_any_way_is_listed_as_it_is_now(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    """The list keeps the items it made (by the row's every value): a change through the API,
    and one made in the database without a new version (a script, a migration), are both
    seen at once."""
    c = await create(client, auth("admin"), school_name="旧学校")

    async def listed() -> dict[str, Any]:
        r = await client.get(URL, params={"limit": 500}, headers=auth("admin"))
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        [item] = [i for i in items if i["id"] == c["id"]]
        return item

    assert (await listed())["school_name"] == "旧学校"
    assert (await listed())["school_name"] == "旧学校"  # made once, answered again
    r = await client.patch(
        f"{URL}/{c['id']}",
        json={"school_name": "新学校"},
        headers=auth("admin") | {"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    now = await listed()
    assert (now["school_name"], now["version"]) == ("新学校", 2)
    await session.execute(
        update(Child)
        .where(Child.id == c["id"])
        .values(guardians=[{"name": "改过的监护人", "relation": "祖父", "phone": None}])
    )
    after = await listed()
    assert after["guardians"] == [{"name": "改过的监护人", "relation": "祖父", "phone": None}]
    assert after["version"] == 2
