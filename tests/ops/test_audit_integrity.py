"""The audit chain cannot be rewritten unseen (issue 27, gap 3).

- The application's own database role (a member of `app_runtime`) may insert and read audit
  entries, but not change, delete or truncate them, nor switch the append-only triggers off.
- A chain recomputed by whoever does not hold AUDIT_CHAIN_KEY (plain SHA-256, or an HMAC under
  another key) is reported by `manage verify-audit`; a chain rewritten WITH the key (or a head
  replaced) is reported against the latest checkpoint kept outside the database.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.session import get_session  # type: ignore[import-untyped]
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import manage
from app.audit import jobs as audit_jobs
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.documents.storage import ObjectExists
from app.kit import audit, audit_chain, audit_checkpoint
from app.kit.clock import FixedClock
from app.migrate import upgrade
from app.models import AuditEntry
from app.worker.registry import JobContext
from tests.conftest import make_settings


@pytest.fixture
async def migrated(scratch_engine: AsyncEngine) -> AsyncEngine:
    await upgrade(scratch_engine)
    return scratch_engine


@pytest.fixture
def ops_settings(scratch_url: str, tmp_path: Path) -> Settings:
    settings = make_settings(scratch_url, audit_checkpoint_dir=tmp_path / "checkpoints")
    audit_chain.configure(audit_chain.ChainKeys.from_settings(settings))
    return settings


@pytest.fixture
async def app_role_engine(scratch_url: str, migrated: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """An engine logged in as a login role that is a member of app_runtime (as the app's is)."""
    name = f"ops_app_{uuid.uuid4().hex[:8]}"
    async with migrated.connect() as c:
        await c.execute(text(f"CREATE ROLE {name} LOGIN IN ROLE app_runtime"))
        await c.commit()
    url = make_url(scratch_url).set(username=name).render_as_string(hide_password=False)
    engine = create_engine(url, make_settings(url, db_pool_size=2))
    try:
        yield engine
    finally:
        await engine.dispose()
        async with migrated.connect() as c:
            await c.execute(text(f"DROP ROLE {name}"))
            await c.commit()


async def write_entries(engine: AsyncEngine, n: int, tag: str = "ops.test") -> None:
    async with create_sessionmaker(engine)() as session:
        for i in range(n):
            audit.record(session, None, tag, "thing", i, {"n": i})
        await audit.flush(session)
        await session.commit()


async def rows(conn: AsyncConnection) -> list[dict[str, Any]]:
    result = await conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.id))
    return [dict(r) for r in result.mappings()]


async def forge(
    engine: AsyncEngine, target: int, keys: audit_chain.ChainKeys | None, key_id: str | None
) -> None:
    """The attack: change entry `target`, then recompute every hash from it on (as the owner,
    triggers off) with `keys` under `key_id` (None: the plain SHA-256 of the old chain)."""
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        prev = None
        for row in await rows(conn):
            if row["id"] < target:
                prev = row["hash"]
                continue
            if row["id"] == target:
                row["detail"] = {"n": "forged"}
            row["prev_hash"] = prev
            row["key_id"] = key_id
            row["hash"] = audit_chain.chain_hash(row, keys)
            await conn.execute(
                text(
                    "UPDATE audit_log SET detail = CAST(:d AS jsonb), prev_hash = :p, hash = :h, "
                    "key_id = :k WHERE id = :id"
                ),
                {
                    "d": '{"n": "forged"}' if row["id"] == target else _json(row["detail"]),
                    "p": row["prev_hash"],
                    "h": row["hash"],
                    "k": key_id,
                    "id": row["id"],
                },
            )
            prev = row["hash"]
        await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def _json(value: object) -> str:
    import json

    return json.dumps(value)


async def verify(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    url: str,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str]:
    monkeypatch.setattr(manage, "get_settings", lambda: settings)
    monkeypatch.setattr(manage, "resolve_database_url", lambda: url)
    code = await manage.cmd_verify_audit()
    return code, capsys.readouterr().out


# -- the application's role ---------------------------------------------------------------------


