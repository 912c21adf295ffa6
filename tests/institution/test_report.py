"""The monthly institute report 福利院月报, its .xlsx and the dashboard section."""

from __future__ import annotations

import io
from datetime import date, datetime

import httpx
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import AuthHeaders, Base
from tests.institution.factories import (
    ACTIVITIES,
    CARE_PLAN,
    CARE_RECORDS,
    REPORTS,
    SESSIONS,
    TUTORING,
    VOLUNTEERS,
    activity,
    care_record,
    counselling,
    plan,
    resident,
    tutoring,
    volunteer,
)
from tests.kit.test_office_exports import find_row, header

NOTES = "孩子谈到对生母的思念与愤怒（保密）"


async def _month_of_work(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession,
    settings: Settings,
) -> dict[str, object]:  # fmt: skip
    """Three residents: a counselled with a fresh plan, b counselled in March with an old plan,
    c never counselled and without a plan; one former resident."""
    a = await resident(session, settings, name="甲")
    b = await resident(session, settings, name="乙")
    c = await resident(session, settings, name="丙")
    await resident(session, settings, left_on=date(2026, 5, 1))
    staff, counsel = auth("institute"), auth("counsel")
    cid = base.users["counsel"]
    posts = [
        (CARE_PLAN.format(a.id), plan(reviewed_on="2026-06-01")),
        (CARE_PLAN.format(b.id), plan(reviewed_on="2025-11-30")),
    ]
    for url, body in posts:
        assert (await client.put(url, json=body, headers=staff)).status_code == 201
    for body in (
        care_record(a.id),
        care_record(b.id, domain="rehabilitation", kind="rehabilitation_session", minutes=40),
        care_record(c.id, domain="rehabilitation", kind="rehabilitation_session", minutes=50),
        care_record(c.id, recorded_on="2026-05-31"),  # last month
    ):
        assert (await client.post(CARE_RECORDS, json=body, headers=staff)).status_code == 201
    for body in (
        counselling(cid, [a.id], minutes=50, risk="self_harm"),
        counselling(cid, [a.id, b.id], minutes=90, held_on="2026-06-03"),
        counselling(cid, [b.id], minutes=45, held_on="2026-03-10"),
    ):
        assert (await client.post(SESSIONS, json=body, headers=counsel)).status_code == 201
    assert (
        await client.post(ACTIVITIES, json=activity([a.id, b.id, c.id]), headers=staff)
    ).status_code == 201
    v = (await client.post(VOLUNTEERS, json=volunteer(), headers=staff)).json()["id"]
    await client.post(VOLUNTEERS, json=volunteer(record_check=None), headers=staff)
    for minutes in (90, 60):
        r = await client.post(
            TUTORING, json=tutoring([v], [a.id, c.id], minutes=minutes), headers=staff
        )
        assert r.status_code == 201
    return {"a": str(a.id), "b": str(b.id), "c": str(c.id)}


