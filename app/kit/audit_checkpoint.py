"""Checkpoints of the audit chain's head, kept outside the database.

The periodic job `audit.checkpoint` (app/audit/jobs.py) checks the entries written since the
last checkpoint, then writes a new one: a JSON file in AUDIT_CHECKPOINT_DIR (default
DATA_DIR/audit-checkpoints; a subdirectory per database) naming the last entry's id, its hash and how many entries there are
up to it, signed with HMAC-SHA256 under the audit chain key. `python -m app.manage verify-audit`
checks the chain against the latest checkpoint: an entry the checkpoint covered that was changed
(the chain then recomputed, with or without the key) or removed no longer matches it.

A checkpoint is a file so that it needs nothing but a volume (the embedded default). With
AUDIT_CHECKPOINT_BUCKET set it is an object in an S3-compatible bucket instead (the documents'
S3 client and DOCUMENTS_S3_* connection settings, keys under AUDIT_CHECKPOINT_PREFIX and the
database's `<name>-<oid>/`): one new object per checkpoint, its name carrying the SHA-256 of its
content, written with `If-None-Match: *` so an existing object is never overwritten; with the
bucket's Object Lock (or versioning) that keeps the checkpoints out of reach of whoever holds
the database, and they outlive the pod.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.kit.audit_chain import ChainKeys, chain_keys, verify_chain

if TYPE_CHECKING:
    from app.config import Settings
    from app.documents.storage import S3Store

PREFIX = "checkpoint-"


@dataclass(frozen=True)
class Bucket:
    """Checkpoints as objects of an S3-compatible bucket, under `prefix`."""

    store: S3Store
    prefix: str


Target: TypeAlias = Path | Bucket


def target_for(settings: Settings) -> Target:
    """Where the settings keep checkpoints: AUDIT_CHECKPOINT_BUCKET, else the directory."""
    if settings.audit_checkpoint_bucket:
        from app.documents.storage import S3Store

        store = S3Store(settings, bucket=settings.audit_checkpoint_bucket)
        return Bucket(store, settings.audit_checkpoint_prefix)
    return settings.audit_checkpoint_path


async def _scope(conn: AsyncConnection) -> str:
    """The database's own name (`<name>-<oid>`): several databases (staging, a drill, tests)
    may share one checkpoint volume or bucket without their chains being checked against each
    other's heads. A physical restore keeps name and oid."""
    row = (
        await conn.execute(
            text("SELECT datname, oid FROM pg_database WHERE datname = current_database()")
        )
    ).one()
    return f"{row.datname}-{row.oid}"


async def location(conn: AsyncConnection, where: Target) -> Target:
    """`where` narrowed to this database: its subdirectory, or its key prefix."""
    scope = await _scope(conn)
    if isinstance(where, Bucket):
        # Object keys are lower case (the documents' store's rule).
        scope = re.sub(r"[^a-z0-9_.-]", "_", scope.lower())
        return Bucket(where.store, f"{where.prefix}{scope}/")
    return where / scope


def describe(where: Target) -> str:
    if isinstance(where, Bucket):
        return f"s3://{where.store.bucket}/{where.prefix}"
    return str(where)


class CheckpointError(Exception):
    """The chain does not hold against a checkpoint (or a checkpoint is not genuine)."""


