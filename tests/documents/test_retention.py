"""Retention: documents of children who left the ledger, of closed cases and of discharged
intakes are kept DOCUMENTS_RETENTION_YEARS, then purged by the job (objects and rows), each
purge in the audit log; a key rotation rewraps the documents' keys, not their objects."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.config import Settings
from app.documents import jobs
from app.kit.audit_chain import flush as flush_audit
from app.kit.clock import FixedClock
from app.kit.crypto import KeyRing
from app.manage import ENCRYPTED_COLUMNS, reencrypt_column
from app.models import AuditEntry, Case, Child, Document
from app.worker.registry import JobContext
from tests.casework.factories import open_case
from tests.conftest import AuthHeaders
from tests.documents.conftest import ClientWith
from tests.documents.factories import API, stored
from tests.incidents.factories import make_child


async def _revoke(session: AsyncSession, child_id: uuid.UUID, on: date) -> None:
    await session.execute(
        update(Child)
        .where(Child.id == child_id)
        .values(status="revoked", revoked_on=on, revoke_reason="family_recovered")
    )


async def _ids(session: AsyncSession) -> set[str]:
    return {str(i) for i in (await session.scalars(select(Document.id))).all()}


def _objects(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).parts[1] for p in root.rglob("*") if p.is_file()}


async def test_the_job_purges_documents_past_their_retention(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    docs_settings: Settings,
    clock: FixedClock,
    store_dir: Path,
) -> None:
    long_gone = await make_child(session, settings)
    recently_gone = await make_child(session, settings)
    active = await make_child(session, settings)
    docs: dict[str, dict[str, Any]] = {
        "long_gone": await stored(client, auth, "child", long_gone.id),
        "recently_gone": await stored(client, auth, "child", recently_gone.id),
        "active": await stored(client, auth, "child", active.id),
    }
    r = await client.post(
        "/api/v1/incidents",
        json={
            "id": str(uuid.uuid4()),
            "child_id": str(long_gone.id),
            "situations": ["injuries_suggesting_violence"],
            "kinds": ["physical_abuse"],
            "description": "测试描述",
            "discovered_at": "2026-06-15T09:30:00+08:00",
            "location": "测试地点",
            "immediate_danger": False,
        },
        headers=auth("admin"),
    )
    assert r.status_code == 201, r.text
    docs["long_gone_incident"] = await stored(client, auth, "incident", r.json()["id"])
    case_child = await make_child(session, settings)
    case = await open_case(client, auth, case_child.id)
    docs["closed_case"] = await stored(client, auth, "case", case["id"], kind="consent")
    # Today is 2026-06-15 and documents are kept 10 years: before 2016-06-15 they go.
    await _revoke(session, long_gone.id, date(2016, 6, 14))
    await _revoke(session, recently_gone.id, date(2016, 6, 15))
    await session.execute(
        update(Case)
        .where(Case.id == uuid.UUID(case["id"]))
        .values(status="closed", outcome="goals_met", closed_on=date(2015, 1, 1))
    )
    assert docs_settings.documents_retention_years == 10
    assert len(_files(store_dir)) == 5

    ctx = JobContext(job_id=1, attempt=1, settings=docs_settings, clock=clock, worker_id="test")
    await jobs.purge_expired(session, {}, ctx)
    await flush_audit(session, now=clock.now())  # as the worker does before its commit

    purged = {docs[k]["id"] for k in ("long_gone", "long_gone_incident", "closed_case")}
    kept = {docs[k]["id"] for k in ("recently_gone", "active")}
    assert await _ids(session) == kept
    assert _files(store_dir) == kept
    entries = (
        await session.execute(
            select(AuditEntry.resource_id, AuditEntry.principal_kind, AuditEntry.detail).where(
                AuditEntry.action == "document.purge"
            )
        )
    ).all()
    assert {e[0] for e in entries} == purged
    assert {e[1] for e in entries} == {"system"}
    assert all(e[2]["retention_years"] == 10 for e in entries)
    for doc_id in purged:
        r = await client.get(f"{API}/{doc_id}", headers=auth("admin"))
        assert r.status_code == 404
    # Nothing more to do the next time.
    await jobs.purge_expired(session, {}, ctx)
    assert await _ids(session) == kept


async def test_a_key_rotation_rewraps_the_documents_keys(
    client: httpx.AsyncClient,
    client_with: ClientWith,
    auth: AuthHeaders,
    conn: AsyncConnection,
    session: AsyncSession,
    settings: Settings,
    store_dir: Path,
) -> None:
    child = await make_child(session, settings)
    doc = await stored(client, auth, "child", child.id)
    original = (await client.get(f"{API}/{doc['id']}/content", headers=auth("admin"))).content
    objects = _objects(store_dir)
    old = settings.encryption_keys.get_secret_value().split(":", 1)[1]
    new = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
    keys = f"t1:{old},t2:{new}"
    ring = KeyRing.from_settings(keys, "t2", settings.hmac_key.get_secret_value())
    column = next(col for col in ENCRYPTED_COLUMNS if col[0] == "documents")
    assert await reencrypt_column(conn, ring, column, batch=10_000) >= 1
    wrapped = await session.scalar(
        select(Document.data_key_enc).where(Document.id == uuid.UUID(doc["id"]))
    )
    assert wrapped is not None
    assert ring.key_id_of(wrapped) == "t2"
    # The objects are untouched, and still open with the rewrapped key (t1 may now go).
    assert _objects(store_dir) == objects
    rotated = {"encryption_keys": SecretStr(f"t2:{new}"), "encryption_active_key_id": "t2"}
    async with client_with(**rotated) as c:
        got = await c.get(f"{API}/{doc['id']}/content", headers=auth("admin"))
        assert got.status_code == 200
        assert got.content == original
