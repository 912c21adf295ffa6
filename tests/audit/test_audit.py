"""审计日志: every write appends, GET /api/v1/audit, the hash chain, and append-only storage."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from app import manage
from app.config import Settings
from app.kit import audit as audit_kit
from app.kit.audit import ChainReport, verify_chain
from app.kit.pagination import encode_cursor
from app.models import AuditEntry
from tests.conftest import NOW, PASSWORD, TOWN2, AuthHeaders, Base
from tests.users.factories import client_body, insert_user, user_body

AUDIT = "/api/v1/audit"
PROBLEM = "application/problem+json"


async def entries(session: AsyncSession, **where: Any) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, name) == value)
    return list((await session.execute(stmt)).scalars())


async def make_user_history(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> str:
    """Rename, re-phone and deactivate an account: three audited writes on one resource."""
    uid = str((await insert_user(session)).id)
    r = await client.patch(
        f"/api/v1/users/{uid}",
        json={"full_name": "改名"},
        headers=auth("admin") | {"If-Match": '"1"'},
    )
    assert r.status_code == 200
    r = await client.patch(
        f"/api/v1/users/{uid}",
        json={"phone": "13800000000"},
        headers=auth("admin") | {"If-Match": '"2"'},
    )
    assert r.status_code == 200
    r = await client.post(f"/api/v1/users/{uid}/deactivate", headers=auth("admin"))
    assert r.status_code == 200
    return uid


HISTORY = ["user.update", "user.update", "user.deactivate"]


# -- every write appends --------------------------------------------------------------------------


async def test_user_writes_are_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, base: Base
) -> None:
    r = await client.post("/api/v1/users", json=user_body(), headers=auth("admin"))
    assert r.status_code == 201
    uid = r.json()["id"]
    request_id = r.headers["x-request-id"]
    (created,) = await entries(session, resource_id=uid)
    assert created.action == "user.create"
    assert created.resource_type == "user"
    assert created.principal_kind == "user"
    assert created.principal_id == str(base.users["admin"])
    assert created.principal_name == "admin"
    assert created.request_id == request_id
    assert created.client_addr
    assert created.at == NOW
    assert created.detail == {"role": "village_director"}
    assert PASSWORD not in str(created.detail)

    await client.patch(
        f"/api/v1/users/{uid}",
        json={"full_name": "改名", "phone": None},
        headers=auth("admin") | {"If-Match": '"1"'},
    )
    await client.post(f"/api/v1/users/{uid}/deactivate", headers=auth("admin"))
    got = await entries(session, resource_id=uid)
    assert [e.action for e in got] == ["user.create", "user.update", "user.deactivate"]
    assert got[1].detail == {"fields": ["full_name", "phone"]}
    assert {e.principal_id for e in got} == {str(base.users["admin"])}
    assert len({e.request_id for e in got}) == 3


async def test_refused_writes_leave_no_entry(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = len(await entries(session))
    r = await client.post("/api/v1/users", json=user_body(area_code=TOWN2), headers=auth("admin"))
    assert r.status_code == 422
    r = await client.post("/api/v1/users", json=user_body(), headers=auth("dir1"))
    assert r.status_code == 403
    assert len(await entries(session)) == before


async def test_agency_client_writes_are_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, base: Base
) -> None:
    r = await client.post(
        "/api/v1/agency-clients", json=client_body(agency="health"), headers=auth("admin")
    )
    assert r.status_code == 201
    cid = r.json()["id"]
    secret = r.json()["client_secret"]
    await client.post(f"/api/v1/agency-clients/{cid}/rotate-secret", headers=auth("admin"))
    await client.post(f"/api/v1/agency-clients/{cid}/deactivate", headers=auth("admin"))
    got = await entries(session, resource_id=cid)
    assert [e.action for e in got] == [
        "agency_client.create",
        "agency_client.rotate_secret",
        "agency_client.deactivate",
    ]
    assert {e.resource_type for e in got} == {"agency_client"}
    assert got[0].detail == {"agency": "health", "area_code": "110115"}
    assert {e.principal_id for e in got} == {str(base.users["admin"])}
    for e in got:
        assert secret not in str(e.detail)


async def test_area_import_is_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, base: Base
) -> None:
    csv = "code,name,level,parent_code\n110115950,审计镇,town,110115\n"
    r = await client.post(
        "/api/v1/areas/import",
        headers=auth("admin") | {"Content-Type": "text/csv"},
        content=csv.encode(),
    )
    assert r.status_code == 200
    (entry,) = await entries(session, action="area.import")
    assert entry.resource_type == "area"
    assert entry.detail == {"inserted": 1, "updated": 0}
    assert entry.principal_id == str(base.users["admin"])


async def test_reading_the_log_is_itself_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, base: Base
) -> None:
    r = await client.get(AUDIT, params={"limit": 3}, headers=auth("auditor"))
    assert r.status_code == 200
    got = await entries(session, action="audit.read", principal_id=str(base.users["auditor"]))
    assert len(got) >= 1
    assert got[-1].request_id == r.headers["x-request-id"]
    assert got[-1].detail == {"count": len(r.json()["items"])}


# -- GET /api/v1/audit ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["auditor", "admin"])
async def test_auditor_and_admin_may_read(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, who: str
) -> None:
    uid = await make_user_history(client, auth, session)
    r = await client.get(AUDIT, params={"resource_id": uid}, headers=auth(who))
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["action"] for i in items] == HISTORY[::-1]
    first = items[-1]
    assert first["resource_type"] == "user"
    assert first["detail"] == {"fields": ["full_name"]}
    assert first["principal_name"] == "admin"
    assert len(first["hash"]) == 64
    assert items[1]["prev_hash"] == first["hash"]
    assert items[0]["prev_hash"] == items[1]["hash"]


@pytest.mark.parametrize("who", ["leader", "institute", "sup1", "dir1"])
async def test_other_roles_may_not_read(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    r = await client.get(AUDIT, headers=auth(who))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith(PROBLEM)


async def test_agencies_and_anonymous_may_not_read(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    assert (await client.get(AUDIT, headers=auth(agency="police"))).status_code == 403
    assert (await client.get(AUDIT)).status_code == 401


async def test_filters(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession
) -> None:
    uid = await make_user_history(client, auth, session)
    h = auth("auditor")
    r = await client.get(AUDIT, params={"resource_id": uid, "action": "user.deactivate"}, headers=h)
    assert [i["action"] for i in r.json()["items"]] == ["user.deactivate"]

    r = await client.get(
        AUDIT, params={"resource_type": "user", "resource_id": uid, "limit": 500}, headers=h
    )
    assert len(r.json()["items"]) == 3

    r = await client.get(
        AUDIT,
        params={"principal_id": str(base.users["admin"]), "action": "user.update", "limit": 500},
        headers=h,
    )
    assert uid in {i["resource_id"] for i in r.json()["items"]}
    assert {i["principal_id"] for i in r.json()["items"]} == {str(base.users["admin"])}

    r = await client.get(
        AUDIT, params={"principal_id": str(base.users["dir1"]), "resource_id": uid}, headers=h
    )
    assert r.json()["items"] == []

    at = NOW.isoformat()
    later = (NOW + timedelta(seconds=1)).isoformat()
    r = await client.get(AUDIT, params={"resource_id": uid, "since": at}, headers=h)
    assert len(r.json()["items"]) == 3
    r = await client.get(AUDIT, params={"resource_id": uid, "since": later}, headers=h)
    assert r.json()["items"] == []
    r = await client.get(AUDIT, params={"resource_id": uid, "until": at}, headers=h)
    assert r.json()["items"] == []
    r = await client.get(AUDIT, params={"resource_id": uid, "until": later}, headers=h)
    assert len(r.json()["items"]) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-06-15T10:00:00"}, "since"),
        ({"until": "2026-06-15T10:00:00"}, "until"),
        ({"since": "yesterday"}, "since"),
        ({"limit": 0}, "limit"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": encode_cursor(["abc"])}, "cursor"),
        ({"cursor": encode_cursor([1, 2])}, "cursor"),
        ({"cursor": encode_cursor([10**30])}, "cursor"),
        ({"cursor": encode_cursor([-(10**30)])}, "cursor"),
        ({"cursor": encode_cursor([True])}, "cursor"),
        ({"cursor": encode_cursor([1.5])}, "cursor"),
        ({"cursor": encode_cursor([None])}, "cursor"),
    ],
)
async def test_bad_query_is_422_naming_it(
    client: httpx.AsyncClient, auth: AuthHeaders, params: dict[str, Any], field: str
) -> None:
    r = await client.get(AUDIT, params=params, headers=auth("auditor"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_pages_newest_first(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    uids = [await make_user_history(client, auth, session) for _ in range(2)]
    ids: list[int] = []
    actions: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"resource_type": "user", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = await client.get(AUDIT, params=params, headers=auth("auditor"))
        assert r.status_code == 200
        page = r.json()["items"]
        assert len(page) <= 2
        ids += [i["id"] for i in page if i["resource_id"] in uids]
        actions += [i["action"] for i in page if i["resource_id"] in uids]
        pages += 1
        cursor = r.json()["next_cursor"]
        if cursor is None or len(ids) == 6:
            break
    assert len(ids) == 6
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 6
    assert actions == HISTORY[::-1] * 2
    assert pages >= 3


# -- the hash chain -------------------------------------------------------------------------------


async def test_chain_verifies(
    client: httpx.AsyncClient, auth: AuthHeaders, conn: AsyncConnection, session: AsyncSession
) -> None:
    uid = await make_user_history(client, auth, session)
    report = await verify_chain(conn)
    assert report.first_broken_id is None
    assert report.reason is None
    total = len(await entries(session))
    assert report.checked == total
    got = await entries(session, resource_id=uid)
    assert got[1].prev_hash == got[0].hash
    assert got[2].prev_hash == got[1].hash


async def _three_entries(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> list[AuditEntry]:
    uid = await make_user_history(client, auth, session)
    got = await entries(session, resource_id=uid)
    assert len(got) == 3
    return got


async def test_update_delete_truncate_are_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, conn: AsyncConnection, session: AsyncSession
) -> None:
    got = await _three_entries(client, auth, session)
    target = got[1].id
    statements = [
        ("UPDATE audit_log SET action = 'forged' WHERE id = :id", {"id": target}),
        ("UPDATE audit_log SET detail = '{}'::jsonb", {}),
        ("DELETE FROM audit_log WHERE id = :id", {"id": target}),
        ("TRUNCATE audit_log", {}),
    ]
    for sql, params in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            async with conn.begin_nested():
                await conn.execute(text(sql), params)
    row = (
        await conn.execute(text("SELECT action FROM audit_log WHERE id = :id"), {"id": target})
    ).scalar_one()
    assert row == "user.update"  # the second entry of HISTORY
    assert (await verify_chain(conn)).first_broken_id is None


async def test_a_changed_entry_is_named(
    client: httpx.AsyncClient, auth: AuthHeaders, conn: AsyncConnection, session: AsyncSession
) -> None:
    got = await _three_entries(client, auth, session)
    target = got[1].id
    await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete"))
    await conn.execute(
        text("""UPDATE audit_log SET detail = '{"fields": []}'::jsonb WHERE id = :id"""),
        {"id": target},
    )
    await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete"))
    report = await verify_chain(conn)
    assert report.first_broken_id == target
    assert report.reason is not None
    assert "hash" in report.reason


async def test_a_changed_entry_with_recomputed_hash_breaks_the_next_link(
    client: httpx.AsyncClient, auth: AuthHeaders, conn: AsyncConnection, session: AsyncSession
) -> None:
    """Forging the entry's own hash too does not help: the next entry no longer links to it."""
    got = await _three_entries(client, auth, session)
    forged = got[1]
    row = {c.name: getattr(forged, c.name) for c in AuditEntry.__table__.columns}
    row["detail"] = {"fields": []}
    new_hash = audit_kit.chain_hash(row)
    await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete"))
    await conn.execute(
        text("""UPDATE audit_log SET detail = '{"fields": []}'::jsonb, hash = :h WHERE id = :id"""),
        {"id": forged.id, "h": new_hash},
    )
    await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete"))
    report = await verify_chain(conn)
    assert report.first_broken_id == got[2].id