@dataclass(frozen=True)
class Checkpoint:
    entry_id: int  # the chain's head when the checkpoint was taken
    hash: str  # that entry's hash
    entries: int  # how many entries there were up to it
    at: str  # when (ISO 8601, UTC)
    key_id: str  # the chain key the signature is under
    signature: str = ""

    def body(self) -> bytes:
        fields = asdict(self)
        fields.pop("signature")
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def signed(self, keys: ChainKeys) -> Checkpoint:
        sig = hmac.new(keys.keys[self.key_id], self.body(), hashlib.sha256).hexdigest()
        return Checkpoint(**{**asdict(self), "signature": sig})

    def genuine(self, keys: ChainKeys) -> bool:
        key = keys.keys.get(self.key_id)
        if key is None:
            return False
        expected = hmac.new(key, self.body(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.signature)


def latest(directory: Path) -> Checkpoint | None:
    """The newest checkpoint in `directory` (by its head entry), or None."""
    if not directory.is_dir():
        return None
    best: tuple[int, Path] | None = None
    for path in directory.glob(f"{PREFIX}*.json"):
        try:
            entry_id = int(path.stem[len(PREFIX) :].split("-", 1)[0])
        except ValueError:
            continue
        if best is None or entry_id > best[0]:
            best = (entry_id, path)
    if best is None:
        return None
    return Checkpoint(**json.loads(best[1].read_text(encoding="utf-8")))


def _entry_id(name: str) -> int | None:
    if not (name.startswith(PREFIX) and name.endswith(".json")):
        return None
    try:
        return int(name[len(PREFIX) :].split("-", 1)[0])
    except ValueError:
        return None


def _stamp(checkpoint: Checkpoint) -> str:
    return checkpoint.at.replace(":", "").replace("-", "").split(".", 1)[0]


async def latest_object(bucket: Bucket) -> Checkpoint | None:
    """The newest checkpoint object under the bucket's prefix (by its head entry, then name),
    its content checked against the SHA-256 its name carries."""
    best: tuple[int, str] | None = None
    for key in await bucket.store.keys(bucket.prefix + PREFIX):
        name = key[len(bucket.prefix) :]
        entry_id = _entry_id(name)
        if entry_id is not None and (best is None or (entry_id, key) > best):
            best = (entry_id, key)
    if best is None:
        return None
    key = best[1]
    data = await bucket.store.get(key)
    named = key.rsplit("-", 1)[-1].removesuffix(".json")
    if not hashlib.sha256(data).hexdigest().startswith(named) or len(named) < 16:
        raise CheckpointError(f"checkpoint object {key}: its content does not match its hash")
    return Checkpoint(**json.loads(data))


async def write_object(bucket: Bucket, checkpoint: Checkpoint) -> str:
    """A new object named by head entry, time and content hash; never over an existing one
    (ObjectExists from app.documents.storage)."""
    data = (json.dumps(asdict(checkpoint), indent=2) + "\n").encode()
    digest = hashlib.sha256(data).hexdigest()[:32]
    key = f"{bucket.prefix}{PREFIX}{checkpoint.entry_id:012d}-{_stamp(checkpoint).lower()}-{digest}.json"
    await bucket.store.create(key, data)
    return key


async def latest_at(where: Target) -> Checkpoint | None:
    """The newest checkpoint of a `location()`."""
    if isinstance(where, Bucket):
        return await latest_object(where)
    return latest(where)


async def write_at(where: Target, checkpoint: Checkpoint) -> str:
    if isinstance(where, Bucket):
        return await write_object(where, checkpoint)
    return str(write(where, checkpoint))


def write(directory: Path, checkpoint: Checkpoint) -> Path:
    """Write atomically (a reader never sees half a file); the name sorts by head entry."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{PREFIX}{checkpoint.entry_id:012d}-{_stamp(checkpoint)}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(checkpoint), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


async def check(conn: AsyncConnection, checkpoint: Checkpoint, keys: ChainKeys) -> None:
    """The log still holds what `checkpoint` saw: its head entry with the same hash, and as many
    entries up to it. CheckpointError otherwise."""
    if not checkpoint.genuine(keys):
        raise CheckpointError(f"checkpoint of entry {checkpoint.entry_id}: signature not valid")
    row = (
        await conn.execute(
            text(
                "SELECT (SELECT hash FROM audit_log WHERE id = :id) AS hash, "
                "(SELECT count(*) FROM audit_log WHERE id <= :id) AS entries"
            ),
            {"id": checkpoint.entry_id},
        )
    ).one()
    if row.hash != checkpoint.hash:
        raise CheckpointError(
            f"entry {checkpoint.entry_id} no longer has the hash checkpointed at {checkpoint.at}"
        )
    if row.entries != checkpoint.entries:
        raise CheckpointError(
            f"{row.entries} entries up to {checkpoint.entry_id}, "
            f"{checkpoint.entries} at the checkpoint of {checkpoint.at}"
        )


async def take(
    conn: AsyncConnection,
    base: Target,
    *,
    keys: ChainKeys | None = None,
    now: datetime | None = None,
) -> Checkpoint | None:
    """Check the entries since the last checkpoint, then checkpoint the head (None: the log is
    empty or has not moved). CheckpointError when the chain does not hold: no checkpoint is
    written over a broken chain."""
    keys = keys or chain_keys()
    where = await location(conn, base)
    previous = await latest_at(where)
    after = None
    if previous is not None:
        await check(conn, previous, keys)
        after = (previous.entry_id, previous.hash)
    report = await verify_chain(conn, keys, after=after)
    if report.first_broken_id is not None:
        raise CheckpointError(
            f"audit chain broken at entry {report.first_broken_id}: {report.reason}"
        )
    if report.head_id is None or report.head_hash is None:
        return None
    if previous is not None and report.head_id == previous.entry_id:
        return None
    entries = report.checked + (previous.entries if previous is not None else 0)
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
    checkpoint = Checkpoint(report.head_id, report.head_hash, entries, at, keys.active_id)
    checkpoint = checkpoint.signed(keys)
    await write_at(where, checkpoint)
    return checkpoint
