"""Support after 18 in full-time schooling (domain.md §5; `support_after_18_in_school`).

An orphan or de-facto-unsupported child who turns 18 in full-time schooling stays on the ledger
as `continued_schooling` until the normal end of that schooling, keeps the living allowance and
is paid the education grant; leaving school or the end of the schooling ends it as an age-out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.children import continued
from app.config import Settings
from app.kit.clock import FixedClock
from app.models import Child
from tests.conftest import AuthHeaders
from tests.subsidies.factories import make_child

C = "/api/v1/children"
P = "/api/v1/subsidy/payrolls"
G = "/api/v1/subsidy/education-grants"
BIRTH = date(2008, 3, 10)  # 18 on 2026-03-10
SEPTEMBER = datetime(2026, 9, 10, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


async def _undergraduate(session: AsyncSession, settings: Settings, **overrides: Any) -> Child:
    """An orphan in the first year of a 4-year undergraduate course begun in September 2025."""
    values: dict[str, Any] = {
        "birth_date": BIRTH,
        "parents": [
            {"relation": "father", "situation": "deceased", "since": "2016-05-01"},
            {"relation": "mother", "situation": "deceased", "since": "2016-05-01"},
        ],
        "school_stage": "undergraduate",
        "school_enrolment_year": 2025,
    }
    return await make_child(session, settings, **(values | overrides))


async def _lines(client: httpx.AsyncClient, auth: AuthHeaders, url: str) -> dict[str, Any]:
    r = await client.get(url, params={"limit": 500}, headers=auth("admin"))
    assert r.status_code == 200, r.text
    return {line["child_id"]: line for line in r.json()["items"]}


async def _record(client: httpx.AsyncClient, auth: AuthHeaders, child: Child) -> httpx.Response:
    # The district leader reads the masked record (the factory's ID is not for a reveal).
    r = await client.get(f"{C}/{child.id}", headers=auth("leader"))
    assert r.status_code == 200, r.text
    return r


async def test_an_18_year_old_undergraduate_stays_on_the_ledger_paid_the_allowance_and_grant(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    student = await _undergraduate(session, settings)
    clock.set(SEPTEMBER)
    assert await continued.settle_all(session, clock.now()) == {"continued_schooling": 1}

    record = (await _record(client, auth, student)).json()
    assert record["status"] == "continued_schooling"
    assert record["schooling_ends_on"] == "2029-08-31"  # 2025 + 4 years, 31 August
    history = (await client.get(f"{C}/{student.id}/history", headers=auth("admin"))).json()
    assert history[-1]["changes"] == [
        {"field": "status", "from": "active", "to": "continued_schooling"}
    ]
    assert history[-1]["effective_on"] == "2026-03-10"
    listed = await client.get(C, params={"status": "continued_schooling"}, headers=auth("admin"))
    assert [c["id"] for c in listed.json()["items"]] == [str(student.id)]

    run = await client.post(P, json={"month": "2026-09"}, headers=auth("admin"))
    assert run.status_code == 201, run.text
    line = (await _lines(client, auth, f"{P}/2026-09/lines"))[str(student.id)]
    assert line["amount"] == "2650.00"
    assert "support_after_18_in_school" in line["reason"]
    assert "年满18周岁仍在校" in line["reason"]
    assert [p["key"] for p in line["parameters"]] == [
        "support_after_18_in_school",
        "living_allowance.standard",
    ]
    assert line["facts"]["status"] == "continued_schooling"
    assert line["facts"]["schooling_ends_on"] == "2029-08-31"

    grants = await client.post(G, json={"school_year": "2026-2027"}, headers=auth("admin"))
    assert grants.status_code == 201, grants.text
    grant = (await _lines(client, auth, f"{G}/2026-2027/lines"))[str(student.id)]
    assert grant["amount"] == "10000.00"
    assert "support_after_18_in_school" in [p["key"] for p in grant["parameters"]]

    quote = await client.post(
        "/api/v1/subsidy/quote",
        json={"child_id": str(student.id), "month": "2026-09"},
        headers=auth("admin"),
    )
    items = {i["benefit"]: i for i in quote.json()["items"]}
    checks = {c["code"]: c for c in items["living_allowance"]["trace"]["checks"]}
    assert checks["continued_schooling_after_18"]["passed"] is True
    assert "年满18周岁仍在校" in checks["continued_schooling_after_18"]["zh"]
    assert items["education_grant"]["amount"] == "10000.00"


async def test_with_the_parameter_off_the_undergraduate_ages_out(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    off = await client.post(
        "/api/v1/subsidy/standards",
        json={
            "key": "support_after_18_in_school",
            "value": False,
            "effective_from": "2026-01-01",
            "reference": "test: support after 18 in school switched off",
        },
        headers=auth("admin"),
    )
    assert off.status_code == 201, off.text
    assert off.json()["value"] is False
    student = await _undergraduate(session, settings)
    clock.set(SEPTEMBER)
    assert await continued.settle_all(session, clock.now()) == {}
    assert (await _record(client, auth, student)).json()["status"] == "active"

    due = await client.get(f"{C}/due-for-revocation", headers=auth("admin"))
    mine = next(d for d in due.json() if d["id"] == str(student.id))
    assert mine["overdue"] is True
    assert mine["continues_schooling_until"] is None

    assert (await client.post(P, json={"month": "2026-09"}, headers=auth("admin"))).is_success
    assert str(student.id) not in await _lines(client, auth, f"{P}/2026-09/lines")
    assert (
        await client.post(G, json={"school_year": "2026-2027"}, headers=auth("admin"))
    ).is_success
    assert str(student.id) not in await _lines(client, auth, f"{G}/2026-2027/lines")


async def test_a_child_not_in_school_ages_out_as_before(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    worker = await make_child(session, settings, birth_date=BIRTH, school_stage="not_in_school")
    clock.set(SEPTEMBER)
    assert await continued.settle_all(session, clock.now()) == {}
    assert (await _record(client, auth, worker)).json()["status"] == "active"
    due = await client.get(f"{C}/due-for-revocation", headers=auth("admin"))
    mine = next(d for d in due.json() if d["id"] == str(worker.id))
    assert (mine["turns_18_on"], mine["overdue"]) == ("2026-03-10", True)
    assert (await client.post(P, json={"month": "2026-03"}, headers=auth("admin"))).is_success
    assert (await _lines(client, auth, f"{P}/2026-03/lines"))[str(worker.id)]["reason"] is None
    assert (await client.post(P, json={"month": "2026-04"}, headers=auth("admin"))).is_success
    assert str(worker.id) not in await _lines(client, auth, f"{P}/2026-04/lines")


async def test_leaving_school_ends_continued_schooling_as_an_age_out(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    student = await _undergraduate(session, settings)
    clock.set(SEPTEMBER)
    await continued.settle_all(session, clock.now())
    record = await _record(client, auth, student)
    r = await client.patch(
        f"{C}/{student.id}",
        json={"school_stage": "not_in_school", "reason": "退学"},
        headers=auth("admin") | {"If-Match": record.headers["etag"]},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["status"], out["revoke_reason"], out["revoked_on"]) == (
        "revoked",
        "aged_out",
        "2026-09-10",
    )
    assert out["school_enrolment_year"] is None
    history = (await client.get(f"{C}/{student.id}/history", headers=auth("admin"))).json()
    assert [e["kind"] for e in history[-2:]] == ["changed", "revoked"]


async def test_changing_stage_in_continued_schooling_needs_the_new_schooling_dates(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    student = await _undergraduate(
        session, settings, school_stage="senior_secondary", school_enrolment_year=2024
    )
    clock.set(SEPTEMBER)
    await continued.settle_all(session, clock.now())
    record = await _record(client, auth, student)
    assert record.json()["status"] == "continued_schooling"
    headers = auth("admin") | {"If-Match": record.headers["etag"]}
    bare = await client.patch(
        f"{C}/{student.id}", json={"school_stage": "undergraduate"}, headers=headers
    )
    assert bare.status_code == 422
    assert bare.json()["errors"][0]["field"] == "school_enrolment_year"
    ok = await client.patch(
        f"{C}/{student.id}",
        json={"school_stage": "undergraduate", "school_enrolment_year": 2026},
        headers=headers,
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["status"], ok.json()["schooling_ends_on"]) == (
        "continued_schooling",
        "2030-08-31",
    )


async def test_the_end_of_the_schooling_revokes_from_that_day(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    student = await _undergraduate(
        session,
        settings,
        category="de_facto_unsupported",
        parents=[
            {"relation": "father", "situation": "deceased", "since": "2016-05-01"},
            {"relation": "mother", "situation": "deported", "since": "2019-05-01"},
        ],
        school_stage="secondary_vocational",
        school_enrolment_year=2023,
        school_expected_end_on=date(2026, 7, 15),
        placement="institution",
        village_code=None,
    )
    assert await continued.settle_all(session, clock.now()) == {"continued_schooling": 1}
    clock.set(SEPTEMBER)
    assert await continued.settle_all(session, clock.now()) == {"aged_out": 1}
    out = (await _record(client, auth, student)).json()
    assert (out["status"], out["revoke_reason"], out["revoked_on"]) == (
        "revoked",
        "aged_out",
        "2026-07-15",
    )
    assert (await client.post(P, json={"month": "2026-07"}, headers=auth("admin"))).is_success
    assert (await _lines(client, auth, f"{P}/2026-07/lines"))[str(student.id)]["amount"] == (
        "2650.00"
    )
    assert (await client.post(P, json={"month": "2026-08"}, headers=auth("admin"))).is_success
    assert str(student.id) not in await _lines(client, auth, f"{P}/2026-08/lines")


async def test_a_quote_by_category_for_an_adult_student(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    def body(ends: str | None) -> dict[str, Any]:
        facts = {"birth_date": "2008-03-10", "school_stage": "higher_vocational"}
        return {
            "category": "de_facto_unsupported",
            "month": "2026-09",
            "facts": facts | ({"schooling_ends_on": ends} if ends else {}),
        }

    r = await client.post("/api/v1/subsidy/quote", json=body("2028-08-31"), headers=auth("admin"))
    assert r.status_code == 200, r.text
    items = {i["benefit"]: i for i in r.json()["items"]}
    assert items["living_allowance"]["amount"] == "2650.00"
    assert items["education_grant"]["amount"] == "8000.00"
    unknown = await client.post("/api/v1/subsidy/quote", json=body(None), headers=auth("admin"))
    assert unknown.json()["items"][0]["trace"]["reasons"] == ["within_18th_birthday_month"]
