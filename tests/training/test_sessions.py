"""Training sessions and attendance: the cascade rule (a town's session trains the directors of
that town only), the session code scanned from the phone, idempotent retries, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import FixedClock
from app.models import TrainingAttendance, TrainingSession
from tests.conftest import DISTRICT, TOWN1, TOWN2, VILLAGE1, AuthHeaders, Base
from tests.training.factories import T, attend, create, session_body


async def _count(session: AsyncSession, model: Any) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_supervisor_records_a_town_session_and_sees_its_code(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth, "sup1")
    assert out["level"] == "town"
    assert out["area_code"] == TOWN1
    assert out["hours"] == 3.5
    assert out["year"] == 2026
    assert out["topics"] == ["mandatory_reporting", "home_visits"]
    assert len(out["code"]) == 8
    assert out["counts"] == {"present": 0, "absent": 0, "excused": 0}
    # the district reads it, without its code (the code is the organisers')
    r = await client.get(f"{T}/{out['id']}", headers=auth("leader"))
    assert r.status_code == 200
    assert r.json()["code"] is None
    r = await client.get(f"{T}/{out['id']}", headers=auth("admin"))
    assert r.json()["code"] == out["code"]


async def test_the_same_id_and_body_is_a_replay_another_body_a_conflict(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    body = session_body()
    first = await client.post(T, json=body, headers=auth("sup1"))
    assert first.status_code == 201
    again = await client.post(T, json=body, headers=auth("sup1"))
    assert again.status_code == 200
    assert again.json() == first.json()
    other = await client.post(T, json={**body, "hours": 2}, headers=auth("sup1"))
    assert other.status_code == 409
    # another user with the same id: a conflict, nothing written twice
    stolen = await client.post(T, json=body, headers=auth("admin"))
    assert stolen.status_code == 409
    assert await _count(session, TrainingSession) == 1


async def test_a_supervisor_organises_only_their_own_towns_sessions(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(T, json=session_body(area_code=TOWN2), headers=auth("sup1"))
    assert r.status_code == 403
    assert r.json()["errors"][0]["field"] == "area_code"
    r = await client.post(T, json=session_body(level="district"), headers=auth("sup1"))
    assert r.status_code == 403
    assert r.json()["errors"][0]["field"] == "level"
    # a district admin organises both levels
    assert (await create(client, auth, "admin", level="district"))["area_code"] == DISTRICT
    assert (await create(client, auth, "admin", area_code=TOWN2))["area_code"] == TOWN2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": 0}, "hours"),
        ({"hours": -1}, "hours"),
        ({"hours": 25}, "hours"),
        ({"hours": 1.25}, "hours"),
        ({"hours": "x"}, "hours"),
        ({"topics": []}, "topics"),
        ({"topics": ["cooking"]}, "topics.0"),
        ({"topics": ["mandatory_reporting", "mandatory_reporting"]}, "topics"),
        ({"trainer": ""}, "trainer"),
        ({"trainer": "   "}, "trainer"),
        ({"held_on": "2026-02-30"}, "held_on"),
        ({"level": "city"}, "level"),
        ({"area_code": None}, "area_code"),
        ({"area_code": VILLAGE1}, "area_code"),
        ({"area_code": "999999999"}, "area_code"),
        ({"id": "not-a-uuid"}, "id"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_input_names_the_field(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    change: dict[str, Any],
    field: str,
) -> None:
    r = await client.post(T, json=session_body(**change), headers=auth("admin", lang="en"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await _count(session, TrainingSession) == 0


async def test_the_cascade_a_town_session_trains_its_own_directors_only(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession
) -> None:
    s = await create(client, auth, "sup1")
    ok = await attend(client, auth, s["id"], base.users["dir1"], by="sup1")
    assert ok.status_code == 201, ok.text
    assert ok.json()["status"] == "present"
    assert ok.json()["recorded_via"] == "organiser"
    # a director of another town
    r = await attend(client, auth, s["id"], base.users["dir3"], by="sup1")
    assert r.status_code == 422
    assert r.json()["code"] == "attendee_refused"
    assert r.json()["errors"][0]["field"] == "user_id"
    # not a director at all (the supervisor themself, institute staff, an admin, unknown)
    for who in (base.users["sup1"], base.users["institute"], base.users["admin"], uuid.uuid4()):
        r = await attend(client, auth, s["id"], who, by="admin")
        assert r.status_code == 422, who
        assert r.json()["errors"][0]["field"] == "user_id"
    assert await _count(session, TrainingAttendance) == 1


async def test_a_district_session_takes_every_worker_but_not_the_district_offices(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    s = await create(client, auth, "admin", level="district")
    for who in ("sup1", "sup2", "dir3", "institute", "protect", "counsel", "caseworker"):
        r = await attend(client, auth, s["id"], base.users[who])
        assert r.status_code == 201, (who, r.text)
    for who in ("leader", "auditor", "admin"):
        r = await attend(client, auth, s["id"], base.users[who])
        assert r.status_code == 422, who


async def test_recording_attendance_again_changes_nothing_and_a_new_status_corrects_it(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession
) -> None:
    s = await create(client, auth, "sup1")
    first = await attend(client, auth, s["id"], base.users["dir2"], "absent", by="sup1")
    assert first.status_code == 201
    again = await attend(client, auth, s["id"], base.users["dir2"], "absent", by="sup1")
    assert again.status_code == 200
    assert again.json() == first.json()
    corrected = await attend(client, auth, s["id"], base.users["dir2"], "excused", by="sup1")
    assert corrected.status_code == 200
    assert corrected.json()["status"] == "excused"
    assert await _count(session, TrainingAttendance) == 1
    got = (await client.get(f"{T}/{s['id']}", headers=auth("sup1"))).json()
    assert got["counts"] == {"present": 0, "absent": 0, "excused": 1}
    assert [a["user_id"] for a in got["attendance"]] == [str(base.users["dir2"])]


async def test_who_records_attendance(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    town1 = await create(client, auth, "sup1")
    district = await create(client, auth, "admin", level="district")
    # another town's supervisor: the session does not exist for them
    r = await attend(client, auth, town1["id"], base.users["dir1"], by="sup2")
    assert r.status_code == 404
    # a supervisor reads the district's sessions but does not record their attendance
    r = await attend(client, auth, district["id"], base.users["dir1"], by="sup1")
    assert r.status_code == 403
    assert r.json()["code"] == "not_training_organiser"
    r = await attend(client, auth, str(uuid.uuid4()), base.users["dir1"], by="admin")
    assert r.status_code == 404


async def test_attendance_waits_for_the_session_day(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    s = await create(client, auth, "sup1", held_on="2026-06-20")
    r = await attend(client, auth, s["id"], base.users["dir1"], by="sup1")
    assert r.status_code == 409
    assert r.json()["code"] == "training_not_held"


@pytest.mark.parametrize(
    ("body", "field"), [({"status": "late"}, "status"), ({"user_id": "x"}, "user_id")]
)
async def test_bad_attendance_input(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, body: dict[str, str], field: str
) -> None:
    s = await create(client, auth, "sup1")
    payload = {"user_id": str(base.users["dir1"]), "status": "present", **body}
    r = await client.post(f"{T}/{s['id']}/attendance", json=payload, headers=auth("sup1"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field


async def test_a_director_checks_in_with_the_code_once(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession
) -> None:
    s = await create(client, auth, "sup1")
    code = s["code"]
    r = await client.post("/api/v1/training/check-in", json={"code": code}, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    assert r.json()["user_id"] == str(base.users["dir1"])
    assert r.json()["status"] == "present"
    assert r.json()["recorded_via"] == "code"
    # scanned again (lower case, with a dash): the same record, nothing new
    again = await client.post(
        "/api/v1/training/check-in",
        json={"code": f"{code[:4].lower()}-{code[4:]}"},
        headers=auth("dir1"),
    )
    assert again.status_code == 200
    assert again.json() == r.json()
    assert await _count(session, TrainingAttendance) == 1
    mine = await client.get("/api/v1/training/my-attendance", headers=auth("dir1"))
    assert [m["session_id"] for m in mine.json()] == [s["id"]]
    # nobody else's attendance shows in one's own
    other = await client.get("/api/v1/training/my-attendance", headers=auth("dir2"))
    assert other.json() == []


async def test_a_scan_of_another_towns_code_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    s = await create(client, auth, "sup1")
    r = await client.post(
        "/api/v1/training/check-in", json={"code": s["code"]}, headers=auth("dir3")
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "code"
    r = await client.post(
        "/api/v1/training/check-in", json={"code": "ZZZZZZZZ"}, headers=auth("dir1")
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "code"
    assert await _count(session, TrainingAttendance) == 0


async def test_the_code_works_on_the_day_and_the_next_only(
    client: httpx.AsyncClient, auth: AuthHeaders, clock: FixedClock
) -> None:
    s = await create(client, auth, "sup1", held_on="2026-06-13")
    r = await client.post(
        "/api/v1/training/check-in", json={"code": s["code"]}, headers=auth("dir1")
    )
    assert r.status_code == 409
    assert r.json()["code"] == "check_in_closed"
    later = await create(client, auth, "sup1", held_on="2026-06-16")
    r = await client.post(
        "/api/v1/training/check-in", json={"code": later["code"]}, headers=auth("dir1")
    )
    assert r.status_code == 409


async def test_a_new_role_checks_in_to_a_district_session(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    s = await create(client, auth, "admin", level="district")
    for who in ("counsel", "protect", "caseworker", "institute", "sup2"):
        r = await client.post(
            "/api/v1/training/check-in", json={"code": s["code"]}, headers=auth(who)
        )
        assert r.status_code == 201, (who, r.text)
        assert r.json()["user_id"] == str(base.users[who])


async def test_the_list_is_filtered_by_reach(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    t1 = await create(client, auth, "sup1")
    t2 = await create(client, auth, "sup2", area_code=TOWN2)
    d = await create(client, auth, "admin", level="district")

    async def ids(user: str, **params: Any) -> set[str]:
        r = await client.get(T, headers=auth(user), params=params)
        assert r.status_code == 200
        return {i["id"] for i in r.json()["items"]}

    assert await ids("admin") == {t1["id"], t2["id"], d["id"]}
    assert await ids("sup1") == {t1["id"], d["id"]}
    assert await ids("sup2", level="town") == {t2["id"]}
    assert await ids("admin", year=2025) == set()
    assert await ids("auditor", area_code=TOWN1) == {t1["id"]}


async def test_the_check_in_window_is_a_setting(
    app: FastAPI, client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    s = await create(client, auth, "sup1", held_on="2026-06-12")
    app.state.settings = app.state.settings.model_copy(update={"training_check_in_days": 3})
    r = await client.post(
        "/api/v1/training/check-in", json={"code": s["code"]}, headers=auth("dir1")
    )
    assert r.status_code == 201


async def test_the_cascade_refusal_in_english(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    s = await create(client, auth, "sup1")
    r = await client.post(
        f"{T}/{s['id']}/attendance",
        json={"user_id": str(base.users["dir3"]), "status": "present"},
        headers=auth("sup1", lang="en"),
    )
    assert r.status_code == 422
    assert r.json()["title"] == "This person cannot attend this session"
    assert r.json()["errors"] == [
        {"field": "user_id", "message": "This director belongs to another town"}
    ]
    assert r.json()["attendee_area_code"] == "110115002001"
