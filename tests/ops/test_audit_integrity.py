"""The audit chain cannot be rewritten unseen (issue 27, gap 3).

- The application's own database role (a member of `app_runtime`) may insert and read audit
  entries, but not change, delete or truncate them, nor switch the append-only triggers off.
- A chain recomputed by whoever does not hold AUDIT_CHAIN_KEY (plain SHA-256, or an HMAC under
  another key) is reported by `manage verify-audit`; a chain rewritten WITH the key (or a head
  replaced) is reported against the latest checkpoint kept outside the database.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import manage
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.kit import audit, audit_chain, audit_checkpoint
from app.migrate import upgrade
from app.models import AuditEntry
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