async def test_the_app_role_appends_but_cannot_rewrite(
    app_role_engine: AsyncEngine, migrated: AsyncEngine, ops_settings: Settings
) -> None:
    await write_entries(app_role_engine, 3)  # the app's own writes go through
    async with migrated.connect() as c:
        target = (await rows(c))[1]["id"]
    refused = [
        "UPDATE audit_log SET action = 'forged' WHERE id = :id",
        "DELETE FROM audit_log WHERE id = :id",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "UPDATE audit_chain_state SET plain_through_id = 1000000",
    ]
    async with app_role_engine.connect() as c:
        for sql in refused:
            with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
                async with c.begin_nested():
                    await c.execute(text(sql), {"id": target})
        # Everything else the application does stays allowed (its job queue, for one).
        await c.execute(text("UPDATE jobs SET status = status"))
        await c.rollback()
    async with migrated.connect() as c:
        got = await rows(c)
        assert [r["action"] for r in got] == ["ops.test"] * 3
        assert (await audit_chain.verify_chain(c)).first_broken_id is None


# -- recomputed chains ----------------------------------------------------------------------------


async def test_entries_are_keyed(migrated: AsyncEngine, ops_settings: Settings) -> None:
    await write_entries(migrated, 2)
    async with migrated.connect() as c:
        got = await rows(c)
    keys = audit_chain.ChainKeys.from_settings(ops_settings)
    assert [r["key_id"] for r in got] == [keys.active_id] * 2
    plain = {**got[0], "key_id": None}
    assert got[0]["hash"] != audit_chain.chain_hash(plain)  # not the plain SHA-256


@pytest.mark.parametrize(
    ("keys", "key_id", "reason"),
    [
        (None, None, "not keyed"),  # the old scheme: plain SHA-256
        (audit_chain.ChainKeys.parse("h1:" + "guessed-key-" * 4), "h1", "does not match"),
    ],
    ids=["plain-sha256", "hmac-without-the-key"],
)
async def test_a_chain_recomputed_without_the_key_is_reported(
    migrated: AsyncEngine,
    ops_settings: Settings,
    scratch_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    keys: audit_chain.ChainKeys | None,
    key_id: str | None,
    reason: str,
) -> None:
    await write_entries(migrated, 5)
    code, out = await verify(monkeypatch, ops_settings, scratch_url, capsys)
    assert code == 0, out
    async with migrated.connect() as c:
        target = (await rows(c))[2]["id"]
    await forge(migrated, target, keys, key_id)
    code, out = await verify(monkeypatch, ops_settings, scratch_url, capsys)
    assert code == 1
    assert f"BROKEN at entry {target}" in out
    assert reason in out


