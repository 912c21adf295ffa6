"""自然增长机制，每两年调整一次: the standard S (2650.00 from 2023-07-01) is due for review once it
has been in force for 24 months — in the standards list and on the dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from app.kit.clock import FixedClock
from app.subsidies.parameters import ParameterSet, ParameterValue
from app.subsidies.standards.review import standard_review
from tests.conftest import AuthHeaders

S = "/api/v1/subsidy/standards"
D = "/api/v1/dashboard/summary"
MONTH_23 = datetime(2025, 6, 30, 2, 0, tzinfo=UTC)  # 2025-06-30 in Beijing: 23 months
MONTH_24 = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)  # 2025-07-01 in Beijing: 24 months


@pytest.mark.parametrize(("now", "due", "months"), [(MONTH_23, False, 23), (MONTH_24, True, 24)])
async def test_review_due_after_24_months_in_the_list_and_on_the_dashboard(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    clock: FixedClock,
    now: datetime,
    due: bool,
    months: int,
) -> None:
    clock.set(now)
    r = await client.get(S, headers=auth("dir1"))
    assert r.status_code == 200, r.text
    assert r.json()["standard_review"] == {
        "key": "living_allowance.standard",
        "value": "2650.00",
        "in_force_since": "2023-07-01",
        "review_due_on": "2025-07-01",
        "review_due": due,
        "months_in_force": months,
        "next_effective_from": None,
    }
    board = await client.get(D, headers=auth("leader"))
    assert board.status_code == 200, board.text
    section = board.json()["sections"]["standard_review"]
    assert (section["review_due"], section["review_due_on"]) == (due, "2025-07-01")


async def test_an_appended_standard_is_the_adjustment_no_review_due(
    client: httpx.AsyncClient, auth: AuthHeaders, clock: FixedClock
) -> None:
    clock.set(MONTH_24)
    new = await client.post(
        S,
        json={
            "key": "living_allowance.standard",
            "value": "2800.00",
            "effective_from": "2025-09-01",
            "reference": "test: a hypothetical adjustment",
        },
        headers=auth("admin"),
    )
    assert new.status_code == 201, new.text
    review = (await client.get(S, headers=auth("admin"))).json()["standard_review"]
    assert (review["review_due"], review["next_effective_from"]) == (False, "2025-09-01")


async def test_town_supervisors_see_no_review_section(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    board = await client.get(D, headers=auth("sup1"))
    assert board.status_code == 200, board.text
    assert "standard_review" not in board.json()["sections"]


def test_the_new_standard_starts_its_own_two_years() -> None:
    params = ParameterSet.seed().with_values(
        ParameterValue.parse("living_allowance.standard", "2800.00", "2025-09-01", "test")
    )
    review = standard_review(params, date(2027, 8, 31))
    assert (review.in_force_since, review.review_due_on, review.review_due) == (
        date(2025, 9, 1),
        date(2027, 9, 1),
        False,
    )
    assert standard_review(params, date(2027, 9, 1)).review_due is True
