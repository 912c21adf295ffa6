"""The phone: a visit's photos are document ids, uploaded after the visit; the sync lists the
child's documents' metadata (never their bytes)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import AuthHeaders
from tests.documents.factories import API, form, jpeg, pdf, upload
from tests.visits.factories import make_child, visit_body

SYNC = "/api/v1/sync"


async def test_a_visits_photos_are_document_ids_and_the_sync_lists_them(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    h = auth("dir1")
    first = await client.get(SYNC, headers=h)
    assert first.status_code == 200
    [entry] = [c for c in first.json()["children"] if c["id"] == str(child)]
    assert entry["documents"] == []
    cursor = first.json()["next_cursor"]

    photo = str(uuid.uuid4())
    visit = visit_body(child, photos=[photo])
    r = await client.post("/api/v1/visits", json=visit, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["photos"] == [photo]
    fields = form("visit", visit["id"], kind="visit_photo", id=photo)
    assert (await upload(client, h, fields, jpeg())).status_code == 201
    consent = await upload(client, h, form("child", child, kind="consent"), pdf(), "同意书.pdf")
    assert consent.status_code == 201

    later = await client.get(SYNC, headers=h, params={"cursor": cursor})
    assert later.status_code == 200
    [entry] = [c for c in later.json()["children"] if c["id"] == str(child)]
    docs = {d["id"]: d for d in entry["documents"]}
    assert set(docs) == {photo, consent.json()["id"]}
    assert docs[photo]["record_type"] == "visit"
    assert docs[photo]["kind"] == "visit_photo"
    assert docs[photo]["has_thumbnail"] is True
    assert set(docs[photo]) == {
        "id",
        "kind",
        "record_type",
        "record_id",
        "content_type",
        "size",
        "sha256",
        "has_thumbnail",
        "completed_at",
    }
    # The bytes are fetched apart.
    got = await client.get(f"{API}/{photo}/thumbnail", headers=h)
    assert got.status_code == 200


async def test_a_photo_reference_is_a_document_id(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    body = visit_body(child, photos=["https://elsewhere.example/1.jpg"])
    r = await client.post("/api/v1/visits", json=body, headers=auth("dir1"))
    assert r.status_code == 422
    assert "photos" in r.text