async def test_monthly_report_figures(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    ids = await _month_of_work(client, auth, base, session, settings)
    r = await client.get(REPORTS.format("2026-06"), headers=auth("leader"))
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["as_of"] == "2026-06-15"
    assert rep["residents"] == 3
    assert rep["care_records"] == {"care": 0, "treatment": 1, "education": 0, "rehabilitation": 2}
    assert rep["care_minutes"]["rehabilitation"] == 90
    c = rep["counselling"]
    assert (c["sessions"], c["one_to_one_sessions"], c["group_sessions"]) == (2, 1, 1)
    assert (c["one_to_one_minutes"], c["group_minutes"], c["minutes"]) == (50, 90, 140)
    assert (c["one_to_one_hours"], c["group_hours"], c["hours"]) == ("0.8", "1.5", "2.3")
    assert c["children_counselled"] == 2
    assert c["risks"] == {"self_harm": 1, "abuse_disclosure": 0, "other": 0}
    # b's last session (03-10... and 06-03 in the group) is recent; c has never had one
    assert [(d["child_id"], d["last_on"]) for d in rep["without_counselling"]] == [(ids["c"], None)]
    overdue = {d["child_id"]: d for d in rep["care_plans_overdue"]}
    assert set(overdue) == {ids["b"], ids["c"]}
    assert overdue[ids["b"]]["due_on"] == "2026-05-30"
    assert overdue[ids["c"]]["last_on"] is None
    assert rep["activities"] == {"outing": 1, "class": 0, "festival_visit": 0, "other": 0}
    assert rep["activity_participations"] == 3
    assert (rep["tutoring_sessions"], rep["tutoring_minutes"], rep["tutoring_hours"]) == (
        2,
        150,
        "2.5",
    )
    assert rep["volunteers_not_schedulable"] == 1
    assert NOTES not in r.text
    # three months later, a and b have had no session since June
    r = await client.get(REPORTS.format("2026-03"), headers=auth("admin"))
    assert r.json()["counselling"]["sessions"] == 1


async def test_a_resident_counselled_more_than_three_months_ago_is_named(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    child = await resident(session, settings)
    body = counselling(base.users["counsel"], [child.id], held_on="2026-03-15")
    assert (await client.post(SESSIONS, json=body, headers=auth("counsel"))).status_code == 201
    rep = (await client.get(REPORTS.format("2026-06"), headers=auth("admin"))).json()
    named = [d for d in rep["without_counselling"] if d["child_id"] == str(child.id)]
    assert named == [
        {
            "child_id": str(child.id),
            "name": "测试儿童",
            "last_on": "2026-03-15",
            "due_on": "2026-06-15",
        }
    ]
    body = counselling(base.users["counsel"], [child.id], held_on="2026-03-16")
    assert (await client.post(SESSIONS, json=body, headers=auth("counsel"))).status_code == 201
    rep = (await client.get(REPORTS.format("2026-06"), headers=auth("admin"))).json()
    assert all(d["child_id"] != str(child.id) for d in rep["without_counselling"])


async def test_report_month_must_be_a_month_that_has_begun(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    for month in ("2026-07", "2026-13", "20260", "1899-12"):
        r = await client.get(REPORTS.format(month), headers=auth("admin"))
        assert r.status_code == 422, month
        assert r.json()["errors"][0]["field"] == "month"
        r = await client.get(REPORTS.format(month) + "/export", headers=auth("admin"))
        assert r.status_code == 422, month


async def test_the_xlsx_export(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    await _month_of_work(client, auth, base, session, settings)
    await resident(session, settings, name='=HYPERLINK("http://x","y")')
    r = await client.get(REPORTS.format("2026-06") + "/export", headers=auth("institute"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert NOTES.encode() not in r.content
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["汇总", "未接受咨询", "照护计划逾期"]
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert summary["在院儿童"] == 4
    assert summary["心理咨询（团体）"] == 1
    assert summary["志愿辅导"] == 2
    names = [row[1] for row in book["未接受咨询"].iter_rows(min_row=3, values_only=True)]
    assert "丙" in names
    assert '\'=HYPERLINK("http://x","y")' in names  # text, not a formula


async def test_the_dashboard_section(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    await _month_of_work(client, auth, base, session, settings)
    body = (await client.get("/api/v1/dashboard/summary", headers=auth("admin"))).json()
    section = body["sections"]["institution"]
    assert section["residents"] == 3
    assert section["counselling_sessions"] == 2
    assert section["counselling_hours"] == "2.3"
    assert section["without_counselling"] == 1
    assert section["care_plans_overdue"] == 2
    assert section["tutoring_hours"] == "2.5"
    assert section["volunteers_not_schedulable"] == 1
    body = (await client.get("/api/v1/dashboard/summary", headers=auth("sup1"))).json()
    assert "institution" not in body["sections"]


async def test_the_xlsx_export_is_laid_out_for_an_office(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    base: Base,
    session: AsyncSession,
    settings: Settings,
) -> None:
    await _month_of_work(client, auth, base, session, settings)
    r = await client.get(REPORTS.format("2026-06") + "/export", headers=auth("institute"))
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    summary = book["汇总"]
    cols = header(summary)  # title with the district and generation time, frozen bold header
    assert "儿童福利院养治教康月报" in str(summary["A1"].value)
    assert "2026-06（截至 2026-06-15）" in str(summary["A1"].value)
    assert list(cols) == ["项目", "数量", "说明"]
    row = find_row(summary, 1, "在院儿童")
    assert summary.cell(row, cols["数量"]).value == 3
    assert summary.cell(row, cols["数量"]).data_type == "n"
    assert find_row(summary, 1, "照护记录 · 康（康复）")
    overdue = book["照护计划逾期"]
    cols = header(overdue)
    assert list(cols) == ["序号", "姓名", "最近一次评估", "应于"]
    b = find_row(overdue, cols["姓名"], "乙")
    last = overdue.cell(b, cols["最近一次评估"])
    assert isinstance(last.value, datetime)
    assert last.value.date() == date(2025, 11, 30)
    assert last.number_format == "yyyy-mm-dd"
    c = find_row(overdue, cols["姓名"], "丙")
    assert overdue.cell(c, cols["最近一次评估"]).value == "无"
    assert header(book["未接受咨询"])["最近一次咨询"] == 3
