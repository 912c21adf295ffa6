"""Operator commands: `python -m app.manage migrate | alembic-check | verify-audit | reencrypt`."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.config import get_settings
from app.db import create_engine
from app.kit.crypto import KeyRing
from app.migrate import alembic_config, resolve_database_url, resolve_migration_url, upgrade

# Columns holding AES-GCM ciphertext: (table, id column, ciphertext column[, AES-GCM context
# (associated data) the domain encrypts with]). Domains add theirs.
EncryptedColumn = tuple[str, str, str] | tuple[str, str, str, bytes]
ENCRYPTED_COLUMNS: list[EncryptedColumn] = [
    ("children", "id", "id_number_enc", b"child.id_number"),
    ("discovery_candidates", "id", "id_number_enc", b"discovery.id_number"),
    ("incidents", "id", "child_id_number_enc", b""),
    ("agency_clients", "id", "webhook_secret_enc", b""),
    ("agency_clients", "id", "webhook_previous_secret_enc", b""),
    ("screening_records", "id", "id_number_enc", b""),
    ("counselling_sessions", "id", "confidential_notes_enc", b"counselling.notes"),
    ("protection_intakes", "id", "child_id_number_enc", b"protection_intake.child_id_number"),
    # Documents: each object's data key, wrapped by the ring (app/documents/envelope.py); the
    # objects themselves need no rewriting.
    ("documents", "id", "data_key_enc", b"document.data_key"),
]


@asynccontextmanager
async def scratch_database(url: str) -> AsyncIterator[str]:
    """A throw-away database on the same server, dropped afterwards."""
    settings = get_settings()
    name = f"scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, settings)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _with_engine(url: str, fn: Callable[[AsyncEngine], object]) -> None:
    engine = create_engine(url, get_settings())
    try:
        result = fn(engine)
        if asyncio.iscoroutine(result):
            await result
    finally:
        await engine.dispose()


async def cmd_migrate() -> int:
    await _with_engine(resolve_migration_url(), upgrade)
    print("migrations at head")
    return 0


async def cmd_alembic_check() -> int:
    """Upgrade a scratch database to head, then `alembic check`: models and migrations agree."""
    async with scratch_database(resolve_migration_url()) as url:
        engine = create_engine(url, get_settings())
        try:
            await upgrade(engine)

            def check(connection: Connection) -> None:
                cfg = alembic_config()
                cfg.attributes["connection"] = connection
                command.check(cfg)

            async with engine.connect() as conn:
                await conn.run_sync(check)
        finally:
            await engine.dispose()
    print("alembic check: models and migrations agree")
    return 0


async def cmd_verify_audit() -> int:
    """Walk the chain (keyed entries need AUDIT_CHAIN_KEY), then check it against the latest
    checkpoint in AUDIT_CHECKPOINT_DIR (or AUDIT_CHECKPOINT_BUCKET): a rewritten or recomputed
    chain does not match it."""
    from app.kit import audit_chain, audit_checkpoint
    from app.kit.audit import verify_chain

    settings = get_settings()
    keys = audit_chain.ChainKeys.from_settings(settings)
    audit_chain.configure(keys)
    checkpoint = None
    where = audit_checkpoint.target_for(settings)
    problem = None
    engine = create_engine(resolve_database_url(), settings)
    try:
        async with engine.connect() as conn:
            report = await verify_chain(conn)
            where = await audit_checkpoint.location(conn, where)
            try:
                checkpoint = await audit_checkpoint.latest_at(where)
                if report.first_broken_id is None and checkpoint is not None:
                    await audit_checkpoint.check(conn, checkpoint, keys)
            except audit_checkpoint.CheckpointError as exc:
                problem = str(exc)
    finally:
        await engine.dispose()
    if report.first_broken_id is not None:
        print(f"audit chain BROKEN at entry {report.first_broken_id}: {report.reason}")
        return 1
    if problem is not None:
        print(f"audit chain does NOT match its checkpoint: {problem}")
        return 1
    if checkpoint is None:
        print(
            f"audit chain intact: {report.checked} entries "
            f"(no checkpoint in {audit_checkpoint.describe(where)} to check against)"
        )
    else:
        print(
            f"audit chain intact: {report.checked} entries; matches the checkpoint of entry "
            f"{checkpoint.entry_id} taken at {checkpoint.at}"
        )
    return 0


async def reencrypt_column(
    conn: AsyncConnection, ring: KeyRing, column: EncryptedColumn, batch: int = 500
) -> int:
    """Re-encrypt one batch of a column's values not under the active key; returns how many."""
    table, id_col, col = column[0], column[1], column[2]
    context = column[3] if len(column) > 3 else b""
    prefix = f"v1:{ring.active_key_id}:".encode()
    rows = (
        await conn.execute(
            text(
                f"SELECT {id_col}, {col} FROM {table} "  # noqa: S608 - fixed names
                f"WHERE {col} IS NOT NULL AND substring({col} from 1 for :n) <> :p "
                f"LIMIT :lim FOR UPDATE SKIP LOCKED"
            ),
            {"n": len(prefix), "p": prefix, "lim": batch},
        )
    ).all()
    for rid, blob in rows:
        fresh = ring.encrypt(ring.decrypt(bytes(blob), context=context), context=context)
        await conn.execute(
            text(f"UPDATE {table} SET {col} = :b WHERE {id_col} = :id"),  # noqa: S608
            {"b": fresh, "id": rid},
        )
    return len(rows)


async def cmd_reencrypt(batch: int = 500) -> int:
    """Re-encrypt every identifier not under the active key (after a key rotation)."""
    settings = get_settings()
    ring = KeyRing.from_settings(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )
    engine = create_engine(resolve_database_url(), settings)
    total = 0
    try:
        for column in ENCRYPTED_COLUMNS:
            while True:
                async with engine.begin() as conn:
                    done = await reencrypt_column(conn, ring, column, batch)
                total += done
                if done < batch:
                    break
    finally:
        await engine.dispose()
    print(f"re-encrypted {total} values under key {ring.active_key_id}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.manage")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate", help="apply migrations (alembic upgrade head) and exit")
    sub.add_parser("alembic-check", help="prove models and migrations agree, on a scratch database")
    sub.add_parser("verify-audit", help="verify the audit log's hash chain; name the first break")
    sub.add_parser("reencrypt", help="re-encrypt identifiers under the active key")
    args = parser.parse_args(argv)
    from app.observability import setup_logging

    setup_logging(get_settings().log_level, get_settings().console_log_format)
    commands = {
        "migrate": cmd_migrate,
        "alembic-check": cmd_alembic_check,
        "verify-audit": cmd_verify_audit,
        "reencrypt": cmd_reencrypt,
    }
    return asyncio.run(commands[args.cmd]())


if __name__ == "__main__":
    sys.exit(main())