async def test_a_deleted_middle_entry_is_detected(
    client: httpx.AsyncClient, auth: AuthHeaders, conn: AsyncConnection, session: AsyncSession
) -> None:
    got = await _three_entries(client, auth, session)
    await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete"))
    await conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": got[1].id})
    await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete"))
    report = await verify_chain(conn)
    assert report.first_broken_id == got[2].id
    assert report.reason is not None
    assert "prev_hash" in report.reason


# -- python -m app.manage verify-audit ------------------------------------------------------------


async def test_verify_audit_command_on_an_intact_log(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: Settings,
    database_url: str,
    base: Base,
) -> None:
    monkeypatch.setattr(manage, "get_settings", lambda: settings)
    monkeypatch.setattr(manage, "resolve_database_url", lambda: database_url)
    assert await manage.cmd_verify_audit() == 0
    assert "audit chain intact" in capsys.readouterr().out


async def test_verify_audit_command_names_the_break(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: Settings,
    database_url: str,
    base: Base,
) -> None:
    async def broken(conn: AsyncConnection) -> ChainReport:
        return ChainReport(checked=7, first_broken_id=42, reason="hash does not match")

    monkeypatch.setattr(manage, "get_settings", lambda: settings)
    monkeypatch.setattr(manage, "resolve_database_url", lambda: database_url)
    monkeypatch.setattr(audit_kit, "verify_chain", broken)
    assert await manage.cmd_verify_audit() == 1
    out = capsys.readouterr().out
    assert "BROKEN at entry 42" in out


async def test_the_chain_holds_under_concurrent_commits(
    committed_client: httpx.AsyncClient, committed_engine: AsyncEngine, auth: AuthHeaders
) -> None:
    """Writers that commit at once still append one after another: every entry links to the
    one before it (the chain's lock, and a head read that sees the last holder's commit)."""
    bodies = [user_body() for _ in range(24)]
    answers = await asyncio.gather(
        *(committed_client.post("/api/v1/users", json=b, headers=auth("admin")) for b in bodies)
    )
    assert [r.status_code for r in answers] == [201] * len(bodies)
    async with committed_engine.connect() as c:
        report = await verify_chain(c)
        created = (
            await c.execute(
                select(AuditEntry.resource_id).where(AuditEntry.action == "user.create")
            )
        ).scalars()
        assert {r.json()["id"] for r in answers} <= set(created)
    assert report.first_broken_id is None, report.reason
    assert report.checked >= len(bodies)
