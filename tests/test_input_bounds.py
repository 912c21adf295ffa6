"""Bad input is a 422 naming the field, never a 500 (issue 20, finding 9).

Months outside 1900–2100 and money in exponent notation or beyond any benefit used to reach
date arithmetic and Decimal.quantize and fail there.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import AuthHeaders
from tests.subsidies.factories import make_child

QUOTE = "/api/v1/subsidy/quote"
CLAIMS = "/api/v1/subsidy/medical-claims"


def fields(r: httpx.Response) -> list[str]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in r.json()["errors"]]


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1899-12", "2101-01", "20٢٦-06"])
async def test_quote_month_out_of_range_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders, month: str
) -> None:
    r = await client.post(QUOTE, json={"month": month, "category": "orphan"}, headers=auth("admin"))
    assert "month" in fields(r)


@pytest.mark.parametrize(
    "amount",
    ["1e309", "1E+3", "1e2", "-1e309", "NaN", "sNaN", "Infinity", "-inf", "1" * 5000, "0.001"],
)
async def test_claim_amount_not_a_plain_two_place_decimal_is_422(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    amount: str,
) -> None:
    child = await make_child(session, settings)
    body: dict[str, Any] = {
        "child_id": str(child.id),
        "kind": "inpatient",
        "service_date": "2026-05-20",
        "bill_total": amount,
        "basic_insurance_paid": "0.00",
        "other_insurance_paid": "0.00",
    }
    r = await client.post(CLAIMS, json=body, headers=auth("admin"))
    assert "bill_total" in fields(r)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/visits/coverage?month=9999-12", "month"),
        ("/api/v1/visits/coverage?month=0001-01", "month"),
        ("/api/v1/visits?month=9999-12", "month"),
        ("/api/v1/visits/flags?month=9999-12", "month"),
        ("/api/v1/subsidy/payrolls/9999-12", "month"),
        ("/api/v1/subsidy/payrolls/0001-01/lines", "month"),
        ("/api/v1/ledger/9999-12", "month"),
    ],
)
async def test_month_out_of_range_anywhere_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders, url: str, field: str
) -> None:
    r = await client.get(url, headers=auth("admin"))
    assert field in fields(r)


async def test_payroll_for_year_9999_is_422(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.post(
        "/api/v1/subsidy/payrolls", json={"month": "9999-12"}, headers=auth("admin")
    )
    assert "month" in fields(r)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/subsidy/education-grants/%00",
        "/api/v1/subsidy/education-grants/2025-%002026/lines",
        "/api/v1/ledger/2026-0%00",
    ],
)
async def test_nul_in_a_path_parameter_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders, url: str
) -> None:
    # PostgreSQL text cannot hold U+0000: it used to fail at the database (found by the fuzzer)
    r = await client.get(url, headers=auth("admin"))
    assert "path" in fields(r)


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-12:00"])
async def test_visits_updated_since_out_of_range_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders, since: str
) -> None:
    # Year 1 at +08:00 is year 0 in UTC: it reached asyncpg and failed (found by the fuzzer)
    r = await client.get("/api/v1/visits", params={"updated_since": since}, headers=auth("admin"))
    assert "updated_since" in fields(r)
