"""The nine situations of the 2020 opinion: required, checked against the ledger, shown with the
opinion's wording, urgent for 1, 2, 3, 7, filtered and counted; the migration's inference."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.incidents.situations import SITUATIONS
from app.kit.clock import FixedClock
from app.models import Incident
from app.worker.queue import enqueue
from app.worker.runner import Worker
from tests.conftest import NOW, AuthHeaders
from tests.incidents.factories import make_child, report, stranger
from tests.visits.factories import visit_body

API = "/api/v1"
GIRL_UNDER_14 = "girl_under_14_sexual_assault_or_pregnancy"
GIRL_14_PLUS = "girl_14_plus_pregnancy_after_assault"
TEXT_1 = "未成年人的生殖器官或隐私部位遭受或疑似遭受非正常损伤的"
TEXT_2 = "不满十四周岁的女性未成年人遭受或疑似遭受性侵害、怀孕、流产的"
TEXT_4 = (
    "未成年人身体存在多处损伤、严重营养不良、意识不清，存在或疑似存在受到家庭暴力、欺凌、虐待、"
    "殴打或者被人麻醉等情形的"
)
TEXT_7 = "发现未成年人来源不明、失踪或者被拐卖、收买的"


async def count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Incident))).scalar_one())


# -- what the ledger knows of the child -------------------------------------------------------


async def test_a_boy_under_the_girls_situations_is_refused_naming_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    boy = await make_child(session, settings, gender="male", birth=date(2015, 3, 1))
    before = await count(session)
    r = await client.post(
        f"{API}/incidents",
        json=report(boy.id, situations=[GIRL_UNDER_14]),
        headers=auth("dir1", lang="en"),
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    [error] = r.json()["errors"]
    assert error["field"] == "situations[0]"
    assert "boy" in error["message"]
    # The index is the request's: a boy under situation 3, given second.
    r = await client.post(
        f"{API}/incidents",
        json=report(boy.id, situations=["injuries_suggesting_violence", GIRL_14_PLUS]),
        headers=auth("dir1"),
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["situations[1]"]
    assert "男性" in r.json()["errors"][0]["message"]
    assert await count(session) == before


async def test_age_on_the_day_of_discovery_decides_situation_2_or_3(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    girl_15 = await make_child(session, settings, birth=date(2011, 2, 1))
    # 14 on 2026-06-15, the day of discovery in the factory's report
    turns_14 = await make_child(session, settings, birth=date(2012, 6, 15))
    before = await count(session)
    for child in (girl_15, turns_14):
        r = await client.post(
            f"{API}/incidents",
            json=report(child.id, situations=[GIRL_UNDER_14]),
            headers=auth("dir1", lang="en"),
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "situations[0]"
        assert "under 14" in r.json()["errors"][0]["message"]
    assert await count(session) == before
    # discovered the day before her 14th birthday: situation 2, not 3
    day_before = {"discovered_at": "2026-06-14T20:00:00+08:00"}
    r = await client.post(
        f"{API}/incidents",
        json=report(turns_14.id, situations=[GIRL_14_PLUS], **day_before),
        headers=auth("dir1"),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "situations[0]"
    r = await client.post(
        f"{API}/incidents",
        json=report(turns_14.id, situations=[GIRL_UNDER_14], **day_before),
        headers=auth("dir1"),
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{API}/incidents",
        json=report(girl_15.id, situations=[GIRL_14_PLUS]),
        headers=auth("dir1"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["situations"] == [
        {
            "code": GIRL_14_PLUS,
            "number": 3,
            "text": "十四周岁以上女性未成年人遭受或疑似遭受性侵害所致怀孕、流产的",
        }
    ]


async def test_a_minor_not_on_the_ledger_is_not_held_to_the_inline_facts(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = report(child=stranger(gender="male", age=15), situations=[GIRL_UNDER_14])
    r = await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    assert [s["code"] for s in r.json()["situations"]] == [GIRL_UNDER_14]
    assert r.json()["urgent"] is True


async def test_a_report_without_situations_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    before = await count(session)
    for body in (
        {k: v for k, v in report(child.id).items() if k != "situations"},
        report(child.id, situations=[]),
    ):
        r = await client.post(f"{API}/incidents", json=body, headers=auth("dir1", lang="en"))
        assert r.status_code == 422, r.text
        assert "situations" in [e["field"] for e in r.json()["errors"]]
    assert await count(session) == before


# -- drafts ---------------------------------------------------------------------------------


async def test_the_draft_a_visit_opens_needs_no_situation_until_completed(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    boy = await make_child(session, settings, gender="male", birth=date(2014, 9, 1))
    visit = visit_body(boy.id, suspected_infringement=True, notes="发现多处淤青")
    r = await client.post(f"{API}/visits", json=visit, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    incident_id = r.json()["incident_id"]
    r = await client.get(f"{API}/incidents/{incident_id}", headers=auth("dir1"))
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["situations"]) == ("draft", [])
    assert r.json()["situations_inferred"] is False
    complete = {k: v for k, v in report().items() if k != "id"}
    url = f"{API}/incidents/{incident_id}/complete"
    r = await client.post(
        url, json={k: v for k, v in complete.items() if k != "situations"}, headers=auth("dir1")
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["situations"]
    r = await client.post(url, json=complete | {"situations": [GIRL_14_PLUS]}, headers=auth("dir1"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["situations[0]"]
    r = await client.post(
        url,
        json=complete | {"situations": ["genital_injury", "injuries_suggesting_violence"]},
        headers=auth("dir1"),
    )
    assert r.status_code == 200, r.text
    assert [(s["number"], s["text"]) for s in r.json()["situations"]] == [(1, TEXT_1), (4, TEXT_4)]
    assert r.json()["urgent"] is True
    [ref] = r.json()["referrals"]
    assert ref["ack_due_at"] == "2026-06-15T02:15:00Z"


async def test_a_draft_may_name_situations_and_they_are_checked(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    boy = await make_child(session, settings, gender="male", birth=date(2014, 9, 1))
    body = {"id": str(uuid.uuid4()), "draft": True, "child_id": str(boy.id)}
    r = await client.post(
        f"{API}/incidents", json=body | {"situations": [GIRL_UNDER_14]}, headers=auth("dir1")
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "situations[0]"
    r = await client.post(
        f"{API}/incidents",
        json=body | {"situations": ["abandonment_or_no_care"]},
        headers=auth("dir1"),
    )
    assert r.status_code == 201, r.text
    assert [s["code"] for s in r.json()["situations"]] == ["abandonment_or_no_care"]


# -- the opinion's wording everywhere ---------------------------------------------------------


async def test_the_statutory_text_in_the_report_the_police_referral_and_the_vocabulary(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings, birth=date(2016, 4, 1))
    # given out of order and twice: kept once each, in the opinion's order
    body = report(
        child.id,
        situations=["unknown_origin_missing_or_trafficked", GIRL_UNDER_14, GIRL_UNDER_14],
    )
    r = await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    expected = [
        {"code": GIRL_UNDER_14, "number": 2, "text": TEXT_2},
        {"code": "unknown_origin_missing_or_trafficked", "number": 7, "text": TEXT_7},
    ]
    assert r.json()["situations"] == expected
    r = await client.get(f"{API}/incidents/{body['id']}", headers=auth("admin"))
    assert r.json()["situations"] == expected
    assert r.json()["situations_inferred"] is False
    assert r.json()["kinds"] == ["physical_abuse"]
    # the town supervisor's summary shows no more than before
    r = await client.get(f"{API}/incidents/{body['id']}", headers=auth("sup1"))
    assert "situations" not in r.json()
    # the police referral
    r = await client.get(f"{API}/referrals", headers=auth(agency="police"), params={"limit": 500})
    [ref] = [x for x in r.json()["items"] if x["incident"]["id"] == body["id"]]
    assert ref["incident"]["situations"] == expected
    assert ref["incident"]["situations_inferred"] is False
    r = await client.get(f"{API}/referrals/{ref['id']}", headers=auth(agency="police"))
    assert r.json()["incident"]["situations"] == expected
    # the vocabulary
    r = await client.get(f"{API}/incidents/situations", headers=auth("dir1"))
    assert r.status_code == 200
    vocabulary = r.json()
    assert [s["number"] for s in vocabulary] == list(range(1, 10))
    assert [s["code"] for s in vocabulary if s["urgent"]] == [
        "genital_injury",
        GIRL_UNDER_14,
        GIRL_14_PLUS,
        "unknown_origin_missing_or_trafficked",
    ]
    assert vocabulary[8]["text"] == (
        "其他严重侵害未成年人身心健康的情形或未成年人正在面临不法侵害危险的"
    )
    r = await client.get(f"{API}/incidents/situations", headers=auth(agency="police"))
    assert r.status_code == 403


# -- deadline and escalation -------------------------------------------------------------------


async def test_escalation_after_15_minutes_for_situation_1_and_danger_60_otherwise(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    child = await make_child(session, settings, gender="male", birth=date(2015, 1, 1))
    genital = report(child.id, situations=["genital_injury"])
    danger = report(child.id, situations=["abandonment_or_no_care"], immediate_danger=True)
    normal = report(child.id, situations=["abandonment_or_no_care"], kinds=["sexual_abuse"])
    for body in (genital, danger, normal):
        r = await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
        assert r.status_code == 201, r.text

    async def escalated_at(minutes: float) -> set[str]:
        clock.set(NOW + timedelta(minutes=minutes))
        async with sessionmaker() as s:
            await enqueue(s, "incidents.escalate", {})
            await s.commit()
        await Worker(sessionmaker, settings, clock).drain()
        r = await client.get(
            f"{API}/incidents", params={"escalated": "true", "limit": 500}, headers=auth("admin")
        )
        return {x["id"] for x in r.json()["items"]} & {genital["id"], danger["id"], normal["id"]}

    assert await escalated_at(14.9) == set()
    assert await escalated_at(15) == {genital["id"], danger["id"]}
    assert await escalated_at(59.9) == {genital["id"], danger["id"]}
    assert await escalated_at(60) == {genital["id"], danger["id"], normal["id"]}


async def test_the_urgent_deadline_is_a_setting(
    client: httpx.AsyncClient, auth: AuthHeaders, app: Any
) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"incident_urgent_ack_sla_minutes": 5}
    )
    body = report(child=stranger(), situations=["unknown_origin_missing_or_trafficked"])
    r = await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    assert r.json()["referrals"][0]["ack_due_at"] == "2026-06-15T02:05:00Z"


# -- lists and the dashboard ------------------------------------------------------------------


async def test_incidents_and_referrals_filter_by_situation(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings, gender="male", birth=date(2015, 1, 1))
    begging = report(child.id, situations=["organised_begging", "abandonment_or_no_care"])
    abandoned = report(child.id, situations=["abandonment_or_no_care"])
    for body in (begging, abandoned):
        assert (
            await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
        ).status_code == 201

    async def listed(url: str, who: dict[str, str], situation: str) -> set[str]:
        r = await client.get(url, params={"situation": situation, "limit": 500}, headers=who)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        ids = [x["incident"]["id"] if "incident" in x else x["id"] for x in items]
        return {i for i in ids if i in (begging["id"], abandoned["id"])}

    admin, police = auth("admin"), auth(agency="police")
    assert await listed(f"{API}/incidents", admin, "organised_begging") == {begging["id"]}
    assert await listed(f"{API}/incidents", admin, "abandonment_or_no_care") == {
        begging["id"],
        abandoned["id"],
    }
    assert await listed(f"{API}/incidents", admin, "genital_injury") == set()
    assert await listed(f"{API}/referrals", police, "organised_begging") == {begging["id"]}
    r = await client.get(f"{API}/incidents", params={"situation": "arson"}, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "situation"


async def test_the_dashboard_counts_reports_by_situation(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    async def by_situation() -> dict[str, int]:
        r = await client.get(f"{API}/dashboard/summary", headers=auth("admin"))
        assert r.status_code == 200, r.text
        counts: dict[str, int] = r.json()["sections"]["incidents"]["by_situation"]
        return counts

    before = await by_situation()
    assert list(before) == [s.code for s in SITUATIONS]
    child = await make_child(session, settings, gender="male", birth=date(2015, 1, 1))
    for situations in (
        ["organised_begging", "abandonment_or_no_care"],
        ["abandonment_or_no_care"],
    ):
        r = await client.post(
            f"{API}/incidents", json=report(child.id, situations=situations), headers=auth("dir1")
        )
        assert r.status_code == 201
    # a draft is not counted
    r = await client.post(
        f"{API}/incidents",
        json={
            "id": str(uuid.uuid4()),
            "draft": True,
            "child_id": str(child.id),
            "situations": ["organised_begging"],
        },
        headers=auth("dir1"),
    )
    assert r.status_code == 201
    after = await by_situation()
    delta = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert delta == {"organised_begging": 1, "abandonment_or_no_care": 2}
    r = await client.get(f"{API}/dashboard/summary", headers=auth("admin"))
    board = {b["id"]: b for b in r.json()["sections"]["incidents"]["board"]}
    assert any(b["situations"] == ["abandonment_or_no_care"] for b in board.values())


# -- the migration's inference ----------------------------------------------------------------


def _migration() -> ModuleType:
    """The migration's module, found by its revision (its file name may change)."""
    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    [path] = [
        p
        for p in versions.glob("*.py")
        if 'revision: str = "incident_situations"' in p.read_text(encoding="utf-8")
    ]
    spec = importlib.util.spec_from_file_location("incident_situations_migration", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("kinds", "gender", "age", "expected"),
    [
        (["physical_abuse"], "male", 9, ["injuries_suggesting_violence"]),
        (
            ["bullying", "domestic_violence", "unexplained_injury"],
            "female",
            9,
            ["injuries_suggesting_violence"],
        ),
        (["self_harm"], "male", 15, ["disability_or_death_by_harm"]),
        (["neglect"], "male", 5, ["abandonment_or_no_care"]),
        (["abandonment", "neglect"], "male", 5, ["abandonment_or_no_care"]),
        (["trafficking"], "male", 5, ["unknown_origin_missing_or_trafficked"]),
        (["begging"], "female", 10, ["organised_begging"]),
        (["other"], "female", 10, ["other_serious_harm"]),
        (["sexual_abuse"], "female", 13, [GIRL_UNDER_14]),
        (["minor_pregnancy"], "female", 13, [GIRL_UNDER_14]),
        (["sexual_abuse", "minor_pregnancy"], "female", 15, [GIRL_14_PLUS]),
        (["sexual_abuse"], "female", 15, ["other_serious_harm"]),
        (["minor_pregnancy"], "female", 16, ["other_serious_harm"]),
        (["sexual_abuse"], "male", 10, ["other_serious_harm"]),
        (["sexual_abuse"], "female", None, ["other_serious_harm"]),
        (
            ["begging", "trafficking", "sexual_abuse"],
            "female",
            8,
            [GIRL_UNDER_14, "unknown_origin_missing_or_trafficked", "organised_begging"],
        ),
        ([], "male", 10, []),
    ],
)
def test_the_migration_infers_situations_from_kinds(
    kinds: list[str], gender: str, age: int | None, expected: list[str]
) -> None:
    assert _migration().infer_situations(kinds, gender, age) == expected
