"""Who reads what: jurisdiction of staff, partner agencies' projections, list filters, stats."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.kit.clock import FixedClock
from app.kit.idnumber import mask
from app.screening.imports import merge
from tests.conftest import TOWN1, TOWN2, VILLAGE1, VILLAGE2, VILLAGE3, AuthHeaders
from tests.incidents.factories import report
from tests.screening.factories import csv_bytes, import_file, keyring, load_records, row

COMMON = {"id", "name", "id_number", "gender", "birth_date", "age", "village_code", "town_code", "classification", "updated_at"}  # fmt: skip
MANDATE = {
    "education": {"school_status", "school_name"},
    "health": {"health_status", "disability_kind", "disability_grade"},
    "police": {
        "hukou_code",
        "residence_since",
        "accompanied_by",
        "guardian_name",
        "guardian_phone",
    },
    "disabled_federation": {"disability_kind", "disability_grade"},
}


@pytest.fixture
def tag() -> str:
    return "T" + uuid.uuid4().hex[:8]


async def _list(client: httpx.AsyncClient, h: dict[str, str], **params: Any) -> httpx.Response:
    return await client.get("/api/v1/screening/records", headers=h, params=params)


async def _names(client: httpx.AsyncClient, h: dict[str, str], **params: Any) -> set[str]:
    r = await _list(client, h, **params)
    assert r.status_code == 200, r.text
    return {i["name"] for i in r.json()["items"]}


async def _all_pages(client: httpx.AsyncClient, h: dict[str, str], **params: Any) -> list[str]:
    """The names on every page of a list, following `next_cursor`."""
    seen: list[str] = []
    cursor = None
    while True:
        r = await _list(client, h, **params, **({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        seen += [i["name"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return seen


async def test_staff_see_their_area_only(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    tag: str,
) -> None:
    rows = [
        row(name=f"{tag}a", village_code=VILLAGE1),
        row(name=f"{tag}b", village_code=VILLAGE2),
        row(name=f"{tag}c", village_code=VILLAGE3),
    ]
    await load_records(session, settings, rows)
    assert await _names(client, auth("admin"), q=tag) == {f"{tag}a", f"{tag}b", f"{tag}c"}
    assert await _names(client, auth("auditor"), q=tag) == {f"{tag}a", f"{tag}b", f"{tag}c"}
    assert await _names(client, auth("sup1"), q=tag) == {f"{tag}a", f"{tag}b"}
    assert await _names(client, auth("sup2"), q=tag) == {f"{tag}c"}
    assert await _names(client, auth("dir1"), q=tag) == {f"{tag}a"}
    assert await _names(client, auth("sup1"), q=tag, area_code=VILLAGE2) == {f"{tag}b"}
    # outside one's jurisdiction a record or an area does not exist
    r = await _list(client, auth("sup1"), q=tag, area_code=TOWN2)
    assert r.status_code == 404
    assert (await _list(client, auth("dir1"), area_code=TOWN1)).status_code == 404
    assert (await _list(client, auth("admin"), area_code="110115999")).status_code == 404
    c_id = (await _list(client, auth("admin"), q=f"{tag}c")).json()["items"][0]["id"]
    assert (
        await client.get(f"/api/v1/screening/records/{c_id}", headers=auth("sup1"))
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/screening/records/{c_id}", headers=auth("sup2"))
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/screening/records/{uuid.uuid4()}", headers=auth("admin"))
    ).status_code == 404
    # roles without a screening mandate
    assert (await _list(client, auth("institute"))).status_code == 403
    assert (await client.get("/api/v1/screening/records")).status_code == 401


async def test_partner_agencies_see_their_mandate_only(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    tag: str,
) -> None:
    r = row(name=f"{tag}x", disability="肢体二级", health_status="哮喘")
    await load_records(session, settings, [r])
    # no referral concerns the child yet: it is no agency's to read
    for agency in MANDATE:
        assert await _names(client, auth(agency=agency), q=f"{tag}x") == set(), agency
    await _report_to_every_agency(client, auth, r)
    for agency, fields in MANDATE.items():
        h = auth(agency=agency)
        [item] = (await _list(client, h, q=f"{tag}x")).json()["items"]
        assert set(item) == COMMON | fields, agency
        detail = await client.get(f"/api/v1/screening/records/{item['id']}", headers=h)
        assert detail.status_code == 200
        assert set(detail.json()) == COMMON | fields, agency
        # the whole ID number for the police (identity), masked for everyone else
        expected = r["id_number"] if agency == "police" else mask(r["id_number"])
        assert item["id_number"] == detail.json()["id_number"] == expected, agency
    health = (await _list(client, auth(agency="health"), q=f"{tag}x")).json()["items"][0]
    assert (health["disability_kind"], health["disability_grade"]) == ("physical", 2)
    # no scope, no access
    assert (
        await _list(client, auth(agency="education", scopes=["referrals:read"]))
    ).status_code == 403
    assert (
        await _list(client, auth(agency="women_federation", scopes=["referrals:read"]))
    ).status_code == 403


async def _report_to_every_agency(
    client: httpx.AsyncClient, auth: AuthHeaders, screened: dict[str, Any]
) -> None:
    """A report on the screened child (a minor not on the ledger, with its ID number), referred
    to the police and then to every other agency with a screening mandate."""
    facts = {key: screened[key] for key in ("name", "id_number", "birth_date")} | {
        "gender": "female"
    }
    body = report(child=facts)
    r = await client.post("/api/v1/incidents", json=body, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    for agency in set(MANDATE) - {"police"}:
        r = await client.post(
            f"/api/v1/incidents/{body['id']}/referrals",
            json={"agency": agency},
            headers=auth("admin"),
        )
        assert r.status_code == 201, r.text


async def test_list_filters_and_keyset_pages(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    tag: str,
) -> None:
    today = date(2026, 6, 15)
    rows = [
        row(name=f"{tag}-6", birth=date(2020, 6, 15)),  # 6 today
        row(name=f"{tag}-5", birth=date(2020, 6, 16)),  # 5 today (6 tomorrow)
        row(name=f"{tag}-15", birth=date(2010, 6, 16), school_status="未入学", school_name=""),
        row(name=f"{tag}-16", birth=date(2010, 6, 15), stated_classification=""),
        row(name=f"{tag}-lb", hukou_code="110115", father_away_since="2024-01-01",
            mother_away_since="2024-01-01", stated_classification="留守儿童"),
        row(name=f"{tag}-fl", residence_since="2026-06-10", stated_classification=""),
    ]  # fmt: skip
    await load_records(session, settings, rows)
    h = auth("admin")
    assert today.year == 2026
    assert await _names(client, h, q=tag, age_min=6, age_max=15) == {f"{tag}-6", f"{tag}-15", f"{tag}-lb", f"{tag}-fl"}  # fmt: skip
    assert await _names(client, h, q=tag, age_max=5) == {f"{tag}-5"}
    assert await _names(client, h, q=tag, age_min=16) == {f"{tag}-16"}
    assert await _names(client, h, q=tag, classification="left_behind") == {f"{tag}-lb"}
    assert await _names(client, h, q=tag, classification="flagged") == {f"{tag}-fl"}
    assert await _names(client, h, q=tag, school_status="not_in_school") == {f"{tag}-15"}
    assert await _names(client, h, q=tag, updated_since="2026-06-15T10:00:00+08:00") == set()
    assert len(await _names(client, h, q=tag, updated_since="2026-06-15T09:00:00+08:00")) == 6
    seen = await _all_pages(client, h, q=tag, limit=4)
    assert sorted(seen) == sorted(r["name"] for r in rows)
    for bad in ({"classification": "orphan"}, {"age_min": -1}, {"cursor": "nonsense"},
                {"updated_since": "2026-06-15"}, {"limit": 501}, {"area_code": "abc"}):  # fmt: skip
        r = await _list(client, h, **bad)
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["field"].endswith(next(iter(bad)))


async def test_a_towns_list_pages_through_its_villages_records_in_order(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    tag: str,
) -> None:
    # a town's list: every record of the town's villages, page after page, in (updated_at, id)
    # order, whether the supervisor lists their own town or the district filters to it
    villages = (VILLAGE1, VILLAGE2, VILLAGE3)
    rows = [row(name=f"{tag}{i:02}", village_code=villages[i % 3]) for i in range(14)]
    rows[4]["stated_classification"] = "留守儿童"  # flagged (computed: migrant)
    rows[7]["stated_classification"] = "留守儿童"
    await load_records(session, settings, rows)

    async def expected(flagged_only: bool) -> list[str]:
        names = await session.execute(
            text(
                "SELECT name FROM screening_records WHERE town_code = :t "
                "AND (flagged OR NOT :f) ORDER BY updated_at, id"
            ),
            {"t": TOWN1, "f": flagged_only},
        )
        return list(names.scalars())

    async def pages(h: dict[str, str], **params: Any) -> list[str]:
        return await _all_pages(client, h, limit=3, **params)

    town1 = await expected(False)
    assert {n for n in town1 if n.startswith(tag)} == {r["name"] for r in rows[:14] if r["village_code"] != VILLAGE3}  # fmt: skip
    assert await pages(auth("sup1")) == town1  # the supervisor's own town
    assert await pages(auth("admin"), area_code=TOWN1) == town1  # the district, filtered
    flagged = await expected(True)
    assert {n for n in flagged if n.startswith(tag)} == {rows[4]["name"], rows[7]["name"]}
    assert await pages(auth("sup1"), classification="flagged") == flagged


async def _stats(client: httpx.AsyncClient, h: dict[str, str], **params: Any) -> dict[str, Any]:
    r = await client.get("/api/v1/screening/stats", headers=h, params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _minus(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"total": after["total"] - before["total"]}
    for key in ("by_classification", "by_age_band", "by_school_status"):
        out[key] = {
            k: v - before[key].get(k, 0) for k, v in after[key].items() if v - before[key].get(k, 0)
        }
    towns_before = {t["key"]: t["count"] for t in before["by_town"]}
    out["by_town"] = {t["key"]: t["count"] - towns_before.get(t["key"], 0) for t in after["by_town"]
                      if t["count"] - towns_before.get(t["key"], 0)}  # fmt: skip
    out["not_in_school"] = (
        after["compulsory_age_not_in_school"] - before["compulsory_age_not_in_school"]
    )
    return out


async def test_stats_counts_and_jurisdiction(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    tag: str,
) -> None:
    h = auth("admin")
    await merge.ensure_stats_state(session, date(2026, 6, 15))
    before = await _stats(client, h)
    before_v3 = await _stats(client, auth("sup2"))
    rows = [
        row(
            birth=date(2024, 1, 1), school_status="未入学", school_name=""
        ),  # 2: 0-2, not compulsory
        row(birth=date(2020, 6, 15), school_status="未入学", school_name=""),  # 6 today: compulsory
        row(birth=date(2010, 6, 16), school_status="未入学", school_name=""),  # 15 today
        row(
            birth=date(2010, 6, 15),
            school_status="未入学",
            school_name="",
            stated_classification="",
        ),  # 16
        row(village_code=VILLAGE3, stated_classification="无"),  # flagged: stated differs
    ]
    await load_records(session, settings, rows)
    after = await _stats(client, h)
    assert _minus(after, before) == {
        "total": 5,
        # 16 today but 15 on the screening day: still migrant (classified at screening)
        "by_classification": {"migrant": 5, "flagged": 1},
        "by_age_band": {"0-2": 1, "6-11": 2, "15": 1, "16+": 1},
        "by_school_status": {"not_in_school": 4, "primary": 1},
        "by_town": {TOWN1: 4, TOWN2: 1},
        "not_in_school": 2,
    }
    town2 = _minus(await _stats(client, auth("sup2")), before_v3)
    assert town2["total"] == 1
    assert town2["by_town"] == {TOWN2: 1}
    # the daily recount and the live GROUP BY give the same figures
    await session.execute(text("UPDATE screening_stats_state SET as_of = '2026-06-14'"))
    assert await _stats(client, h) == after
    await merge.refresh_stats(session, date(2026, 6, 15))
    assert await _stats(client, h) == after
    # jurisdiction
    assert (
        await client.get(
            "/api/v1/screening/stats", headers=auth("sup2"), params={"area_code": TOWN1}
        )
    ).status_code == 404
    assert (
        await client.get("/api/v1/screening/stats", headers=auth("institute"))
    ).status_code == 403
    assert (
        await client.get("/api/v1/screening/stats", headers=auth(agency="education"))
    ).status_code == 200
    assert (await _stats(client, auth("dir1")))["area_code"] == VILLAGE1


async def test_a_changed_child_moves_in_the_stats_and_keeps_its_history(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    h = auth("admin")
    first = row()
    await load_records(session, settings, [first])
    before = await _stats(client, h)
    # moved to a village of another town, and the stated classification now differs
    moved = {**first, "village_code": VILLAGE3, "stated_classification": "无"}
    await load_records(session, settings, [moved])
    after = await _stats(client, h)
    diff = _minus(after, before)
    assert {k: v for k, v in diff.items() if k != "by_town"} == {
        "total": 0,
        "by_classification": {"flagged": 1},
        "by_age_band": {},
        "by_school_status": {},
        "not_in_school": 0,
    }
    towns_before = {t["key"]: t["count"] for t in before["by_town"]}
    towns_after = {t["key"]: t["count"] for t in after["by_town"]}
    for town, moved_by in ((TOWN1, -1), (TOWN2, 1)):
        assert towns_after.get(town, 0) - towns_before.get(town, 0) == moved_by
    record = (
        await session.execute(
            text(
                "SELECT id, village_code, town_code, flagged, flags, version "
                "FROM screening_records WHERE name = :n"
            ),
            {"n": first["name"]},
        )
    ).one()
    assert (record.village_code, record.town_code, record.flagged, record.version) == (
        VILLAGE3,
        TOWN2,
        True,
        2,
    )
    assert [f["code"] for f in record.flags] == ["stated_classification_mismatch"]
    changes = (
        await session.execute(
            text(
                "SELECT field, old_value, new_value FROM screening_record_changes "
                "WHERE record_id = :id"
            ),
            {"id": record.id},
        )
    ).all()
    assert {c.field: (c.old_value, c.new_value) for c in changes} == {
        "village_code": (VILLAGE1, VILLAGE3),
        "stated_classification": ("migrant", "neither"),
        "flags": ("[]", changes[-1].new_value),
    }
    assert "stated_classification_mismatch" in {c.field: c.new_value for c in changes}["flags"]
    # the same row once more: unchanged, the figures stay
    await load_records(session, settings, [moved])
    assert await _stats(client, h) == after


async def test_town_supervisor_upload_rejects_rows_outside_the_town(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
) -> None:
    h = auth("sup1")
    rows = [row(village_code=VILLAGE2), row(village_code=VILLAGE3)]
    body = await import_file(
        committed_client, h, committed_engine, settings, clock, csv_bytes(rows)
    )
    assert (body["inserted"], body["rejected"]) == (1, 1)
    errors = await committed_client.get(
        f"/api/v1/screening/imports/{body['id']}/errors", params={"format": "csv"}, headers=h
    )
    [_, line] = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig"))))
    assert line[:3] == ["3", "现居住村居代码", VILLAGE3]
    assert "不在您的辖区" in line[3]
    # the import is visible to its uploader and the district, not to another town or a village
    url = f"/api/v1/screening/imports/{body['id']}"
    assert (await committed_client.get(url, headers=auth("admin"))).status_code == 200
    assert (await committed_client.get(url, headers=auth("sup2"))).status_code == 404
    assert (await committed_client.get(url, headers=auth("dir1"))).status_code == 404
    assert (await committed_client.get(url + "/errors", headers=auth("sup2"))).status_code == 404
    assert (
        await committed_client.get(f"/api/v1/screening/imports/{uuid.uuid4()}", headers=h)
    ).status_code == 404


async def test_search_by_id_number_finds_the_child_through_the_identity_key(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    tag: str,
) -> None:
    with_id = row(name=f"{tag}a")
    without_id = row(name=f"{tag}b", id_number="")
    await load_records(session, settings, [with_id, without_id])
    assert await _names(client, auth("admin"), q=with_id["id_number"]) == {f"{tag}a"}
    # the identity key of a record with an ID number is the ID's HMAC, as its 32 bytes
    key = keyring(settings).lookup_digest(with_id["id_number"])
    stored = await session.execute(
        text("SELECT identity_key FROM screening_records WHERE name = :name"), {"name": f"{tag}a"}
    )
    assert stored.scalar_one() == key
    # only a record with an ID number is found by one: give the record without an ID that key
    await session.execute(text("DELETE FROM screening_records WHERE identity_key = :k"), {"k": key})
    await session.execute(
        text("UPDATE screening_records SET identity_key = :k WHERE name = :name"),
        {"k": key, "name": f"{tag}b"},
    )
    assert await _names(client, auth("admin"), q=with_id["id_number"]) == set()
    assert await _names(client, auth("admin"), q=f"{tag}b") == {f"{tag}b"}
