"""The demo's documents (app/documents/demo.py): stored through the service, encrypted in the
store, readable by the staff of the record's area through the API, the original bytes back."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.tokens import create_access_token
from app.config import Settings
from app.documents import demo
from app.kit.clock import FixedClock
from app.main import create_app
from app.models import Child, Document, ProtectionIntake, User, Visit
from tests.conftest import NOW

API = "/api/v1/documents"


@pytest.fixture
async def demo_client(
    settings: Settings,
    demo_engine: AsyncEngine,
    demo_session: AsyncSession,
    demo_documents_dir: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    """An app on the demo database (in the test's transaction) and the demo's document store."""
    maker = async_sessionmaker(
        bind=demo_session.bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    changed = settings.model_copy(update={"documents_dir": demo_documents_dir})
    application = create_app(changed, engine=demo_engine, sessionmaker=maker, clock=FixedClock(NOW))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


def _headers(settings: Settings, user_id: uuid.UUID) -> dict[str, str]:
    token, _ = create_access_token(settings, now=NOW, subject=user_id, kind="user", extra={})
    return {"Authorization": f"Bearer {token}"}


async def _reader_of(session: AsyncSession, child_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """A staff account of the child's area (its village's director, or the institute's staff)
    and a village director elsewhere."""
    village = await session.scalar(select(Child.village_code).where(Child.id == child_id))
    if village is not None:
        reader = await session.scalar(
            select(User.id).where(User.area_code == village, User.role == "village_director")
        )
    else:
        reader = await session.scalar(select(User.id).where(User.username == "institute"))
    other = await session.scalar(
        select(User.id)
        .where(User.role == "village_director", User.area_code != (village or ""))
        .order_by(User.username)
        .limit(1)
    )
    assert reader is not None
    assert other is not None
    return reader, other


async def test_demo_documents(
    demo_session: AsyncSession,
    demo_client: httpx.AsyncClient,
    demo_documents_dir: Path,
    settings: Settings,
) -> None:
    docs = (
        await demo_session.scalars(
            select(Document).where(Document.uploaded_by == demo.UPLOADER).order_by(Document.kind)
        )
    ).all()
    assert sorted(d.kind for d in docs) == ["consent", "evidence"] + ["visit_photo"] * 3
    assert all(d.status == "stored" for d in docs)
    for d in docs:
        assert d.id == demo.document_id(d.kind, d.record_type, d.record_id)

    visits = (
        await demo_session.scalars(select(Visit).order_by(Visit.visited_at, Visit.id).limit(3))
    ).all()
    expected: dict[uuid.UUID, bytes] = {}
    for n, visit in enumerate(visits):
        doc = demo.document_id("visit_photo", "visit", visit.id)
        assert str(doc) in visit.photos  # the visit names its photo
        expected[doc] = demo.visit_photo(n)
    evidence = next(d for d in docs if d.kind == "evidence")
    child = await demo_session.get(Child, evidence.record_id)
    assert child is not None
    assert child.category == "de_facto_unsupported"
    assert child.parents[0]["evidence"]["document_id"] == str(evidence.id)
    expected[evidence.id] = demo.pdf("DEMO - evidence of a parent fact")
    consent = next(d for d in docs if d.kind == "consent")
    assert consent.record_type == "intake"
    assert await demo_session.get(ProtectionIntake, consent.record_id) is not None
    expected[consent.id] = demo.pdf("DEMO - consent form (synthetic)")
    assert set(expected) == {d.id for d in docs}

    protect = await demo_session.scalar(select(User.id).where(User.username == "protect"))
    assert protect is not None
    for d in docs:
        original = expected[d.id]
        # encrypted at rest: the store holds neither the file nor any recognisable part of it
        stored = (demo_documents_dir / "documents" / str(d.id) / "content").read_bytes()
        assert stored.startswith(b"CDE1")
        assert original[:16] not in stored
        assert original[-32:] not in stored
        if d.record_type == "intake":
            reader, other = protect, None
        else:
            child_id = d.child_id
            assert child_id is not None
            reader, other = await _reader_of(demo_session, child_id)
        query = {"record_type": d.record_type, "record_id": str(d.record_id)}
        listed = await demo_client.get(API, params=query, headers=_headers(settings, reader))
        assert listed.status_code == 200, listed.text
        assert str(d.id) in [item["id"] for item in listed.json()["items"]]
        content = await demo_client.get(f"{API}/{d.id}/content", headers=_headers(settings, reader))
        assert content.status_code == 200, content.text
        assert content.content == original
        assert content.headers["content-type"].startswith(d.content_type or "?")
        assert d.sha256 == hashlib.sha256(original).hexdigest()
        if other is not None:  # a director of another village does not reach the record
            denied = await demo_client.get(API, params=query, headers=_headers(settings, other))
            assert denied.status_code == 404


def _files(root: Path) -> list[tuple[Path, int]]:
    return sorted((p, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file())


async def test_demo_documents_rerun(
    demo_session: AsyncSession, demo_documents_dir: Path, settings: Settings
) -> None:
    """The demo runs on every start: another run stores nothing again, under the same ids."""

    async def ids() -> list[uuid.UUID]:
        return list(
            (
                await demo_session.scalars(
                    select(Document.id)
                    .where(Document.uploaded_by == demo.UPLOADER)
                    .order_by(Document.id)
                )
            ).all()
        )

    before = await ids()
    files = _files(demo_documents_dir)
    changed = settings.model_copy(update={"documents_dir": demo_documents_dir})
    await demo.load(demo_session, changed)
    assert await ids() == before
    assert _files(demo_documents_dir) == files
    total = await demo_session.scalar(select(func.count()).select_from(Document))
    assert total == len(before)
