"""The S3 backend against an S3-compatible server over HTTP (moto in server mode): the same
uploads, reads, resumable uploads and purges as on the filesystem; the bucket holds only
ciphertext."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiobotocore.session import get_session  # type: ignore[import-untyped]
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.documents.storage import ObjectMissing, S3Store
from app.models import Document
from tests.conftest import AuthHeaders
from tests.documents.conftest import ClientWith
from tests.documents.factories import API, begin, chunk, form, jpeg, pdf, upload
from tests.visits.factories import make_child

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture
async def s3(s3_endpoint: str) -> AsyncIterator[dict[str, Any]]:
    """A fresh bucket, and the settings that point the service at it."""
    bucket = f"care-docs-{uuid.uuid4().hex[:12]}"
    async with get_session().create_client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS
    ) as client:
        await client.create_bucket(Bucket=bucket)
        yield {
            "client": client,
            "bucket": bucket,
            "settings": {
                "documents_backend": "s3",
                "documents_s3_endpoint_url": s3_endpoint,
                "documents_s3_bucket": bucket,
                "documents_s3_access_key_id": CREDENTIALS["aws_access_key_id"],
                "documents_s3_secret_access_key": CREDENTIALS["aws_secret_access_key"],
            },
        }


async def _objects(s3: dict[str, Any]) -> dict[str, bytes]:
    client, bucket = s3["client"], s3["bucket"]
    listed = await client.list_objects_v2(Bucket=bucket)
    out = {}
    for item in listed.get("Contents", []):
        got = await client.get_object(Bucket=bucket, Key=item["Key"])
        async with got["Body"] as body:
            out[item["Key"]] = await body.read()
    return out


def _secret_settings(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        k: SecretStr(v) if k.endswith(("_key_id", "_access_key")) else v for k, v in raw.items()
    }


async def test_documents_live_encrypted_in_the_bucket(
    client_with: ClientWith,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    s3: dict[str, Any],
) -> None:
    child = await make_child(session, settings)
    data = jpeg(gps=True)
    async with client_with(**_secret_settings(s3["settings"])) as c:
        r = await upload(c, auth("admin"), form("child", child), data)
        assert r.status_code == 201, r.text
        doc = r.json()
        objects = await _objects(s3)
        assert set(objects) == {
            f"documents/{doc['id']}/content",
            f"documents/{doc['id']}/thumbnail",
        }
        got = await c.get(f"{API}/{doc['id']}/content", headers=auth("admin"))
        assert got.status_code == 200
        assert len(got.content) == doc["size"]
        for blob in objects.values():
            assert blob != got.content
            assert got.content[100:164] not in blob
        thumb = await c.get(f"{API}/{doc['id']}/thumbnail", headers=auth("admin"))
        assert thumb.content[:3] == b"\xff\xd8\xff"


async def test_a_resumable_upload_to_the_bucket(
    client_with: ClientWith,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    s3: dict[str, Any],
) -> None:
    child = await make_child(session, settings)
    data = pdf()
    h = auth("dir1")
    fields = form("child", child, kind="consent")
    async with client_with(**_secret_settings(s3["settings"])) as c:
        assert (await begin(c, h, fields, len(data))).status_code == 201
        assert (await chunk(c, h, fields["id"], 0, data[:100])).status_code == 200
        assert list(await _objects(s3)) == [f"uploads/{fields['id']}/{0:015d}"]
        r = await chunk(c, h, fields["id"], 100, data[100:])
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "stored"
        # The parts are gone, the document is whole.
        assert list(await _objects(s3)) == [f"documents/{fields['id']}/content"]
        got = await c.get(f"{API}/{fields['id']}/content", headers=h)
        assert got.content == data


async def test_the_store_deletes_objects(s3: dict[str, Any], settings: Settings) -> None:
    store = S3Store(settings.model_copy(update=_secret_settings(s3["settings"])))
    await store.put("documents/x/content", b"sealed")
    assert await store.get("documents/x/content") == b"sealed"
    await store.delete(["documents/x/content", "documents/y/content"])
    assert await _objects(s3) == {}
    with pytest.raises(ObjectMissing):
        await store.get("documents/x/content")


async def test_an_unreachable_bucket_is_a_503_and_nothing_is_kept(
    client_with: ClientWith, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    unreachable = {
        "documents_backend": "s3",
        "documents_s3_endpoint_url": "http://127.0.0.1:9",
        "documents_s3_bucket": "nowhere",
        "documents_s3_access_key_id": SecretStr("x"),
        "documents_s3_secret_access_key": SecretStr("y"),
    }
    fields = form("child", child)
    async with client_with(**unreachable) as c:
        r = await upload(c, auth("admin"), fields, jpeg())
        assert r.status_code == 503
        assert r.json()["code"] == "document_store_unavailable"
    assert await session.get(Document, uuid.UUID(fields["id"])) is None
