"""A resumable upload from a phone on a poor signal: Upload-Length, chunks at Upload-Offset,
HEAD for where it stands; a dropped connection loses the chunk in flight, never the upload."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Message

from app.config import Settings
from app.models import Document
from tests.conftest import AuthHeaders
from tests.documents.factories import API, SCRIPT, begin, chunk, form, jpeg, pdf_with_javascript
from tests.visits.factories import make_child


async def _send_and_drop(
    app: FastAPI, headers: dict[str, str], doc_id: str, offset: int, part: bytes
) -> list[Message]:
    """A PATCH whose connection drops after half of its body: the raw ASGI exchange."""
    raw = headers | {
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(len(part)),
    }
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PATCH",
        "scheme": "http",
        "path": f"{API}/{doc_id}/upload",
        "raw_path": f"{API}/{doc_id}/upload".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in raw.items()]
        + [(b"host", b"test")],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    messages: list[Message] = [
        {"type": "http.request", "body": part[: len(part) // 2], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def _offset(client: httpx.AsyncClient, headers: dict[str, str], doc_id: str) -> int:
    r = await client.head(f"{API}/{doc_id}/upload", headers=headers)
    assert r.status_code == 200
    return int(r.headers["Upload-Offset"])


async def test_an_upload_resumes_after_a_dropped_connection(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
) -> None:
    child = await make_child(session, settings)
    data = jpeg(size=(1200, 900))
    h = auth("dir1")
    fields = form("child", child)
    r = await begin(client, h, fields, len(data))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "uploading"
    assert r.headers["Upload-Offset"] == "0"
    doc_id = fields["id"]
    # Announcing it again (the phone did not hear the answer) is the same upload.
    again = await begin(client, h, fields, len(data))
    assert again.status_code == 200
    assert again.json()["upload_offset"] == 0

    third = len(data) // 3
    r = await chunk(client, h, doc_id, 0, data[:third])
    assert r.status_code == 200, r.text
    assert r.headers["Upload-Offset"] == str(third)
    assert r.json()["status"] == "uploading"

    # The connection drops in the middle of the second chunk: nothing of it is kept.
    await _send_and_drop(app, h, doc_id, third, data[third : 2 * third])
    assert await _offset(client, h, doc_id) == third
    # Not readable until complete.
    assert (await client.get(f"{API}/{doc_id}", headers=h)).status_code == 404

    # The phone resumes from the offset the server reports.
    r = await chunk(client, h, doc_id, third, data[third : 2 * third])
    assert r.status_code == 200
    r = await chunk(client, h, doc_id, 2 * third, data[2 * third :])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "stored"
    assert r.json()["upload_offset"] == len(data)
    got = await client.get(f"{API}/{doc_id}/content", headers=h)
    assert got.status_code == 200
    assert got.content == data
    # Another chunk after completion: 409, the offset said.
    late = await chunk(client, h, doc_id, len(data), b"x")
    assert late.status_code == 409
    assert late.json()["code"] == "upload_finished"


async def test_a_wrong_offset_is_a_conflict_naming_the_expected_one(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    data = jpeg()
    h = auth("admin")
    fields = form("child", child)
    await begin(client, h, fields, len(data))
    assert (await chunk(client, h, fields["id"], 0, data[:100])).status_code == 200
    for wrong in (0, 50, 150):
        r = await chunk(client, h, fields["id"], wrong, data[wrong : wrong + 100])
        assert r.status_code == 409
        assert r.json()["code"] == "upload_offset_mismatch"
        assert r.json()["expected_offset"] == 100
        assert r.headers["Upload-Offset"] == "100"
    assert await _offset(client, h, fields["id"]) == 100


async def test_chunks_must_fit_and_be_typed(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    h = auth("admin")
    fields = form("child", child)
    await begin(client, h, fields, 100)
    r = await chunk(client, h, fields["id"], 0, jpeg()[:16] + b"\0" * 100)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body"
    r = await client.patch(
        f"{API}/{fields['id']}/upload",
        content=b"abc",
        headers=h | {"Upload-Offset": "0", "Content-Type": "image/jpeg"},
    )
    assert r.status_code == 415
    r = await client.patch(
        f"{API}/{fields['id']}/upload",
        content=b"abc",
        headers=h | {"Content-Type": "application/offset+octet-stream"},
    )
    assert r.status_code == 422  # no Upload-Offset


async def test_a_refused_file_discards_the_upload(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
) -> None:
    child = await make_child(session, settings)
    h = auth("admin")
    # A script: refused at its first chunk.
    fields = form("child", child)
    await begin(client, h, fields, len(SCRIPT) + 100)
    r = await chunk(client, h, fields["id"], 0, SCRIPT)
    assert r.status_code == 422
    assert r.json()["reason"] == "type_not_allowed"
    assert (await client.head(f"{API}/{fields['id']}/upload", headers=h)).status_code == 404
    # A PDF with JavaScript: refused when complete, nothing kept.
    data = pdf_with_javascript()
    fields = form("child", child)
    await begin(client, h, fields, len(data))
    assert (await chunk(client, h, fields["id"], 0, data[:40])).status_code == 200
    r = await chunk(client, h, fields["id"], 40, data[40:])
    assert r.status_code == 422
    assert r.json()["reason"] == "pdf_javascript"
    count = await session.scalar(select(func.count()).select_from(Document))
    assert count == 0


async def test_an_upload_is_its_uploaders_alone(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    fields = form("child", child)
    await begin(client, auth("dir1"), fields, 100)
    assert (
        await client.head(f"{API}/{fields['id']}/upload", headers=auth("admin"))
    ).status_code == 404
    r = await chunk(client, auth("admin"), fields["id"], 0, b"x" * 10)
    assert r.status_code == 404
    # The same id announced by someone else: a conflict.
    r = await begin(client, auth("admin"), fields, 100)
    assert r.status_code == 409
