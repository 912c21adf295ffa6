"""The worklist: who is due for a scheme and year, with the reason, by town; its generation."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.children.factories import create as create_on_ledger
from tests.conftest import TOWN1, TOWN2, VILLAGE3, AuthHeaders
from tests.insurance.factories import (
    INS,
    YEAR,
    category_changed,
    enrol,
    kid,
    schemes,
    worklist,
)


async def test_a_child_enrolled_on_the_ledger_today_is_due_today(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    await schemes(client, auth)
    child = await create_on_ledger(client, auth("admin"))
    due = await worklist(client, auth)
    item = due[child["id"]]
    assert item["reason"] == "new_child"
    assert item["reason_zh"] == "新纳入保障"
    assert item["status"] is None
    assert item["premium"] == "380.00"
    assert (item["town_code"], item["town_name"]) == (TOWN1, "测试一镇")
    assert item["turns_18_on"] is None
    # an orphan is not due for 普惠保 (de-facto-unsupported children only, by the parameters)
    assert child["id"] not in await worklist(client, auth, scheme="puhuibao")


async def test_the_reasons(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth, years=(YEAR - 1, YEAR))
    renewed, _ = await kid(session, settings)
    r = await enrol(client, auth, renewed, year=YEAR - 1, status="enrolled", policy_number="P-1")
    assert r.status_code == 201, r.text
    changed, _ = await kid(session, settings, category="de_facto_unsupported")
    await category_changed(session, changed, before="poor_family_disabled")
    refused, _ = await kid(session, settings)
    r = await enrol(client, auth, refused, status="refused_by_insurer", reason="资料不全")
    assert r.status_code == 201, r.text
    new, _ = await kid(session, settings)
    due = await worklist(client, auth)
    reasons = {cid: due[str(cid)]["reason"] for cid in (renewed.id, refused.id, new.id)}
    assert reasons == {
        renewed.id: "renewal",
        refused.id: "refused_by_insurer",
        new.id: "new_child",
    }
    assert due[str(refused.id)]["status"] == "refused_by_insurer"
    # the category change matters where it changed the cover: 普惠保 covers the child now
    assert (await worklist(client, auth, scheme="puhuibao"))[str(changed.id)][
        "reason"
    ] == "category_changed"


async def test_turning_18(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    during, _ = await kid(session, settings, birth_date=date(2009, 6, 1))
    on_new_year, _ = await kid(session, settings, birth_date=date(2009, 1, 1))
    before, _ = await kid(session, settings, birth_date=date(2008, 12, 1))
    due = await worklist(client, auth)
    assert due[str(during.id)]["turns_18_on"] == "2027-06-01"
    assert str(on_new_year.id) not in due
    assert str(before.id) not in due


async def test_settled_children_leave_the_list(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    insured, _ = await kid(session, settings)
    submitted, _ = await kid(session, settings)
    waiting, _ = await kid(session, settings)
    r = await enrol(client, auth, insured, status="not_required", reason="已随父母单位参加职工医保")
    assert r.status_code == 201, r.text
    assert r.json()["not_required_reason"] == "已随父母单位参加职工医保"
    assert (await enrol(client, auth, submitted, status="submitted")).status_code == 201
    assert (await enrol(client, auth, waiting)).status_code == 201
    due = await worklist(client, auth)
    assert str(insured.id) not in due
    assert str(submitted.id) not in due
    assert due[str(waiting.id)]["status"] == "due"
    # not_required back to due: on the list again
    e = r.json()
    h = auth("admin") | {"If-Match": f'"{e["version"]}"'}
    back = await client.patch(f"{INS}/enrolments/{e['id']}", json={"status": "due"}, headers=h)
    assert back.status_code == 200, back.text
    assert back.json()["not_required_reason"] is None
    assert str(insured.id) in await worklist(client, auth)


async def test_by_town(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    here, _ = await kid(session, settings)
    there, _ = await kid(session, settings, village_code=VILLAGE3)
    institute, _ = await kid(session, settings, placement="institution")
    everyone = await worklist(client, auth)
    assert {str(here.id), str(there.id), str(institute.id)} <= set(everyone)
    town2 = await worklist(client, auth, area_code=TOWN2)
    assert str(there.id) in town2
    assert str(here.id) not in town2
    assert str(institute.id) not in town2
    # a town supervisor sees the town's villages' children only
    sup1 = await worklist(client, auth, "sup1")
    assert str(here.id) in sup1
    assert str(there.id) not in sup1
    assert str(institute.id) not in sup1
    assert await worklist(client, auth, "sup1", area_code=TOWN2) == {}
    assert str(here.id) in await worklist(client, auth, "leader", area_code=TOWN1)


async def test_generate_the_years_worklist(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    a, _ = await kid(session, settings)
    b, _ = await kid(session, settings, category="de_facto_unsupported")
    body = {"year": YEAR, "scheme": "basic_medical"}
    r = await client.post(f"{INS}/worklist/generate", json=body, headers=auth("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["created"] >= 2
    again = await client.post(f"{INS}/worklist/generate", json=body, headers=auth("admin"))
    assert again.json()["created"] == 0
    assert again.json()["already_due"] == r.json()["created"]
    r = await client.get(
        f"{INS}/enrolments",
        params={"year": YEAR, "scheme": "basic_medical", "limit": 500},
        headers=auth("admin"),
    )
    rows = {e["child_id"]: e for e in r.json()["items"]}
    assert rows[str(a.id)]["status"] == "due"
    assert rows[str(a.id)]["due_reason"] == "new_child"
    assert str(b.id) in rows
    # the due children stay on the worklist until they are submitted
    due = await worklist(client, auth)
    assert due[str(a.id)]["enrolment_id"] == rows[str(a.id)]["id"]


async def test_a_year_without_parameters(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get(
        f"{INS}/worklist", params={"year": 2031, "scheme": "puhuibao"}, headers=auth("admin")
    )
    assert r.status_code == 409
    assert r.json()["code"] == "insurance_scheme_missing"
    r = await client.get(
        f"{INS}/worklist", params={"year": 2031, "scheme": "dental"}, headers=auth("admin")
    )
    assert r.status_code == 422
