"""Standards (effective-dated, append-only) and quotes with traces."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEntry, SubsidyStandard
from app.subsidies.parameters import ParameterSet
from tests.conftest import VILLAGE1, VILLAGE3, AuthHeaders
from tests.subsidies.factories import make_child

S = "/api/v1/subsidy/standards"
Q = "/api/v1/subsidy/quote"
NEW = {
    "key": "living_allowance.standard",
    "value": "2800.00",
    "effective_from": "2027-01-01",
    "reference": "测试：2027 年新标准",
}


async def test_standards_are_seeded_and_readable_by_staff(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.get(S, params={"limit": 500}, headers=auth("dir1"))
    assert r.status_code == 200
    values = {(s["key"], s["effective_from"]): s for s in r.json()["items"]}
    standard = values[("living_allowance.standard", "2023-07-01")]
    assert standard["value"] == "2650.00"
    assert standard["source"] == "seed"
    assert "246号" in standard["reference"]
    assert values[("living_allowance.poor_family_ratio", "2023-07-01")]["value"] == "0.40"
    assert values[("education_grant.eligible_stages", "2023-07-01")]["value"] == [
        "senior_secondary",
        "secondary_vocational",
        "higher_vocational",
        "undergraduate",
    ]
    assert values[("support_after_18_in_school", "2023-07-01")]["value"] is True
    assert len(values) == len(ParameterSet.seed())
    only = await client.get(
        S, params={"key": "medical.orphan.inpatient_ratio"}, headers=auth("dir1")
    )
    assert [s["value"] for s in only.json()["items"]] == ["1.00"]
    assert (await client.get(S)).status_code == 401
    assert (await client.get(S, headers=auth(agency="health"))).status_code == 403


async def test_a_new_standard_applies_from_its_month_and_the_40_percent_follows(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(S, json=NEW, headers=auth("admin"))
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "api"
    assert r.json()["created_by"] == "admin"
    assert r.json()["retroactive"] is False

    async def amount(category: str, month: str) -> str:
        q = await client.post(Q, json={"category": category, "month": month}, headers=auth("admin"))
        assert q.status_code == 200, q.text
        return str(q.json()["items"][0]["amount"])

    assert await amount("orphan", "2026-12") == "2650.00"
    assert await amount("orphan", "2027-01") == "2800.00"
    assert await amount("poor_family_disabled", "2026-12") == "1060.00"
    assert await amount("poor_family_disabled", "2027-01") == "1120.00"


async def test_a_value_is_never_replaced(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    assert (await client.post(S, json=NEW, headers=auth("admin"))).status_code == 201
    again = await client.post(S, json=NEW | {"value": "2900.00"}, headers=auth("admin"))
    assert again.status_code == 409
    assert again.json()["code"] == "standard_exists"


async def test_the_table_refuses_update_and_delete(session: AsyncSession) -> None:
    with pytest.raises(DBAPIError):
        async with session.begin_nested():
            await session.execute(text("UPDATE subsidy_standards SET reference = 'x'"))
    with pytest.raises(DBAPIError):
        async with session.begin_nested():
            await session.execute(text("DELETE FROM subsidy_standards"))
    assert await session.scalar(select(func.count()).select_from(SubsidyStandard)) == len(
        ParameterSet.seed()
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value": 2800.0}, "value"),
        ({"value": "2800.5"}, "value"),
        ({"value": "-1.00"}, "value"),
        ({"key": "living_allowance.poor_family_ratio", "value": "1.50"}, "value"),
        ({"key": "education_grant.eligible_stages", "value": ["kindergarten"]}, "value"),
        ({"key": "no.such.key"}, "key"),
        ({"reference": ""}, "reference"),
        ({"effective_from": "2027-02-30"}, "effective_from"),
        ({"extra": True}, "extra"),
    ],
)
async def test_bad_standard_is_422_naming_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, change: Any, field: str
) -> None:
    r = await client.post(S, json=NEW | change, headers=auth("admin"))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await session.scalar(select(func.count()).select_from(SubsidyStandard)) == len(
        ParameterSet.seed()
    )


@pytest.mark.parametrize("who", ["leader", "auditor", "institute", "sup1", "dir1"])
async def test_only_district_admins_append_standards(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    assert (await client.post(S, json=NEW, headers=auth(who))).status_code == 403


# ----------------------------------------------------------------------------------- quotes


async def test_quote_by_category_with_traces(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.post(
        Q, json={"category": "poor_family_seriously_ill", "month": "2026-06"}, headers=auth("sup1")
    )
    assert r.status_code == 200
    body = r.json()
    assert body["month"] == "2026-06"
    assert [(i["benefit"], i["amount"]) for i in body["items"]] == [
        ("living_allowance", "1060.00"),
        ("holiday_condolence", "300.00"),
    ]
    assert body["total"] == "1360.00"
    trace = body["items"][0]["trace"]
    assert trace["rule"] == "living_allowance"
    assert [p["key"] for p in trace["parameters"]] == [
        "living_allowance.standard",
        "living_allowance.poor_family_ratio",
    ]
    assert trace["parameters"][0]["effective_from"] == "2023-07-01"
    assert [s["name"] for s in trace["steps"]] == [
        "standard",
        "standard_times_ratio",
        "rounded_half_up_to_fen",
    ]
    assert "1060" in trace["explanation"]["zh"]


async def test_quote_in_september_includes_the_grant(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(
        Q,
        json={
            "category": "orphan",
            "month": "2025-09",
            "facts": {"birth_date": "2009-02-01", "school_stage": "senior_secondary"},
        },
        headers=auth("admin"),
    )
    items = {i["benefit"]: i for i in r.json()["items"]}
    assert items["education_grant"]["amount"] == "10000.00"
    assert items["living_allowance"]["amount"] == "2650.00"


async def test_quote_explains_a_zero(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.post(
        Q,
        json={"category": "orphan", "month": "2026-03", "facts": {"birth_date": "2008-02-10"}},
        headers=auth("admin"),
    )
    item = r.json()["items"][0]
    assert item["amount"] == "0.00"
    assert item["eligible"] is False
    assert item["trace"]["reasons"] == ["within_18th_birthday_month"]


async def test_quote_for_a_child_is_jurisdiction_checked_and_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings, village_code=VILLAGE1)
    body = {"child_id": str(child.id), "month": "2026-05"}
    mine = await client.post(Q, json=body, headers=auth("dir1"))
    assert mine.status_code == 200
    assert mine.json()["category"] == "orphan"
    assert mine.json()["items"][0]["trace"]["inputs"]["child"]["approved_on"] == "2024-01-10"
    audit = (
        (
            await session.execute(
                select(AuditEntry).where(
                    AuditEntry.action == "subsidy.quote", AuditEntry.resource_id == str(child.id)
                )
            )
        )
        .scalars()
        .all()
    )
    assert len(audit) == 1
    assert (await client.post(Q, json=body, headers=auth("dir3"))).status_code == 404
    assert (await client.post(Q, json=body, headers=auth("sup2"))).status_code == 404
    assert (await client.post(Q, json=body, headers=auth("institute"))).status_code == 404
    other = await make_child(session, settings, village_code=VILLAGE3)
    r = await client.post(
        Q, json={"child_id": str(other.id), "month": "2026-05"}, headers=auth("dir1")
    )
    assert r.status_code == 404
    # One "child not found" across the domains (app.children.errors.ChildNotFound).
    assert r.json()["code"] == "child_not_found"
    assert (await client.post(Q, json=body, headers=auth(agency="police"))).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"month": "2026-06"}, "child_id"),
        (
            {
                "category": "orphan",
                "child_id": "8f14e45f-ceea-467f-a0f6-1ad4a8a42b0d",
                "month": "2026-06",
            },
            "child_id",
        ),
        ({"category": "orphan", "month": "2026-00"}, "month"),
        ({"category": "orphan", "month": "2020-06"}, "month"),  # no standard in force then
        ({"category": "migrant", "month": "2026-06"}, "category"),
        (
            {
                "category": "orphan",
                "month": "2026-06",
                "facts": {"birth_date": "2015-01-01", "approved_on": "2014-01-01"},
            },
            "facts.approved_on",
        ),
        (
            {"category": "orphan", "month": "2026-06", "facts": {"school_stage": "kindergarten"}},
            "facts.school_stage",
        ),
    ],
)
async def test_bad_quote_is_422_naming_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, body: Any, field: str
) -> None:
    r = await client.post(Q, json=body, headers=auth("admin"))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
