"""Medical claims: the ratio by category and kind, rounding, bad amounts, the workflow, roles."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import MedicalClaim
from tests.conftest import AuthHeaders
from tests.subsidies.factories import make_child

C = "/api/v1/subsidy/medical-claims"


def claim(child_id: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "child_id": str(child_id),
        "kind": "inpatient",
        "service_date": "2026-05-20",
        "bill_total": "1000.00",
        "basic_insurance_paid": "600.00",
        "other_insurance_paid": "100.00",
    } | overrides


@pytest.mark.parametrize(
    ("category", "kind", "bill", "basic", "other", "remainder", "reimbursable"),
    [
        ("orphan", "inpatient", "1000.00", "600.00", "100.00", "300.00", "300.00"),
        ("orphan", "outpatient", "88.88", "0.00", "0.00", "88.88", "88.88"),
        ("de_facto_unsupported", "outpatient", "333.33", "0.00", "0.00", "333.33", "266.66"),
        ("de_facto_unsupported", "inpatient", "100.01", "0.00", "0.00", "100.01", "85.01"),
        ("de_facto_unsupported", "inpatient", "500.00", "500.00", "0.00", "0.00", "0.00"),
        ("poor_family_disabled", "inpatient", "1000.00", "600.00", "100.00", "300.00", "0.00"),
    ],
)
async def test_reimbursable_by_category_and_kind(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    category: str,
    kind: str,
    bill: str,
    basic: str,
    other: str,
    remainder: str,
    reimbursable: str,
) -> None:
    child = await make_child(session, settings, category=category)
    body = claim(
        child.id, kind=kind, bill_total=bill, basic_insurance_paid=basic, other_insurance_paid=other
    )
    r = await client.post(C, json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["status"] == "submitted"
    assert out["remainder"] == remainder
    assert out["reimbursable"] == reimbursable
    assert out["category"] == category
    if category.startswith("poor_family"):
        assert out["trace"]["reasons"] == ["category_has_ratio"]
    else:
        assert out["trace"]["parameters"][0]["key"] == f"medical.{category}.{kind}_ratio"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bill_total": "-1.00"}, "bill_total"),
        ({"basic_insurance_paid": "-0.01"}, "basic_insurance_paid"),
        ({"basic_insurance_paid": "1000.01"}, "basic_insurance_paid"),
        ({"other_insurance_paid": "400.01"}, "other_insurance_paid"),
        ({"bill_total": 1000.5}, "bill_total"),
        ({"bill_total": "10.001"}, "bill_total"),
        ({"kind": "dental"}, "kind"),
        ({"service_date": "2026-06-16"}, "service_date"),  # tomorrow
        ({"service_date": "2023-12-31"}, "service_date"),  # before the enrolment
        ({"child_id": "x"}, "child_id"),
        ({"note": "x"}, "note"),
    ],
)
async def test_bad_claim_is_422_naming_the_field(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    change: Any,
    field: str,
) -> None:
    child = await make_child(session, settings)
    r = await client.post(C, json=claim(child.id) | change, headers=auth("admin"))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await session.scalar(select(func.count()).select_from(MedicalClaim)) == 0


async def test_workflow_submitted_approved_paid_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    cid = (await client.post(C, json=claim(child.id), headers=auth("admin"))).json()["id"]
    early = await client.post(f"{C}/{cid}/pay", headers=auth("admin"))
    assert early.status_code == 409
    assert early.json()["code"] == "wrong_state"
    approved = await client.post(f"{C}/{cid}/approve", headers=auth("leader"))
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "leader"
    assert (
        await client.post(f"{C}/{cid}/reject", json={"reason": "x"}, headers=auth("admin"))
    ).status_code == 409
    paid = await client.post(f"{C}/{cid}/pay", headers=auth("admin"))
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    twice = await client.post(f"{C}/{cid}/pay", headers=auth("admin"))
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_paid"
    got = await client.get(f"{C}/{cid}", headers=auth("auditor"))
    assert got.json()["status"] == "paid"
    assert got.json()["paid_by"] == "admin"


async def test_rejection_keeps_the_reason(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    cid = (await client.post(C, json=claim(child.id), headers=auth("admin"))).json()["id"]
    empty = await client.post(f"{C}/{cid}/reject", json={"reason": ""}, headers=auth("leader"))
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "reason"
    r = await client.post(f"{C}/{cid}/reject", json={"reason": "票据不全"}, headers=auth("leader"))
    assert r.json()["status"] == "rejected"
    assert r.json()["rejection_reason"] == "票据不全"
    assert (await client.post(f"{C}/{cid}/pay", headers=auth("admin"))).status_code == 409


async def test_claim_roles_and_jurisdiction(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    dispersed = await make_child(session, settings)
    resident = await make_child(session, settings, placement="institution")
    for who in ("dir1", "sup1", "leader", "auditor"):
        assert (
            await client.post(C, json=claim(dispersed.id), headers=auth(who))
        ).status_code == 403
    assert (
        await client.post(C, json=claim(dispersed.id), headers=auth(agency="health"))
    ).status_code == 403
    # Institute staff file claims for the institute's children only.
    refused = await client.post(C, json=claim(dispersed.id), headers=auth("institute"))
    assert refused.status_code == 404
    assert refused.json()["code"] == "child_not_found"
    mine = await client.post(C, json=claim(resident.id), headers=auth("institute"))
    assert mine.status_code == 201
    other = (await client.post(C, json=claim(dispersed.id), headers=auth("admin"))).json()["id"]
    listed = await client.get(C, headers=auth("institute"))
    assert [c["id"] for c in listed.json()["items"]] == [mine.json()["id"]]
    assert (await client.get(f"{C}/{other}", headers=auth("institute"))).status_code == 404
    for who in ("dir1", "sup1"):
        assert (await client.get(C, headers=auth(who))).status_code == 403
    for who in ("institute", "auditor", "dir1"):
        assert (await client.post(f"{C}/{other}/approve", headers=auth(who))).status_code == 403
    # An admin approves, but not a claim they filed themselves (four eyes).
    assert (await client.post(f"{C}/{other}/approve", headers=auth("admin"))).status_code == 403
    theirs = mine.json()["id"]
    assert (await client.post(f"{C}/{theirs}/approve", headers=auth("admin"))).status_code == 200
    assert (await client.post(f"{C}/{theirs}/pay", headers=auth("leader"))).status_code == 403
    all_claims = await client.get(C, params={"status": "approved"}, headers=auth("auditor"))
    assert [c["id"] for c in all_claims.json()["items"]] == [theirs]
