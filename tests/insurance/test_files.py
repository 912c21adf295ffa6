"""The insurer's files: the submission file (.xlsx) and the answer file's round trip, its row
errors (nothing half-applied) and a re-import that changes nothing."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import AuthHeaders
from tests.insurance.factories import (
    INS,
    YEAR,
    answer_csv,
    enrol,
    kid,
    schemes,
    sheet_rows,
)

CSV = {"Content-Type": "text/csv"}
Q: dict[str, str | int] = {"year": YEAR, "scheme": "basic_medical"}


async def _import(
    client: httpx.AsyncClient, auth: AuthHeaders, content: bytes, **params: str | int
) -> httpx.Response:
    return await client.post(
        f"{INS}/answers/import",
        params=Q | params,
        content=content,
        headers=auth("admin") | CSV,
    )


async def _enrolments(client: httpx.AsyncClient, auth: AuthHeaders) -> dict[str, dict[str, str]]:
    r = await client.get(f"{INS}/enrolments", params=Q | {"limit": 500}, headers=auth("admin"))
    return {e["child_id"]: e for e in r.json()["items"]}


async def test_submission_file_and_answer_round_trip(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth, years=(YEAR - 1, YEAR))
    a, a_id = await kid(session, settings)
    b, b_id = await kid(session, settings)
    leaving, _ = await kid(session, settings, birth_date=date(2008, 12, 1))  # 18 in 2026
    r = await enrol(client, auth, leaving, year=YEAR - 1, status="enrolled", policy_number="OLD-9")
    assert r.status_code == 201, r.text
    r = await client.post(f"{INS}/worklist/generate", json=Q, headers=auth("admin"))
    assert r.status_code == 200

    r = await client.post(f"{INS}/submission-file", json=Q, headers=auth("admin"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = sheet_rows(r.content, "参保名单")
    ids = {row[2] for row in rows[2:-1]}
    assert {a_id, b_id} <= ids  # the full ID number: the insurer enrols by it
    line = next(row for row in rows[2:] if row[2] == a_id)
    assert line[1] == a.name
    assert line[8] == 380  # the premium
    stop = sheet_rows(r.content, "停保名单")
    assert (stop[2][2], stop[2][3], stop[2][4]) == (leaving.id_number_masked, "OLD-9", "已满18周岁")
    assert (await _enrolments(client, auth))[str(a.id)]["status"] == "submitted"

    answer = answer_csv(
        [
            {
                "id_number": a_id,
                "year": str(YEAR),
                "scheme": "basic_medical",
                "result": "参保成功",
                "policy_number": "BJ-27-001",
                "premium": "380.00",
                "enrolled_on": "2026-12-20",
            },
            {"id_number": b_id, "year": str(YEAR), "result": "拒保"},
        ]
    )
    r = await _import(client, auth, answer)
    assert r.status_code == 200, r.text
    assert r.json() | {} == {
        "year": YEAR,
        "scheme": "basic_medical",
        "rows": 2,
        "enrolled": 1,
        "refused": 1,
        "unchanged": 0,
    }
    rows_after = await _enrolments(client, auth)
    assert rows_after[str(a.id)]["status"] == "enrolled"
    assert rows_after[str(a.id)]["policy_number"] == "BJ-27-001"
    assert rows_after[str(a.id)]["enrolled_on"] == "2026-12-20"
    assert rows_after[str(b.id)]["status"] == "refused_by_insurer"
    versions = {k: v["version"] for k, v in rows_after.items()}

    # the same file again: nothing changes
    again = await _import(client, auth, answer)
    assert again.status_code == 200
    assert (again.json()["enrolled"], again.json()["refused"], again.json()["unchanged"]) == (
        0,
        0,
        2,
    )
    assert {k: v["version"] for k, v in (await _enrolments(client, auth)).items()} == versions
    # the refused child is due again, with its reason
    r = await client.get(f"{INS}/worklist", params=Q, headers=auth("admin"))
    due = {i["child_id"]: i["reason"] for i in r.json()["items"]}
    assert due[str(b.id)] == "refused_by_insurer"
    assert str(a.id) not in due


async def test_row_errors_apply_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    a, a_id = await kid(session, settings)
    _stranger, stranger_id = await kid(session, settings)  # on the ledger, never submitted
    assert (await enrol(client, auth, a, status="submitted")).status_code == 201
    good = {"id_number": a_id, "year": str(YEAR), "result": "enrolled", "policy_number": "P-1"}
    answer = answer_csv(
        [
            good,
            good,  # row 3: the same ID twice
            good | {"id_number": stranger_id},  # row 4: no enrolment of this year
            good | {"id_number": "110115201501010000"},  # row 5: not an ID number
            good | {"year": str(YEAR - 1)},  # row 6: the wrong year (and the same ID again)
            good | {"premium": "380.005"},  # row 7: three decimals
            good | {"policy_number": ""},  # row 8: enrolled without a policy
            good | {"result": "maybe"},  # row 9
        ]
    )
    r = await _import(client, auth, answer)
    assert r.status_code == 422, r.text
    problems = {(p["row"], p["field"]) for p in r.json()["rows"]}
    assert {
        (3, "id_number"),
        (4, "id_number"),
        (5, "id_number"),
        (6, "year"),
        (7, "premium"),
        (8, "policy_number"),
        (9, "result"),
    } <= problems
    assert (2, "id_number") not in problems
    assert "第3行" in r.json()["errors"][0]["message"] or any(
        "第3行" in e["message"] for e in r.json()["errors"]
    )
    # nothing half-applied: the valid first row did not enrol the child
    assert (await _enrolments(client, auth))[str(a.id)]["status"] == "submitted"
    # in English, the rows are named too
    r = await client.post(
        f"{INS}/answers/import",
        params=Q,
        content=answer,
        headers=auth("admin", lang="en") | CSV,
    )
    assert any(e["message"].startswith("Row 3:") for e in r.json()["errors"])


async def test_answer_file_shape(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    r = await _import(client, auth, b"id_number,result\n")
    assert r.status_code == 422
    assert r.json()["rows"][0]["field"] == "year"  # the missing column
    r = await _import(client, auth, b"")
    assert r.status_code == 422
    r = await client.post(
        f"{INS}/answers/import",
        params=Q,
        content=b"{}",
        headers=auth("admin") | {"Content-Type": "application/json"},
    )
    assert r.status_code == 415
    # a year without parameters
    r = await _import(client, auth, answer_csv([]), year=2031)
    assert r.status_code == 409
