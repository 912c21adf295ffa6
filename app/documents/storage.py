"""Where the documents' (encrypted) objects live: one interface, two backends.

- `FileStore`: files under DOCUMENTS_DIR (default DATA_DIR/documents), the embedded default;
  a write goes to a temporary file renamed into place, so an object is whole or absent.
- `S3Store`: an S3-compatible bucket (MinIO, Ceph, a cloud's object storage) through
  aiobotocore; the bucket is created by the operator, credentials come from the settings
  (DOCUMENTS_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY, a Kubernetes Secret) or the environment's
  usual AWS chain.

Objects are encrypted before they reach a store (app/documents/envelope.py); a store never sees
a plaintext byte nor a key.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from aiobotocore.config import AioConfig  # type: ignore[import-untyped]
from aiobotocore.session import get_session  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from app.config import Settings
from app.documents.errors import StoreUnavailable

_PIECE: Final = 256 * 1024
_KEY: Final = re.compile(r"^[a-z0-9][a-z0-9/_.-]*$")


class ObjectMissing(LookupError):
    pass


class ObjectExists(Exception):
    """`S3Store.create`: an object of that key is already there (it is left as it was)."""


@contextlib.contextmanager
def _answering(*errors: type[Exception]) -> Iterator[None]:
    """A store that fails (disk, network, bucket) is a 503 for the client, never a 500."""
    try:
        yield
    except (ObjectMissing, ObjectExists):
        raise
    except errors as exc:
        raise StoreUnavailable() from exc


def _checked(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ValueError(f"bad object key {key!r}")
    return key


class Storage(Protocol):
    name: str

    async def put(self, key: str, data: bytes) -> None: ...

    def stream(self, key: str) -> AsyncIterator[bytes]: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, keys: Sequence[str]) -> None: ...


class FileStore:
    name = "filesystem"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    async def put(self, key: str, data: bytes) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
            with tmp.open("wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)

        with _answering(OSError):
            await asyncio.to_thread(write)

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            f = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        except OSError as exc:
            raise StoreUnavailable() from exc
        try:
            while piece := await asyncio.to_thread(f.read, _PIECE):
                yield piece
        finally:
            await asyncio.to_thread(f.close)

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        except OSError as exc:
            raise StoreUnavailable() from exc

    async def delete(self, keys: Sequence[str]) -> None:
        def remove() -> None:
            for key in keys:
                with contextlib.suppress(FileNotFoundError):
                    self._path(key).unlink()

        with _answering(OSError):
            await asyncio.to_thread(remove)


class S3Store:
    name = "s3"

    def __init__(self, settings: Settings, bucket: str | None = None) -> None:
        """The documents' bucket, or `bucket` (e.g. the audit checkpoints') reached through the
        same DOCUMENTS_S3_* endpoint, region and credentials."""
        self.bucket = bucket or settings.documents_s3_bucket
        self.options: dict[str, Any] = {"region_name": settings.documents_s3_region}
        if settings.documents_s3_endpoint_url:
            self.options["endpoint_url"] = settings.documents_s3_endpoint_url
        if settings.documents_s3_access_key_id is not None:
            self.options["aws_access_key_id"] = (
                settings.documents_s3_access_key_id.get_secret_value()
            )
        if settings.documents_s3_secret_access_key is not None:
            self.options["aws_secret_access_key"] = (
                settings.documents_s3_secret_access_key.get_secret_value()
            )
        self.options["config"] = AioConfig(
            connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"}
        )
        self.session = get_session()

    def client(self) -> Any:
        return self.session.create_client("s3", **self.options)

    async def put(self, key: str, data: bytes) -> None:
        with _answering(BotoCoreError, ClientError, OSError):
            async with self.client() as s3:
                await s3.put_object(Bucket=self.bucket, Key=_checked(key), Body=data)

    async def create(self, key: str, data: bytes) -> None:
        """Write a NEW object: `If-None-Match: *` makes the store refuse (ObjectExists) when the
        key is taken, so nothing is ever overwritten; the SHA-256 sent along lets the store
        reject a body damaged on the way."""
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        with _answering(BotoCoreError, ClientError, OSError):
            async with self.client() as s3:
                try:
                    await s3.put_object(
                        Bucket=self.bucket,
                        Key=_checked(key),
                        Body=data,
                        IfNoneMatch="*",
                        ChecksumSHA256=digest,
                    )
                except ClientError as exc:
                    code = exc.response.get("Error", {}).get("Code")
                    if code in {"PreconditionFailed", "ConditionalRequestConflict"}:
                        raise ObjectExists(key) from exc
                    raise

    async def keys(self, prefix: str) -> list[str]:
        """Every key under `prefix`, in the store's (lexicographic) order."""
        out: list[str] = []
        with _answering(BotoCoreError, ClientError, OSError):
            async with self.client() as s3:
                paginator = s3.get_paginator("list_objects_v2")
                async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                    out.extend(item["Key"] for item in page.get("Contents", []))
        return out

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        with _answering(BotoCoreError, ClientError, OSError):
            async with self.client() as s3:
                try:
                    answer = await s3.get_object(Bucket=self.bucket, Key=_checked(key))
                except s3.exceptions.NoSuchKey:
                    raise ObjectMissing(key) from None
                async with answer["Body"] as body:
                    async for piece in body.iter_chunks(_PIECE):
                        yield piece

    async def get(self, key: str) -> bytes:
        return b"".join([piece async for piece in self.stream(key)])

    async def delete(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        with _answering(BotoCoreError, ClientError, OSError):
            async with self.client() as s3:
                for start in range(0, len(keys), 1000):
                    batch = [{"Key": _checked(k)} for k in keys[start : start + 1000]]
                    await s3.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                    )


def storage_for(settings: Settings) -> Storage:
    """The store the settings name (DOCUMENTS_BACKEND)."""
    if settings.documents_backend == "s3":
        return S3Store(settings)
    return FileStore(settings.documents_path)
