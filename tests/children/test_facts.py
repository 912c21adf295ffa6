"""事实无人抚养儿童 as 民发〔2019〕62号 defines it: each parent's fact with its term, grade and kind,
illness and evidence (the API, on 2026-06-15 — the tests' clock)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEntry
from tests.children.factories import child_body, create, evidence, institution_body, parent
from tests.conftest import TOWN1, TOWN2, VILLAGE3, AuthHeaders

URL = "/api/v1/children"
DEAD_FATHER = parent("father", "deceased", "2020-01-01")


def fields(r: httpx.Response) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


def de_facto(mother: dict[str, Any], **over: Any) -> dict[str, Any]:
    return child_body(category="de_facto_unsupported", parents=[DEAD_FATHER, mother], **over)


async def enrol(
    client: httpx.AsyncClient, auth: AuthHeaders, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(URL, json=body, headers=auth("admin"))


# -- 服刑在押、强制隔离戒毒、其他限制人身自由的措施: "是指期限在6个月以上" --------------------------------


@pytest.mark.parametrize("situation", ["imprisoned", "compulsory_drug_rehab", "liberty_restricted"])
async def test_a_six_month_term_counts_from_its_first_day(
    client: httpx.AsyncClient, auth: AuthHeaders, situation: str
) -> None:
    r = await enrol(
        client, auth, de_facto(parent("mother", situation, "2026-06-15", term_months=6))
    )
    assert r.status_code == 201, r.text
    assert r.json()["parents"][1]["term_months"] == 6
    # a term of 6 months is re-verified when it ends
    assert r.json()["reverify_on"] == "2026-12-15"


@pytest.mark.parametrize(
    ("months", "rule"), [(5, "term_under_6_months"), (4, "term_under_6_months")]
)
async def test_a_term_under_six_months_never_counts(
    client: httpx.AsyncClient, auth: AuthHeaders, months: int, rule: str
) -> None:
    # a sentence of 4 (or 5) months plus a dead parent: never de facto unsupported
    r = await enrol(
        client, auth, de_facto(parent("mother", "imprisoned", "2024-01-01", term_months=months))
    )
    assert r.status_code == 422, r.text
    assert "parents.1.term_months" in fields(r)
    assert rule in r.json()["rules"]
    assert "6个月以上" in r.text


async def test_a_sentence_without_its_term_is_refused_naming_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    # what used to pass: a sentence of unknown (say, one day's) length and a dead parent
    mother = parent("mother", "imprisoned", "2026-06-14")
    del mother["term_months"]
    r = await enrol(client, auth, de_facto(mother))
    assert r.status_code == 422
    assert "parents.1.term_months" in fields(r)
    assert "term_required" in r.json()["rules"]
    en = await client.post(URL, json=de_facto(mother), headers=auth("admin", lang="en"))
    assert "term_months" in en.text


async def test_a_term_that_has_ended_no_longer_counts(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    ended = parent("mother", "imprisoned", "2025-12-15", term_months=6)  # ended 2026-06-15
    r = await enrol(client, auth, de_facto(ended))
    assert r.status_code == 422
    assert "term_ended" in r.json()["rules"]
    running = parent("mother", "imprisoned", "2025-12-16", term_months=6)  # ends tomorrow
    assert (await enrol(client, auth, de_facto(running))).status_code == 201


# -- 重残: "一级二级残疾或三级四级精神、智力残疾" ---------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "kind", "ok"),
    [
        (3, "physical", False),
        (3, "intellectual", True),
        (4, "mental", True),
        (4, "visual", False),
        (2, "physical", True),
        (1, "hearing", True),
    ],
)
async def test_severe_disability_grade_and_kind(
    client: httpx.AsyncClient, auth: AuthHeaders, grade: int, kind: str, ok: bool
) -> None:
    mother = parent("mother", "severe_disability", "2022-03-01", disability_grade=grade,
                    disability_kind=kind, evidence=evidence("disability_certificate", "2022-03-01"))  # fmt: skip
    r = await enrol(client, auth, de_facto(mother))
    if ok:
        assert r.status_code == 201, r.text
        assert r.json()["parents"][1]["disability_kind"] == kind
    else:
        assert r.status_code == 422, r.text
        assert "parents.1.disability_grade" in fields(r)
        assert "disability_not_severe" in r.json()["rules"]


async def test_severe_disability_needs_grade_and_kind(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    mother = parent("mother", "severe_disability", "2022-03-01")
    del mother["disability_kind"]
    r = await enrol(client, auth, de_facto(mother))
    assert r.status_code == 422
    assert "parents.1.disability_kind" in fields(r)
    bad = parent("mother", "severe_disability", "2022-03-01", disability_grade=5)
    r = await enrol(client, auth, de_facto(bad))
    assert r.status_code == 422
    assert "parents.1.disability_grade" in fields(r)


# -- 失联: "失去联系且未履行监护抚养责任6个月以上", from the police's acceptance of the report -----------


async def test_lost_contact_counts_six_months_after_the_police_report(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    receipt = evidence("police_report_receipt", "2025-12-16")
    short = parent("mother", "lost_contact", "2025-12-16", evidence=receipt)  # one day short
    r = await enrol(client, auth, de_facto(short))
    assert r.status_code == 422
    assert "parents.1.since" in fields(r)
    assert "lost_contact_under_6_months" in r.json()["rules"]
    receipt = evidence("police_report_receipt", "2025-12-15")
    exactly = parent("mother", "lost_contact", "2025-12-15", evidence=receipt)  # 6 months today
    r = await enrol(client, auth, de_facto(exactly))
    assert r.status_code == 201, r.text
    assert r.json()["reverify_on"] == "2026-12-15"  # looked at again every year


# -- 重病: the district's serious-illness list, or a district admin's acceptance with a reason --------


async def test_an_illness_outside_the_list_is_refused_then_accepted_by_an_admin(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    listed = parent("mother", "serious_illness", "2025-01-01", illness="慢性肾衰竭尿毒症期")
    assert (await enrol(client, auth, de_facto(listed))).status_code == 201
    other = parent("mother", "serious_illness", "2025-01-01", illness="重度哮喘")
    r = await enrol(client, auth, de_facto(other))
    assert r.status_code == 422
    assert "parents.1.illness" in fields(r)
    assert "illness_not_on_list" in r.json()["rules"]
    # institution staff may not accept it; a reason is needed
    accepted = dict(other, illness_acceptance={"reason": "三甲医院诊断，长期住院，无劳动能力"})
    staff = await client.post(URL, json=institution_body(category="de_facto_unsupported",
                              parents=[DEAD_FATHER, accepted]), headers=auth("institute"))  # fmt: skip
    assert staff.status_code == 403, staff.text
    blank = dict(other, illness_acceptance={"reason": "  "})
    assert (await enrol(client, auth, de_facto(blank))).status_code == 422
    r = await enrol(client, auth, de_facto(accepted))
    assert r.status_code == 201, r.text
    child = r.json()
    acceptance = child["parents"][1]["illness_acceptance"]
    assert acceptance == {
        "reason": "三甲医院诊断，长期住院，无劳动能力",
        "accepted_by": "admin",
        "accepted_on": "2026-06-15",
    }
    audited = (
        await session.execute(
            select(AuditEntry).where(
                AuditEntry.resource_id == child["id"], AuditEntry.action == "child.illness_accept"
            )
        )
    ).scalar_one()
    assert audited.detail["illness"] == "重度哮喘"
    assert audited.detail["reason"] == "三甲医院诊断，长期住院，无劳动能力"
    # sent back unchanged (a phone's round trip), the acceptance keeps who and when
    forged = dict(child["parents"][1], illness_acceptance=acceptance | {"accepted_by": "x"})
    r = await client.patch(
        f"{URL}/{child['id']}", json={"parents": [child["parents"][0], forged]},
        headers=auth("admin") | {"If-Match": '"1"'},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["parents"][1]["illness_acceptance"]["accepted_by"] == "admin"


async def test_the_illness_list_is_an_effective_dated_parameter(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    other = parent("mother", "serious_illness", "2025-01-01", illness="重度哮喘")
    assert (await enrol(client, auth, de_facto(other))).status_code == 422
    later = {"key": "serious_illness_list", "value": ["重度哮喘"], "effective_from": "2026-07-01",
             "reference": "区民政局重病目录（测试）"}  # fmt: skip
    r = await client.post("/api/v1/subsidy/standards", json=later, headers=auth("admin"))
    assert r.status_code == 201, r.text
    assert (await enrol(client, auth, de_facto(other))).status_code == 422  # not yet in force
    now = later | {"effective_from": "2026-06-01"}
    r = await client.post("/api/v1/subsidy/standards", json=now, headers=auth("admin"))
    assert r.status_code == 201, r.text
    assert (await enrol(client, auth, de_facto(other))).status_code == 201
    bad = later | {"value": ["重度哮喘", "重度哮喘"], "effective_from": "2026-08-01"}
    r = await client.post("/api/v1/subsidy/standards", json=bad, headers=auth("admin"))
    assert r.status_code == 422


# -- evidence 证明材料: {kind, number, issuer, issued_on} --------------------------------------------


async def test_a_new_child_without_evidence_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    bare = parent("mother", "imprisoned", "2024-01-01", evidence=None)
    r = await enrol(client, auth, de_facto(bare))
    assert r.status_code == 422
    assert fields(r) == ["parents.1.evidence"]
    assert r.json()["rules"] == ["evidence_required"]
    partial = parent("mother", "imprisoned", "2024-01-01",
                     evidence={"kind": "court_judgment", "issuer": "北京市大兴区人民法院"})  # fmt: skip
    r = await enrol(client, auth, de_facto(partial))
    assert r.status_code == 422
    assert sorted(fields(r)) == ["parents.1.evidence.issued_on", "parents.1.evidence.number"]
    orphan = child_body(
        parents=[DEAD_FATHER, parent("mother", "deceased", "2021-01-01", evidence=None)]
    )
    r = await enrol(client, auth, orphan)
    assert r.status_code == 422
    assert fields(r) == ["parents.1.evidence"]
    # a category that does not rest on the parents does not need their evidence
    poor = child_body(category="poor_family_disabled", household_assistance="subsistence",
                      disability={"kind": "physical", "grade": 2, "certificate_no": "C1"},
                      parents=[parent("father", "deceased", "2020-01-01", evidence=None)])  # fmt: skip
    assert (await enrol(client, auth, poor)).status_code == 201


# -- records made before the precise rules: flagged, never re-classified, still editable ----------


async def test_a_record_made_before_is_flagged_and_stays_editable(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    c = await create(client, auth("admin"), category="de_facto_unsupported",
                     parents=[DEAD_FATHER, parent("mother", "imprisoned", "2024-01-01")])  # fmt: skip
    legacy: list[dict[str, Any]] = [
        {"relation": "father", "situation": "deceased", "since": "2020-01-01",
         "evidence": {"kind": "other", "number": None, "issuer": None, "issued_on": None,
                      "note": "死亡证明"}},
        {"relation": "mother", "situation": "imprisoned", "since": "2026-06-14"},
    ]  # fmt: skip
    await session.execute(
        text("UPDATE children SET parents = CAST(:p AS jsonb) WHERE id = :id"),
        {"p": json.dumps(legacy), "id": c["id"]},
    )
    url = f"{URL}/{c['id']}"
    r = await client.patch(url, json={"name": "改名"}, headers=auth("admin") | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    child = r.json()
    assert child["category"] == "de_facto_unsupported"  # not re-classified
    flags = {(f["field"], f["rule"]) for f in child["review_flags"]}
    assert ("parents.1.term_months", "term_required") in flags
    assert child["reverify_on"] == "2026-06-15"
    listed = await client.get(f"{URL}/reverifications", headers=auth("admin"))
    assert c["id"] in [x["id"] for x in listed.json()["items"]]
    # a change may not state a fact that breaks the rule anew ...
    four = dict(legacy[1], term_months=4, evidence=evidence("court_judgment", "2026-06-14"))
    r = await client.patch(url, json={"parents": [legacy[0], four]},
                           headers=auth("admin") | {"If-Match": '"2"'})  # fmt: skip
    assert r.status_code == 422
    assert "parents.1.term_months" in fields(r)
    # ... and completing the fact clears the flag
    fixed = dict(four, term_months=36)
    r = await client.patch(url, json={"parents": [legacy[0], fixed]},
                           headers=auth("admin") | {"If-Match": '"2"'})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["review_flags"] == []
    assert r.json()["reverify_on"] == "2029-06-14"


# -- GET /children/reverifications: by town, for supervisors and the district ------------------------


async def _due_children(client: httpx.AsyncClient, auth: AuthHeaders) -> dict[str, str]:
    a = await create(client, auth("admin"), name="复核甲", category="de_facto_unsupported",
                     parents=[DEAD_FATHER, parent("mother", "imprisoned", "2025-01-01", term_months=24)])  # fmt: skip
    b = await create(client, auth("admin"), name="复核乙", village_code=VILLAGE3,
                     category="de_facto_unsupported",
                     parents=[DEAD_FATHER, parent("mother", "serious_illness", "2025-03-01",
                                                  evidence=evidence("hospital_diagnosis", "2025-03-05"))])  # fmt: skip
    c = await create(client, auth("admin"), name="复核丙")  # an orphan: nothing to re-verify
    d = await client.post(URL, json=institution_body(name="复核丁", category="de_facto_unsupported",
                          parents=[DEAD_FATHER, parent("mother", "severe_disability", "2024-01-01",
                                                       verified_on="2026-01-10")]),
                          headers=auth("admin"))  # fmt: skip
    assert d.status_code == 201, d.text
    return {"a": a["id"], "b": b["id"], "c": c["id"], "d": d.json()["id"]}


async def _listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    r = await client.get(f"{URL}/reverifications", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [x for x in r.json()["items"] if x["name"].startswith("复核")]


async def test_reverifications_by_date_town_and_role(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    ids = await _due_children(client, auth)
    admin = auth("admin")
    # today: the illness's yearly review (due 2026-03-05) is overdue
    items = await _listed(client, admin)
    assert [x["id"] for x in items] == [ids["b"]]
    b = items[0]
    assert b["overdue"] is True
    assert b["reverify_on"] == "2026-03-05"
    assert (b["town_code"], b["town_name"]) == (TOWN2, "测试二镇")
    assert b["reasons"] == [
        {"kind": "yearly_review", "due_on": "2026-03-05", "field": "parents.1",
         "relation": "mother", "situation": "serious_illness", "rule": None, "reason": None},
    ]  # fmt: skip
    # by the end of January 2027: the term's end (2027-01-01) and the disability's review too
    items = await _listed(client, admin, due_before="2027-01-31")
    assert [x["id"] for x in items] == [ids["b"], ids["a"], ids["d"]]
    assert items[1]["reasons"][0]["kind"] == "term_ends"
    assert items[1]["town_code"] == TOWN1
    assert items[2]["town_code"] is None  # the institute's child
    assert ids["c"] not in [x["id"] for x in items]
    # town by town
    only = await _listed(client, admin, due_before="2027-01-31", area_code=TOWN2)
    assert [x["id"] for x in only] == [ids["b"]]
    # paged like the other lists
    r = await client.get(f"{URL}/reverifications", params={"due_before": "2027-01-31", "limit": 1},
                         headers=admin)  # fmt: skip
    assert r.status_code == 200
    assert len(r.json()["items"]) == 1
    assert r.json()["next_cursor"]
    # town supervisors see their town; district roles the district
    sup1 = await _listed(client, auth("sup1"), due_before="2027-01-31")
    assert [x["id"] for x in sup1] == [ids["a"]]
    sup2 = await _listed(client, auth("sup2"), due_before="2027-01-31")
    assert [x["id"] for x in sup2] == [ids["b"]]
    for user in ("leader", "auditor"):
        assert len(await _listed(client, auth(user), due_before="2027-01-31")) == 3
    # nobody else
    for headers in (auth("dir1"), auth("institute"), auth(agency="police")):
        r = await client.get(f"{URL}/reverifications", headers=headers)
        assert r.status_code == 403, r.text
    r = await client.get(
        f"{URL}/reverifications", params={"due_before": "2027-02-30"}, headers=admin
    )
    assert r.status_code == 422
    assert "due_before" in fields(r)


async def test_a_review_moves_the_yearly_date_on(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    ids = await _due_children(client, auth)
    got = await client.get(f"{URL}/{ids['b']}", headers=auth("admin"))
    parents = got.json()["parents"]
    parents[1]["verified_on"] = "2026-06-15"
    r = await client.patch(f"{URL}/{ids['b']}", json={"parents": parents},
                           headers=auth("admin") | {"If-Match": got.headers["etag"]})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["reverify_on"] == "2027-06-15"
    assert ids["b"] not in [x["id"] for x in await _listed(client, auth("admin"))]


async def test_a_director_proposes_an_illness_outside_the_list_and_the_admin_accepts_it(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    c = await create(client, auth("admin"), category="de_facto_unsupported",
                     parents=[DEAD_FATHER, parent("mother", "imprisoned", "2024-01-01")])  # fmt: skip
    ill = parent("mother", "serious_illness", "2026-05-01", illness="重度哮喘",
                 evidence=evidence("hospital_diagnosis", "2026-05-03"))  # fmt: skip
    url = f"{URL}/{c['id']}/proposals"
    plain = {"changes": {"parents": [DEAD_FATHER, ill]}, "reason": "母亲刑满释放后患病"}
    r = await client.post(url, json=plain, headers=auth("dir1"))
    assert r.status_code == 422
    assert "parents.1.illness" in fields(r)
    asked = dict(ill, illness_acceptance={"reason": "长期住院，无抚养能力"})
    r = await client.post(url, json=plain | {"changes": {"parents": [DEAD_FATHER, asked]}},
                          headers=auth("dir1"))  # fmt: skip
    assert r.status_code == 201, r.text
    ok = await client.post(f"{URL}/proposals/{r.json()['id']}/approve", headers=auth("admin"))
    assert ok.status_code == 200, ok.text
    child = (await client.get(f"{URL}/{c['id']}", headers=auth("admin"))).json()
    assert child["parents"][1]["illness_acceptance"]["accepted_by"] == "admin"
    assert child["review_flags"] == []
