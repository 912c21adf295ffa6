"""The principal leader's quarterly review 季度审核."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from app.kit.clock import FixedClock
from tests.children.factories import create
from tests.conftest import AuthHeaders

URL = "/api/v1/ledger/reviews"


async def test_leader_signs_each_quarter_once_recording_what_changed(
    client: httpx.AsyncClient, auth: AuthHeaders, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 10, 2, tzinfo=UTC))
    await create(client, auth("admin"), approved_on="2026-03-01")
    r = await client.post(
        URL, json={"quarter": "2026Q1", "comment": "情况清、底数明"}, headers=auth("leader")
    )
    assert r.status_code == 201, r.text
    q1 = r.json()
    assert q1["previous_quarter"] is None
    assert q1["summary"]["additions"] == 1
    assert q1["summary"]["totals"]["total"] == 1
    again = await client.post(
        URL, json={"quarter": "2026Q1", "comment": "再签"}, headers=auth("leader")
    )
    assert again.status_code == 409
    clock.set(datetime(2026, 6, 15, 2, tzinfo=UTC))
    b = await create(client, auth("admin"))
    await client.patch(
        f"/api/v1/children/{b['id']}", json={"school_name": "新学校"},
        headers=auth("admin") | {"If-Match": '"1"'},
    )  # fmt: skip
    await create(client, auth("admin"))
    r = await client.post(
        URL, json={"quarter": "2026Q2", "comment": "已审核"}, headers=auth("leader")
    )
    assert r.status_code == 201
    q2 = r.json()
    assert q2["previous_quarter"] == "2026Q1"
    assert q2["summary"]["from_month"] == "2026-04"
    assert (q2["summary"]["additions"], q2["summary"]["changes"], q2["summary"]["revocations"]) == (
        2,
        1,
        0,
    )
    assert q2["summary"]["totals"]["total"] == 3
    assert q2["signed_by_name"] == "leader"
    listed = await client.get(URL, headers=auth("auditor"))
    assert [x["quarter"] for x in listed.json()["items"]] == ["2026Q1", "2026Q2"]


@pytest.mark.parametrize("user", ["admin", "auditor", "dir1", "institute"])
async def test_only_the_leader_signs(
    client: httpx.AsyncClient, auth: AuthHeaders, user: str
) -> None:
    r = await client.post(URL, json={"quarter": "2026Q2", "comment": "x"}, headers=auth(user))
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quarter": "2026Q5", "comment": "x"}, "quarter"),
        ({"quarter": "2026-Q2", "comment": "x"}, "quarter"),
        ({"quarter": "2026Q3", "comment": "x"}, "quarter"),
        ({"quarter": "2026Q2", "comment": ""}, "comment"),
        ({"quarter": "2026Q2"}, "comment"),
    ],
)
async def test_bad_reviews(
    client: httpx.AsyncClient, auth: AuthHeaders, body: dict[str, str], field: str
) -> None:
    r = await client.post(URL, json=body, headers=auth("leader"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field
    assert (await client.get(URL, headers=auth("leader"))).json()["items"] == []


async def test_reading_reviews_needs_a_district_role(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    assert (await client.get(URL, headers=auth("dir1"))).status_code == 403
    assert (await client.get(URL)).status_code == 401
