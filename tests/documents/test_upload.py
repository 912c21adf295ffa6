"""Uploading a whole file: what is taken (by its bytes), what is stored (encrypted, without the
photo's location), what a retry does, and every bad input as a problem with nothing stored."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEntry, Document
from tests.conftest import AuthHeaders
from tests.documents.conftest import ClientWith
from tests.documents.factories import (
    API,
    GPS_IFD,
    SCRIPT,
    form,
    heic,
    jpeg,
    pdf,
    pdf_with_hidden_javascript,
    pdf_with_javascript,
    png,
    upload,
)
from tests.visits.factories import make_child


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def _count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Document)) or 0)


async def test_a_photo_is_stored_encrypted_without_its_location_and_read_back(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    store_dir: Path,
) -> None:
    child = await make_child(session, settings)
    original = jpeg(gps=True)
    assert GPS_IFD in Image.open(io.BytesIO(original)).getexif()
    r = await upload(client, auth("dir1"), form("child", child), original, "门前.jpg")
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["status"] == "stored"
    assert doc["content_type"] == "image/jpeg"
    assert doc["location_removed"] is True
    assert doc["has_thumbnail"] is True
    assert doc["file_name"] == "门前.jpg"
    assert r.headers["Location"] == f"{API}/{doc['id']}"

    got = await client.get(f"{API}/{doc['id']}/content", headers=auth("dir1"))
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/jpeg"
    assert "attachment" in got.headers["content-disposition"]
    assert len(got.content) == doc["size"]
    stored_image = Image.open(io.BytesIO(got.content))
    assert GPS_IFD not in stored_image.getexif()
    assert stored_image.getexif()[0x010F] == "TestCam"  # the rest of the EXIF stays
    thumb = await client.get(f"{API}/{doc['id']}/thumbnail", headers=auth("dir1"))
    assert thumb.status_code == 200
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320

    # At rest: the objects in the store are not the file, nor contain it.
    files = _files(store_dir)
    assert len(files) == 2  # the content and the thumbnail
    for f in files:
        blob = f.read_bytes()
        assert blob != got.content
        assert got.content[:64] not in blob
        assert b"TestCam" not in blob


async def test_the_district_may_keep_the_location(
    client_with: ClientWith, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    async with client_with(documents_keep_location=True) as c:
        original = jpeg(gps=True)
        r = await upload(c, auth("admin"), form("child", child), original)
        assert r.status_code == 201, r.text
        assert r.json()["location_removed"] is False
        got = await c.get(f"{API}/{r.json()['id']}/content", headers=auth("admin"))
        assert got.content == original


async def test_png_heic_and_pdf_are_taken_by_their_bytes(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    for data, name, expected, thumb in (
        (png(), "scan.bin", "image/png", True),
        (heic(), "IMG_0001.HEIC", "image/heic", True),
        (pdf(), "判决书.pdf", "application/pdf", False),
    ):
        r = await upload(client, auth("admin"), form("child", child), data, name)
        assert r.status_code == 201, (name, r.text)
        assert r.json()["content_type"] == expected
        assert r.json()["has_thumbnail"] is thumb
        got = await client.get(f"{API}/{r.json()['id']}/content", headers=auth("admin"))
        assert got.content == data
        if not thumb:
            t = await client.get(f"{API}/{r.json()['id']}/thumbnail", headers=auth("admin"))
            assert t.status_code == 404


async def test_a_script_renamed_jpg_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    store_dir: Path,
) -> None:
    child = await make_child(session, settings)
    before = await _count(session)
    fields = form("child", child)
    r = await upload(client, auth("admin"), fields, SCRIPT, "photo.jpg")
    assert r.status_code == 422
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["reason"] == "type_not_allowed"
    assert body["errors"][0]["field"] == "file"
    assert "JPEG" in body["errors"][0]["message"]
    assert await _count(session) == before
    assert _files(store_dir) == []
    assert (await client.get(f"{API}/{fields['id']}", headers=auth("admin"))).status_code == 404
    en = await upload(client, auth("admin", lang="en"), form("child", child), SCRIPT)
    assert "Only JPEG, PNG, HEIC images and PDF files" in en.json()["errors"][0]["message"]


async def test_a_pdf_with_javascript_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    for data in (pdf_with_javascript(), pdf_with_hidden_javascript()):
        r = await upload(client, auth("admin"), form("child", child), data, "a.pdf")
        assert r.status_code == 422, r.text
        assert r.json()["reason"] == "pdf_javascript"
    assert await _count(session) == 0


async def test_a_damaged_image_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    r = await upload(client, auth("admin"), form("child", child), jpeg()[:200])
    assert r.status_code == 422
    assert r.json()["reason"] == "unreadable"


async def test_the_same_upload_twice_is_one_document(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    data = jpeg()
    fields = form("child", child)
    first = await upload(client, auth("dir1"), fields, data)
    again = await upload(client, auth("dir1"), fields, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert await _count(session) == 1
    created = await session.scalar(
        select(func.count()).where(AuditEntry.action == "document.create")
    )
    assert created == 1
    # The same id with another file, record or kind: a conflict, the first one unchanged.
    other = await upload(client, auth("dir1"), fields, jpeg(size=(10, 10)))
    assert other.status_code == 409
    assert other.json()["code"] == "document_id_conflict"
    kind = await upload(client, auth("dir1"), fields | {"kind": "consent"}, data)
    assert kind.status_code == 409
    got = await client.get(f"{API}/{fields['id']}/content", headers=auth("dir1"))
    assert got.headers["etag"] == f'"{first.json()["sha256"]}"'


async def test_a_two_gigabyte_upload_is_refused_before_anything_is_read(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    two_gb = str(2 * 1024**3)
    # Announced as a resumable upload.
    r = await client.post(
        API, data=form("child", child), headers=auth("admin") | {"Upload-Length": two_gb}
    )
    assert r.status_code == 413
    assert r.json()["code"] == "document_too_large"
    assert r.json()["max_bytes"] == settings.documents_max_bytes
    # Sent whole: the declared body length is refused before the body is read.
    r = await client.post(
        API,
        content=b"x" * 10,
        headers=auth("admin")
        | {"Content-Length": two_gb, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert r.status_code == 413
    assert await _count(session) == 0


async def test_a_file_over_the_limit_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    big = jpeg() + b"\0" * settings.documents_max_bytes
    r = await upload(client, auth("admin"), form("child", child), big)
    assert r.status_code == 413
    assert await _count(session) == 0


async def test_bad_fields_are_named(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    h = auth("admin")
    cases = {
        "kind": form("child", child, kind="selfie"),
        "record_type": form("planet", child),
        "record_id": form("child", "not-a-uuid"),
        "id": form("child", child, id="42"),
    }
    for field, fields in cases.items():
        r = await upload(client, h, fields, jpeg())
        assert r.status_code == 422, (field, r.text)
        assert field in str(r.json()), (field, r.json())
    # Neither a file nor Upload-Length; both.
    r = await client.post(API, data=form("child", child), headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "file"
    r = await client.post(
        API,
        data=form("child", child),
        files={"file": ("a.jpg", jpeg())},
        headers=h | {"Upload-Length": "10"},
    )
    assert r.status_code == 422
    # A visit photo belongs to a visit.
    r = await upload(client, h, form("child", child, kind="visit_photo"), jpeg())
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "kind"
    # A record that does not exist (or is not the caller's): 404, nothing stored.
    r = await upload(client, h, form("child", uuid.uuid4()), jpeg())
    assert r.status_code == 404
    assert r.json()["code"] == "document_record_not_found"
    assert await _count(session) == 0
