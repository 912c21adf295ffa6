"""Tracing, placements and family assessments: what they record, and bad input per field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import AuthHeaders
from tests.protection.factories import API, create, id_number, post


async def test_steps_are_recorded_in_order_and_bump_the_version(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth)
    r = await post(
        client,
        auth,
        out["id"],
        "tracing",
        {"method": "public_notice", "traced_on": "2026-06-15", "result": "已发布寻亲公告"},
        user="protect",
    )
    assert r.status_code == 201, r.text
    assert r.headers["ETag"] == '"2"'
    assert [t["method"] for t in r.json()["tracing"]] == ["public_notice"]
    assert r.json()["tracing"][0]["recorded_by"] == "protect"
    r = await post(
        client,
        auth,
        out["id"],
        "placements",
        {"setting": "family_foster_care", "start_on": "2026-06-15", "with_whom": "寄养家庭甲"},
    )
    assert r.status_code == 201
    assert r.headers["ETag"] == '"3"'
    settings = [(p["setting"], p["end_on"]) for p in r.json()["placements"]]
    assert settings == [("centre", "2026-06-15"), ("family_foster_care", None)]
    assert r.json()["current_placement"]["setting"] == "family_foster_care"


@pytest.mark.parametrize(
    ("step", "body", "field"),
    [
        ("tracing", {"method": "astrology", "traced_on": "2026-06-15"}, "method"),
        ("tracing", {"method": "dna", "traced_on": "2026-06-16"}, "traced_on"),
        ("tracing", {"method": "dna", "traced_on": "2026-06-14"}, "traced_on"),
        ("tracing", {"method": "dna"}, "traced_on"),
        ("tracing", {"method": "dna", "traced_on": "2026-06-15", "result": "x" * 2001}, "result"),
        ("placements", {"setting": "hotel", "start_on": "2026-06-15"}, "setting"),
        ("placements", {"setting": "relatives", "start_on": "2026-06-15"}, "with_whom"),
        (
            "placements",
            {"setting": "centre", "start_on": "2026-06-15", "end_on": "2026-06-14"},
            "end_on",
        ),
        ("placements", {"setting": "centre", "start_on": "2026-06-20"}, "start_on"),
        ("family-assessments", {"assessed_on": "2026-06-15", "conclusion": "maybe"}, "conclusion"),
        (
            "family-assessments",
            {"assessed_on": "15/06/2026", "conclusion": "not_safe"},
            "assessed_on",
        ),
        ("family-assessments", {"conclusion": "not_safe"}, "assessed_on"),
    ],
)
async def test_bad_steps_are_422_naming_the_field_and_store_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, step: str, body: dict[str, Any], field: str
) -> None:
    out = await create(client, auth)
    r = await post(client, auth, out["id"], step, body)
    assert r.status_code == 422, r.text
    assert any(e["field"].endswith(field) for e in r.json()["errors"]), r.json()
    got = (await client.get(f"{API}/intakes/{out['id']}", headers=auth("institute"))).json()
    assert got["version"] == 1
    assert got["tracing"] == []
    assert len(got["placements"]) == 1
    assert got["family_assessments"] == []


async def test_steps_on_an_unknown_intake_are_404(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await post(
        client,
        auth,
        "00000000-0000-4000-8000-000000000000",
        "tracing",
        {"method": "dna", "traced_on": "2026-06-15"},
    )
    assert r.status_code == 404
    assert r.json()["code"] == "intake_not_found"


async def test_patch_refuses_a_gender_against_the_id_number_and_a_taken_id(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    number = id_number(gender="male")
    out = await create(client, auth, child={"id_number": number})
    url = f"{API}/intakes/{out['id']}"
    h = auth("institute") | {"If-Match": '"1"'}
    r = await client.patch(url, json={"child": {"gender": "female"}}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "child.gender"
    other = await create(client, auth)
    r = await client.patch(
        f"{API}/intakes/{other['id']}", json={"child": {"id_number": number}}, headers=h
    )
    assert r.status_code == 409
    assert r.json()["code"] == "open_intake_exists"