async def test_a_rewritten_head_is_reported_against_the_checkpoint(
    migrated: AsyncEngine,
    ops_settings: Settings,
    scratch_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Even recomputed with the real key, the chain no longer matches the checkpoint."""
    directory = ops_settings.audit_checkpoint_path
    await write_entries(migrated, 4)
    async with migrated.connect() as c:
        first = await audit_checkpoint.take(c, directory)
    assert first is not None
    await write_entries(migrated, 2)
    async with migrated.connect() as c:
        second = await audit_checkpoint.take(c, directory)
        assert second is not None
        assert second.entries == 6
        assert await audit_checkpoint.take(c, directory) is None  # nothing new: no new file
    assert len(list(directory.glob("*/checkpoint-*.json"))) == 2
    code, out = await verify(monkeypatch, ops_settings, scratch_url, capsys)
    assert code == 0, out
    assert f"matches the checkpoint of entry {second.entry_id}" in out

    async with migrated.connect() as c:
        target = (await rows(c))[1]["id"]
    real = audit_chain.ChainKeys.from_settings(ops_settings)
    await forge(migrated, target, real, real.active_id)
    code, out = await verify(monkeypatch, ops_settings, scratch_url, capsys)
    assert code == 1
    assert "does NOT match its checkpoint" in out
    assert f"entry {second.entry_id} no longer has the hash" in out
    # And the periodic job refuses to checkpoint over it (the alert fires).
    async with migrated.connect() as c:
        with pytest.raises(audit_checkpoint.CheckpointError):
            await audit_checkpoint.take(c, directory)


async def test_a_forged_checkpoint_is_not_believed(
    migrated: AsyncEngine, ops_settings: Settings
) -> None:
    directory = ops_settings.audit_checkpoint_path
    await write_entries(migrated, 2)
    async with migrated.connect() as c:
        cp = await audit_checkpoint.take(c, directory)
        assert cp is not None
        forged = audit_checkpoint.Checkpoint(
            cp.entry_id, "0" * 64, 2, cp.at, cp.key_id, cp.signature
        )
        with pytest.raises(audit_checkpoint.CheckpointError, match="signature"):
            await audit_checkpoint.check(c, forged, audit_chain.chain_keys())


async def test_entries_from_before_the_key_verify_up_to_the_marked_row(
    migrated: AsyncEngine, ops_settings: Settings
) -> None:
    """The migration re-hashes nothing: older plain entries verify up to the marked row only."""
    async with migrated.begin() as c:
        await c.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    await write_entries(migrated, 3)
    async with migrated.begin() as c:
        # Make the first two entries what the old code wrote: plain SHA-256, no key id.
        prev = audit_chain.GENESIS
        for row in await rows(c):
            row["prev_hash"] = prev
            row["key_id"] = None if row["id"] != (await rows(c))[-1]["id"] else row["key_id"]
            row["hash"] = audit_chain.chain_hash(row)
            await c.execute(
                text("UPDATE audit_log SET prev_hash = :p, hash = :h, key_id = :k WHERE id = :id"),
                {"p": row["prev_hash"], "h": row["hash"], "k": row["key_id"], "id": row["id"]},
            )
            prev = row["hash"]
        await c.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        got = await rows(c)
        await c.execute(
            text("UPDATE audit_chain_state SET plain_through_id = :id"), {"id": got[1]["id"]}
        )
    async with migrated.connect() as c:
        assert (await audit_chain.verify_chain(c)).first_broken_id is None
        await c.execute(
            text("UPDATE audit_chain_state SET plain_through_id = :id"), {"id": got[0]["id"]}
        )
        report = await audit_chain.verify_chain(c)
    assert report.first_broken_id == got[1]["id"]
    assert report.reason is not None
    assert "not keyed" in report.reason


# -- checkpoints in an S3-compatible bucket (moto in server mode, over HTTP) --------------------

S3_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture
async def bucket(s3_endpoint: str) -> AsyncIterator[tuple[Any, str]]:
    """A fresh bucket, and a plain S3 client on it (to look at, or tamper with, the objects)."""
    name = f"audit-cp-{uuid.uuid4().hex[:12]}"
    async with get_session().create_client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", **S3_CREDENTIALS
    ) as client:
        await client.create_bucket(Bucket=name)
        yield client, name


@pytest.fixture
def bucket_settings(ops_settings: Settings, s3_endpoint: str, bucket: tuple[Any, str]) -> Settings:
    """Checkpoints to the bucket, through the documents' S3 connection settings (the documents
    themselves stay on the filesystem)."""
    return ops_settings.model_copy(
        update={
            "audit_checkpoint_bucket": bucket[1],
            "documents_s3_endpoint_url": s3_endpoint,
            "documents_s3_access_key_id": SecretStr(S3_CREDENTIALS["aws_access_key_id"]),
            "documents_s3_secret_access_key": SecretStr(S3_CREDENTIALS["aws_secret_access_key"]),
        }
    )


async def bucket_objects(bucket: tuple[Any, str]) -> dict[str, bytes]:
    client, name = bucket
    listed = await client.list_objects_v2(Bucket=name)
    out = {}
    for item in listed.get("Contents", []):
        got = await client.get_object(Bucket=name, Key=item["Key"])
        async with got["Body"] as body:
            out[item["Key"]] = await body.read()
    return out


async def run_checkpoint_job(engine: AsyncEngine, settings: Settings) -> None:
    ctx = JobContext(1, 1, settings, FixedClock(datetime.now(UTC)), "test-worker")
    async with create_sessionmaker(engine)() as session:
        await audit_jobs.checkpoint(session, {}, ctx)


async def test_the_checkpoint_job_writes_a_new_hashed_object_to_the_bucket(
    migrated: AsyncEngine, bucket_settings: Settings, bucket: tuple[Any, str]
) -> None:
    await write_entries(migrated, 3)
    await run_checkpoint_job(migrated, bucket_settings)
    await write_entries(migrated, 2)
    await run_checkpoint_job(migrated, bucket_settings)
    await run_checkpoint_job(migrated, bucket_settings)  # nothing new: no new object

    objects = await bucket_objects(bucket)
    assert len(objects) == 2, objects.keys()
    async with migrated.connect() as c:
        db = (
            await c.execute(
                text(
                    "SELECT current_database() || '-' || oid FROM pg_database "
                    "WHERE datname = current_database()"
                )
            )
        ).scalar_one()
        head = (await rows(c))[-1]
    for key, data in objects.items():
        assert key.startswith(f"audit-checkpoints/{db}/checkpoint-")
        # The name carries the SHA-256 of the content.
        assert hashlib.sha256(data).hexdigest().startswith(key.rsplit("-", 1)[1][:-5])
    latest = json.loads(objects[max(objects)])
    assert latest["entry_id"] == head["id"]
    assert latest["hash"] == head["hash"]
    assert latest["entries"] == 5
    # Nothing on the pod's filesystem.
    assert not bucket_settings.audit_checkpoint_path.exists()


async def test_verify_audit_against_the_bucket_detects_a_recomputed_chain(
    migrated: AsyncEngine,
    bucket_settings: Settings,
    scratch_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await write_entries(migrated, 4)
    await run_checkpoint_job(migrated, bucket_settings)
    code, out = await verify(monkeypatch, bucket_settings, scratch_url, capsys)
    assert code == 0, out
    async with migrated.connect() as c:
        all_rows = await rows(c)
    assert f"matches the checkpoint of entry {all_rows[-1]['id']}" in out

    # Recomputed with the real key: the chain walks, the bucket's checkpoint does not match.
    real = audit_chain.ChainKeys.from_settings(bucket_settings)
    await forge(migrated, all_rows[1]["id"], real, real.active_id)
    code, out = await verify(monkeypatch, bucket_settings, scratch_url, capsys)
    assert code == 1
    assert "does NOT match its checkpoint" in out
    assert f"entry {all_rows[-1]['id']} no longer has the hash" in out
    # ... and the job refuses to checkpoint over it.
    with pytest.raises(audit_checkpoint.CheckpointError):
        await run_checkpoint_job(migrated, bucket_settings)


async def test_an_existing_checkpoint_object_is_never_overwritten(
    migrated: AsyncEngine, bucket_settings: Settings, bucket: tuple[Any, str]
) -> None:
    await write_entries(migrated, 2)
    await run_checkpoint_job(migrated, bucket_settings)
    ((key, original),) = (await bucket_objects(bucket)).items()

    where = audit_checkpoint.target_for(bucket_settings)
    assert isinstance(where, audit_checkpoint.Bucket)
    with pytest.raises(ObjectExists):
        await where.store.create(key, b'{"entry_id": 1}')
    # Writing the same checkpoint again lands on the same name: refused as well.
    async with migrated.connect() as c:
        here = await audit_checkpoint.location(c, where)
    assert isinstance(here, audit_checkpoint.Bucket)
    checkpoint = audit_checkpoint.Checkpoint(**json.loads(original))
    with pytest.raises(ObjectExists):
        await audit_checkpoint.write_object(here, checkpoint)
    assert await bucket_objects(bucket) == {key: original}


async def test_a_checkpoint_object_not_matching_its_hash_is_not_believed(
    migrated: AsyncEngine,
    bucket_settings: Settings,
    bucket: tuple[Any, str],
    scratch_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await write_entries(migrated, 2)
    await run_checkpoint_job(migrated, bucket_settings)
    ((key, original),) = (await bucket_objects(bucket)).items()
    client, name = bucket
    # A later-named object whose content is not what its name says.
    body = original.replace(b'"entries": 2', b'"entries": 1')
    later = key.replace("checkpoint-0", "checkpoint-9", 1)
    await client.put_object(Bucket=name, Key=later, Body=body)
    code, out = await verify(monkeypatch, bucket_settings, scratch_url, capsys)
    assert code == 1
    assert "does not match its hash" in out
