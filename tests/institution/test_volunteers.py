"""Volunteers 志愿者 and tutoring 志愿辅导: the art. 62 record check before any session."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import TutoringSession
from tests.conftest import AuthHeaders
from tests.institution.factories import (
    ACTIVITIES,
    TUTORING,
    VOLUNTEERS,
    activity,
    fields,
    resident,
    tutoring,
    volunteer,
)


async def _volunteer(client: httpx.AsyncClient, auth: AuthHeaders, **kw: object) -> str:
    r = await client.post(VOLUNTEERS, json=volunteer(**kw), headers=auth("institute"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_register_a_volunteer_with_the_record_check(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(VOLUNTEERS, json=volunteer(), headers=auth("institute"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["record_check"] == {
        "queried_on": "2026-03-01",
        "result": "clear",
        "reference": "京公查-2026-0301",
    }
    assert out["record_check_standing"] == {"ok": True, "reason": None, "valid_until": "2027-03-01"}
    r = await client.get(f"{VOLUNTEERS}/{out['id']}", headers=auth("leader"))
    assert r.status_code == 200
    assert r.headers["ETag"] == '"1"'
    # registered before the query is answered: not schedulable, and the standing says why
    r = await client.post(VOLUNTEERS, json=volunteer(record_check=None), headers=auth("admin"))
    assert r.json()["record_check_standing"]["reason"] == "missing"


async def test_volunteer_creation_is_idempotent_with_a_key(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth("institute") | {"Idempotency-Key": "vol-1"}
    first = await client.post(VOLUNTEERS, json=volunteer(), headers=h)
    again = await client.post(VOLUNTEERS, json=volunteer(), headers=h)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    other = await client.post(VOLUNTEERS, json=volunteer(name="乙"), headers=h)
    assert other.status_code == 409


async def test_volunteer_bad_input_names_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    future = {"queried_on": "2026-06-16", "result": "clear", "reference": "X"}
    cases = [
        (volunteer(record_check=future), "record_check.queried_on"),
        (volunteer(record_check={"queried_on": "2026-01-01", "result": "maybe",
                                 "reference": "X"}), "record_check.result"),
        (volunteer(record_check={"queried_on": "2026-01-01", "result": "clear"}),
         "record_check.reference"),
        (volunteer(name=""), "name"),
        (volunteer(organisation=""), "organisation"),
        (volunteer(phone="abc"), "phone"),
    ]  # fmt: skip
    for body, field in cases:
        r = await client.post(VOLUNTEERS, json=body, headers=auth("institute"))
        assert r.status_code == 422, (field, r.text)
        assert field in fields(r.json()), (field, r.json())


async def test_renew_a_check_with_if_match(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    vid = await _volunteer(client, auth, record_check=None)
    url = f"{VOLUNTEERS}/{vid}"
    renewed = {"record_check": {"queried_on": "2026-06-01", "result": "clear", "reference": "R"}}
    assert (await client.patch(url, json=renewed, headers=auth("institute"))).status_code == 428
    r = await client.patch(url, json=renewed, headers=auth("institute") | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"2"'
    assert r.json()["record_check_standing"]["ok"] is True
    r = await client.patch(
        url, json={"phone": None}, headers=auth("institute") | {"If-Match": '"1"'}
    )
    assert r.status_code == 412


async def test_tutoring_session_and_its_retry(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    a, b = await resident(session, settings), await resident(session, settings)
    v1, v2 = await _volunteer(client, auth), await _volunteer(client, auth, name="志愿者乙")
    body = tutoring([v1, v2], [a.id, b.id])
    first = await client.post(TUTORING, json=body, headers=auth("institute"))
    assert first.status_code == 201, first.text
    again = await client.post(TUTORING, json=body, headers=auth("institute"))
    assert again.status_code == 200
    assert again.json() == first.json()
    r = await client.post(TUTORING, json=body | {"minutes": 60}, headers=auth("institute"))
    assert r.status_code == 409
    r = await client.get(TUTORING, params={"volunteer_id": v2}, headers=auth("auditor"))
    assert [i["id"] for i in r.json()["items"]] == [body["id"]]


@pytest.mark.parametrize(
    ("check", "reason"),
    [
        (None, "missing"),
        ({"queried_on": "2025-06-12", "result": "clear", "reference": "OLD"}, "expired"),
        ({"queried_on": "2026-05-01", "result": "record_found", "reference": "F"}, "record_found"),
    ],
)
async def test_art_62_a_volunteer_without_a_clear_recent_check_is_not_scheduled(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    check: dict[str, str] | None,
    reason: str,
) -> None:
    child = await resident(session, settings)
    good = await _volunteer(client, auth)
    bad = await _volunteer(client, auth, name="志愿者丙", record_check=check)
    body = tutoring([good, bad], [child.id])
    r = await client.post(TUTORING, json=body, headers=auth("institute"))
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["code"] == "record_check_failed"
    assert problem["reason"] == reason
    assert problem["person_id"] == bad
    assert fields(problem) == ["volunteer_ids.1"]
    assert "第六十二条" in problem["detail"]
    stored = await session.execute(select(TutoringSession).where(TutoringSession.id == body["id"]))
    assert stored.first() is None
    # the same refusal for an activity the volunteer would take part in
    r = await client.post(
        ACTIVITIES,
        json=activity([child.id], volunteer_ids=[bad], held_on="2026-06-13"),
        headers=auth("institute"),
    )
    assert r.status_code == 409
    assert fields(r.json()) == ["volunteer_ids.0"]


async def test_a_check_valid_on_the_session_day_is_enough(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    """The check is judged on the session's day: valid until 2026-06-13 covers that day."""
    child = await resident(session, settings)
    vid = await _volunteer(
        client, auth, record_check={"queried_on": "2025-06-13", "result": "clear", "reference": "Y"}
    )
    r = await client.post(
        TUTORING, json=tutoring([vid], [child.id], held_on="2026-06-13"), headers=auth("institute")
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        TUTORING, json=tutoring([vid], [child.id], held_on="2026-06-14"), headers=auth("institute")
    )
    assert r.status_code == 409
    assert r.json()["reason"] == "expired"


async def test_tutoring_bad_input_names_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await resident(session, settings)
    vid = await _volunteer(client, auth)
    cases = [
        (tutoring([vid], [child.id], held_on="2026-06-16"), "held_on"),
        (tutoring([], [child.id]), "volunteer_ids"),
        (tutoring([vid, vid], [child.id]), "volunteer_ids"),
        (tutoring([vid], []), "child_ids"),
        (tutoring([vid], [child.id], minutes=0), "minutes"),
        (tutoring([vid], [child.id], subject=""), "subject"),
        (tutoring([str(child.id)], [child.id]), "volunteer_ids.0"),
    ]
    for body, field in cases:
        r = await client.post(TUTORING, json=body, headers=auth("institute"))
        assert r.status_code == 422, (field, r.text)
        assert field in fields(r.json()), (field, r.json())
