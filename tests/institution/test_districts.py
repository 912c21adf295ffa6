"""A city of two districts: each district's welfare institute keeps its own residents, records,
counselling sessions, activities, volunteers and tutoring.

DISTRICT's rows are a 404 by id to DISTRICT_B's offices, absent from their lists and their
monthly report, and DISTRICT's residents cannot be named in their records (422); the reverse
holds for DISTRICT's institute staff, counsellors and offices. An institute child has no
village: it belongs to its `children.district_code` (the district that enrolled it, or whose
village it lived in before), the one rule of every domain."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Child
from tests.conftest import DISTRICT, DISTRICT_B, VILLAGE_B, AuthHeaders, Base
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

A_STAFF = ("admin", "leader", "auditor", "institute")


async def _ids(client: httpx.AsyncClient, auth: AuthHeaders, user: str, path: str) -> list[str]:
    r = await client.get(path, headers=auth(user), params={"limit": 200})
    assert r.status_code == 200, (user, path, r.text)
    return [i["id"] for i in r.json()["items"]]


async def _created(
    client: httpx.AsyncClient, auth: AuthHeaders, user: str, path: str, body: dict[str, Any]
) -> str:
    r = await client.post(path, json=body, headers=auth(user))
    assert r.status_code == 201, (user, path, r.text)
    return str(r.json()["id"])


async def _district(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession,
    settings: Settings, admin: str, counsellor: str | None,
) -> dict[str, Any]:  # fmt: skip
    """One district's institute: a resident (enrolled by `admin`) with a plan, a care record,
    a counselling session, an activity, a volunteer and a tutoring session."""
    district = DISTRICT_B if admin.endswith("_b") else DISTRICT
    child: Child = await resident(
        session, settings, created_by=base.users[admin], district_code=district
    )
    r = await client.put(CARE_PLAN.format(child.id), json=plan(), headers=auth(admin))
    assert r.status_code == 201, r.text
    writer = counsellor or admin
    who = base.users[counsellor] if counsellor else None
    out: dict[str, Any] = {"child": str(child.id)}
    out["record"] = await _created(client, auth, admin, CARE_RECORDS, care_record(child.id))
    if who is not None:
        body = counselling(who, [child.id])
        out["session"] = await _created(client, auth, writer, SESSIONS, body)
    out["activity"] = await _created(client, auth, admin, ACTIVITIES, activity([child.id]))
    out["volunteer"] = await _created(client, auth, admin, VOLUNTEERS, volunteer())
    body = tutoring([out["volunteer"]], [child.id])
    out["tutoring"] = await _created(client, auth, admin, TUTORING, body)
    return out


async def test_each_district_sees_its_own_institute_only(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    a = await _district(client, auth, base, session, settings, "admin", "counsel")
    b = await _district(client, auth, base, session, settings, "admin_b", None)
    lists = {
        "record": CARE_RECORDS,
        "activity": ACTIVITIES,
        "volunteer": VOLUNTEERS,
        "tutoring": TUTORING,
    }
    for key, path in lists.items():
        mine = await _ids(client, auth, "admin_b", path)
        assert b[key] in mine, key
        assert a[key] not in mine, key
        for user in A_STAFF:
            theirs = await _ids(client, auth, user, path)
            assert a[key] in theirs, (user, key)
            assert b[key] not in theirs, (user, key)
    # counselling sessions: B's offices read none of DISTRICT's
    assert a["session"] not in await _ids(client, auth, "admin_b", SESSIONS)
    r = await client.get(f"{SESSIONS}/{a['session']}", headers=auth("admin_b"))
    assert r.status_code == 404, r.text
    # by id: a plan, a volunteer
    for user, other in (("admin_b", a), ("admin", b), ("institute", b)):
        r = await client.get(CARE_PLAN.format(other["child"]), headers=auth(user))
        assert r.status_code == 404, (user, r.text)
        r = await client.get(f"{VOLUNTEERS}/{other['volunteer']}", headers=auth(user))
        assert r.status_code == 404, (user, r.text)
    # the city reads no resident's record
    for user in ("city_admin", "city_viewer"):
        r = await client.get(CARE_PLAN.format(a["child"]), headers=auth(user))
        assert r.status_code in (403, 404), (user, r.text)


async def test_another_districts_resident_and_volunteer_cannot_be_written(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    a = await _district(client, auth, base, session, settings, "admin", "counsel")
    b = await _district(client, auth, base, session, settings, "admin_b", None)
    for user, other in (("admin_b", a), ("institute", b), ("admin", b)):
        r = await client.put(
            CARE_PLAN.format(other["child"]),
            json=plan(),
            headers=auth(user) | {"If-Match": "*"},
        )
        assert r.status_code == 404, (user, r.text)
        r = await client.post(CARE_RECORDS, json=care_record(other["child"]), headers=auth(user))
        assert r.status_code == 422, (user, r.text)
        r = await client.post(ACTIVITIES, json=activity([other["child"]]), headers=auth(user))
        assert r.status_code == 422, (user, r.text)
        r = await client.patch(
            f"{VOLUNTEERS}/{other['volunteer']}",
            json={"phone": "13900000000"},
            headers=auth(user) | {"If-Match": "*"},
        )
        assert r.status_code == 404, (user, r.text)
        # another district's volunteer is unknown to the caller's tutoring sessions
        own_child = (b if other is a else a)["child"]
        r = await client.post(
            TUTORING, json=tutoring([other["volunteer"]], [own_child]), headers=auth(user)
        )
        assert r.status_code == 422, (user, r.text)
    # DISTRICT's counsellor counsels DISTRICT's residents only
    r = await client.post(
        SESSIONS, json=counselling(base.users["counsel"], [b["child"]]), headers=auth("counsel")
    )
    assert r.status_code == 422, r.text
    # B's admin cannot name DISTRICT's counsellor
    r = await client.post(
        SESSIONS,
        json=counselling(base.users["counsel"], [b["child"]]),
        headers=auth("admin_b"),
    )
    assert r.status_code == 422, r.text


async def test_the_monthly_report_counts_the_own_district(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    await _district(client, auth, base, session, settings, "admin", "counsel")
    await _district(client, auth, base, session, settings, "admin", None)
    await _district(client, auth, base, session, settings, "admin_b", None)
    a = (await client.get(REPORTS.format("2026-06"), headers=auth("admin"))).json()
    b = (await client.get(REPORTS.format("2026-06"), headers=auth("admin_b"))).json()
    assert (a["residents"], b["residents"]) == (2, 1)
    assert (a["tutoring_sessions"], b["tutoring_sessions"]) == (2, 1)
    assert (a["counselling"]["sessions"], b["counselling"]["sessions"]) == (1, 0)
    assert (sum(a["care_records"].values()), sum(b["care_records"].values())) == (2, 1)


async def test_a_resident_belongs_to_its_own_district_not_its_enrollers(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    """A child of district B's village, enrolled by DISTRICT's admin (a record keyed in by the
    wrong office, or an account since moved), then placed in the institute: it stays district
    B's (its `district_code`), for the institute as for the ledger, not the enroller's."""
    child = await make_child(session, settings, village=VILLAGE_B, created_by=base.users["admin"])
    child.placement, child.village_code = "institution", None
    await session.commit()
    await session.refresh(child)
    assert child.district_code == DISTRICT_B
    r = await client.put(CARE_PLAN.format(child.id), json=plan(), headers=auth("admin_b"))
    assert r.status_code == 201, r.text
    r = await client.post(CARE_RECORDS, json=care_record(child.id), headers=auth("admin_b"))
    assert r.status_code == 201, r.text
    for user in ("admin", "institute"):
        r = await client.get(CARE_PLAN.format(child.id), headers=auth(user))
        assert r.status_code == 404, (user, r.text)
        r = await client.post(CARE_RECORDS, json=care_record(child.id), headers=auth(user))
        assert r.status_code == 422, (user, r.text)
    a = (await client.get(REPORTS.format("2026-06"), headers=auth("admin"))).json()
    b = (await client.get(REPORTS.format("2026-06"), headers=auth("admin_b"))).json()
    assert (a["residents"], b["residents"]) == (0, 1)
