"""The rules of the document store: uploads (whole or resumable), reads, downloads, retention.

- An upload names its record; the caller must be able to read it (`records.child_of`), and only
  staff who write records upload (auth.DocumentWriter). `visit_photo` is for visits only.
- The file is judged by its bytes (`content.check`): JPEG, PNG, HEIC or PDF; no script in a PDF;
  a photo's EXIF location removed unless DOCUMENTS_KEEP_LOCATION; a thumbnail for images.
- The client's `id` makes a retry safe: the same id with the same record, kind and file is the
  same document (200, nothing stored again); with anything else it is a 409.
- A resumable upload (`Upload-Length`, then chunks at `Upload-Offset`) keeps each chunk as an
  encrypted part; a chunk either arrives whole or not at all (the upload gate receives the whole
  body before the route runs), so after a dropped connection the client asks for the offset
  (HEAD) and sends again from there. The last chunk completes the document: the whole file is
  checked as above; refused, the upload is discarded (nothing stored half).
- Every read is audited (metadata, list, content, thumbnail); the bytes are streamed through the
  service, decrypted on the way, never from a public address.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.documents import content, envelope, records
from app.documents import repository as repo
from app.documents.errors import (
    DocumentIdConflict,
    DocumentNotFound,
    DocumentTooLarge,
    FileRefused,
    UploadFinished,
    UploadOffsetMismatch,
)
from app.documents.schemas import DocumentMeta, DocumentOut
from app.documents.storage import Storage
from app.errors import AppError, ValidationFailed
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.records import out_of
from app.models import Document


@dataclass(frozen=True)
class Upload:
    """What an upload says of itself (the multipart form's fields)."""

    id: uuid.UUID
    kind: str
    record_type: str
    record_id: uuid.UUID
    file_name: str | None


@dataclass(frozen=True)
class Answer:
    document: DocumentOut
    created: bool


@dataclass(frozen=True)
class Refused:
    """An upload refused at its last (or first) chunk: discarded, the reason for the client."""

    error: AppError


def content_key(document_id: uuid.UUID) -> str:
    return f"documents/{document_id}/content"


def thumbnail_key(document_id: uuid.UUID) -> str:
    return f"documents/{document_id}/thumbnail"


def part_key(document_id: uuid.UUID, offset: int) -> str:
    return f"uploads/{document_id}/{offset:015d}"


def label(document_id: uuid.UUID, what: str) -> bytes:
    """The associated data binding an object to its document and role."""
    return f"document:{document_id}:{what}".encode()


def view(document: Document, ctx: RequestContext) -> DocumentOut:
    staff = ctx.actor.kind != "agency"
    return out_of(
        DocumentOut,
        document,
        upload_offset=document.received,
        # who uploaded it, under which name, is for staff only
        file_name=document.file_name if staff else None,
        uploaded_by=document.uploaded_by if staff else None,
    )


def meta(document: Document) -> DocumentMeta:
    return DocumentMeta.model_validate(document, from_attributes=True)


def _check_kind(upload: Upload) -> None:
    if upload.kind == "visit_photo" and upload.record_type != "visit":
        raise ValidationFailed(
            errors=[
                (
                    "kind",
                    "visit_photo 只能属于探访记录（record_type=visit）",
                    "A visit_photo belongs to a visit (record_type=visit)",
                )
            ]
        )


def _check_length(ctx: RequestContext, length: int, field: str) -> None:
    limit = ctx.settings.documents_max_bytes
    if length > limit:
        raise DocumentTooLarge(
            f"文件大小 {length} 字节超过上限 {limit} 字节，未保存任何内容",
            f"The file's {length} bytes exceed the limit of {limit} bytes; nothing was stored",
            extra={"max_bytes": limit},
        )
    if length <= 0:
        raise ValidationFailed(errors=[(field, "文件为空", "The file is empty")])


async def _claim(
    session: AsyncSession, ctx: RequestContext, upload: Upload, values: dict[str, Any]
) -> tuple[Document, bool]:
    """The row of this id: inserted now (True), or the one already there if the request is the
    same (False); another request with this id is a 409."""
    inserted = await repo.insert(
        session,
        {
            "id": upload.id,
            "kind": upload.kind,
            "record_type": upload.record_type,
            "record_id": upload.record_id,
            "file_name": upload.file_name,
            "uploaded_by": ctx.actor.id,
            "received": 0,
            "part_offsets": [],
            "has_thumbnail": False,
            "location_removed": False,
            **values,
        },
    )
    document = await repo.get(session, upload.id, lock=True)
    assert document is not None
    if inserted:
        return document, True
    same = (
        document.uploaded_by == ctx.actor.id
        and document.kind == upload.kind
        and document.record_type == upload.record_type
        and document.record_id == upload.record_id
        and document.upload_length == values["upload_length"]
        and (
            values.get("upload_sha256") is None or document.upload_sha256 == values["upload_sha256"]
        )
    )
    if not same:
        raise DocumentIdConflict(
            "同一编号已用于另一份文件；新文件请使用新编号",
            "This id is used by another document; use a new id for a new file",
            errors=[("id", "编号已被占用", "The id is taken")],
        )
    return document, False


async def _store(
    ctx: RequestContext, store: Storage, document: Document, checked: content.Checked
) -> None:
    """Encrypt and write the file (and its thumbnail); complete the row."""
    data_key = envelope.new_data_key()
    document.data_key_enc = envelope.wrap(ctx.keyring, data_key)
    await store.put(
        content_key(document.id),
        envelope.seal(data_key, checked.data, label(document.id, "content")),
    )
    if checked.thumbnail is not None:
        await store.put(
            thumbnail_key(document.id),
            envelope.seal(data_key, checked.thumbnail, label(document.id, "thumbnail")),
        )
    document.status = "stored"
    document.content_type = checked.content_type
    document.size = len(checked.data)
    document.sha256 = hashlib.sha256(checked.data).hexdigest()
    document.has_thumbnail = checked.thumbnail is not None
    document.location_removed = checked.location_removed
    document.completed_at = ctx.now


async def _check(ctx: RequestContext, data: bytes) -> content.Checked:
    keep = ctx.settings.documents_keep_location
    return await asyncio.to_thread(content.check, data, keep_location=keep)


async def upload_whole(
    session: AsyncSession, ctx: RequestContext, store: Storage, upload: Upload, data: bytes
) -> Answer:
    """One request carries the whole file (multipart `file`)."""
    _check_kind(upload)
    child_id = await records.child_of(session, ctx.actor, upload.record_type, upload.record_id)
    _check_length(ctx, len(data), "file")
    digest = hashlib.sha256(data).hexdigest()
    values = {
        "child_id": child_id,
        "status": "uploading",
        "upload_length": len(data),
        "upload_sha256": digest,
        "data_key_enc": b"",
    }
    document, created = await _claim(session, ctx, upload, values)
    if not created:
        if document.status != "stored":
            raise DocumentIdConflict(
                "该编号的分段上传尚未完成，请继续分段上传",
                "A resumable upload of this id is in progress; continue it",
            )
        return Answer(view(document, ctx), False)
    checked = await _check(ctx, data)
    document.received = len(data)
    await _store(ctx, store, document, checked)
    await session.flush()
    _audit_stored(session, ctx, document)
    return Answer(view(document, ctx), True)


def _audit_stored(session: AsyncSession, ctx: RequestContext, document: Document) -> None:
    audit.record(
        session,
        ctx,
        "document.create",
        "document",
        document.id,
        {
            "kind": document.kind,
            "record_type": document.record_type,
            "record_id": str(document.record_id),
            "content_type": document.content_type,
            "size": document.size,
            "location_removed": document.location_removed,
        },
    )


async def begin_upload(
    session: AsyncSession, ctx: RequestContext, upload: Upload, length: int
) -> Answer:
    """A resumable upload announced with its `Upload-Length`: the bytes follow in chunks."""
    _check_kind(upload)
    _check_length(ctx, length, "Upload-Length")
    child_id = await records.child_of(session, ctx.actor, upload.record_type, upload.record_id)
    data_key = envelope.new_data_key()
    values = {
        "child_id": child_id,
        "status": "uploading",
        "upload_length": length,
        "data_key_enc": envelope.wrap(ctx.keyring, data_key),
    }
    document, created = await _claim(session, ctx, upload, values)
    if created:
        audit.record(
            session,
            ctx,
            "document.upload_begin",
            "document",
            document.id,
            {
                "record_type": upload.record_type,
                "record_id": str(upload.record_id),
                "length": length,
            },
        )
    return Answer(view(document, ctx), created)


async def _own_upload(
    session: AsyncSession, ctx: RequestContext, document_id: uuid.UUID, *, lock: bool
) -> Document:
    """A resumable upload is its uploader's alone (anyone else: 404)."""
    document = await repo.get(session, document_id, lock=lock)
    if document is None or document.uploaded_by != ctx.actor.id:
        raise DocumentNotFound()
    return document


async def upload_offset(
    session: AsyncSession, ctx: RequestContext, document_id: uuid.UUID
) -> Document:
    """Where an upload stands (HEAD): how many bytes arrived, of how many."""
    return await _own_upload(session, ctx, document_id, lock=False)


async def append(
    session: AsyncSession,
    ctx: RequestContext,
    store: Storage,
    document_id: uuid.UUID,
    offset: int,
    chunk: bytes,
) -> DocumentOut | Refused:
    """One chunk at `offset`; the last one completes the document."""
    document = await _own_upload(session, ctx, document_id, lock=True)
    if document.status == "stored":
        raise UploadFinished(headers={"Upload-Offset": str(document.received)})
    if offset != document.received:
        raise UploadOffsetMismatch(document.received, offset)
    if not chunk:
        raise ValidationFailed(errors=[("body", "分段内容为空", "The chunk is empty")])
    if offset + len(chunk) > document.upload_length:
        raise ValidationFailed(
            errors=[
                (
                    "body",
                    f"分段超出声明的文件长度 {document.upload_length} 字节",
                    f"The chunk goes past the declared length of {document.upload_length} bytes",
                )
            ]
        )
    if offset == 0 and len(chunk) >= 16:
        try:
            content.refuse_unknown(chunk[:16])
        except FileRefused as refused:
            await _discard(session, store, document)
            return Refused(refused)
    data_key = envelope.unwrap(ctx.keyring, document.data_key_enc)
    await store.put(
        part_key(document.id, offset),
        envelope.seal(data_key, chunk, label(document.id, f"part:{offset}")),
    )
    document.part_offsets = [*document.part_offsets, offset]
    document.received = offset + len(chunk)
    if document.received < document.upload_length:
        await session.flush()
        return view(document, ctx)
    return await _complete(session, ctx, store, document, data_key)


async def _assemble(store: Storage, document: Document, data_key: bytes) -> bytes:
    pieces = []
    for offset in document.part_offsets:
        blob = await store.get(part_key(document.id, offset))
        pieces.append(envelope.open_sealed(data_key, blob, label(document.id, f"part:{offset}")))
    return b"".join(pieces)


async def _complete(
    session: AsyncSession, ctx: RequestContext, store: Storage, document: Document, data_key: bytes
) -> DocumentOut | Refused:
    data = await _assemble(store, document, data_key)
    try:
        checked = await _check(ctx, data)
    except FileRefused as refused:
        await _discard(session, store, document)
        return Refused(refused)
    document.upload_sha256 = hashlib.sha256(data).hexdigest()
    await _store(ctx, store, document, checked)
    await session.flush()
    await store.delete([part_key(document.id, o) for o in document.part_offsets])
    _audit_stored(session, ctx, document)
    return view(document, ctx)


async def _discard(session: AsyncSession, store: Storage, document: Document) -> None:
    await store.delete([part_key(document.id, o) for o in document.part_offsets])
    await repo.remove(session, [document.id])


async def _readable(session: AsyncSession, ctx: RequestContext, document_id: uuid.UUID) -> Document:
    """The stored document, if the caller may read its record (and, for an agency, its kind)."""
    document = await repo.get(session, document_id)
    if document is None or document.status != "stored":
        raise DocumentNotFound()
    kinds = records.kinds_for(ctx.actor)
    if kinds is not None and document.kind not in kinds:
        raise DocumentNotFound()
    try:
        await records.child_of(session, ctx.actor, document.record_type, document.record_id)
    except AppError:
        raise DocumentNotFound() from None
    return document


async def read(session: AsyncSession, ctx: RequestContext, document_id: uuid.UUID) -> DocumentOut:
    document = await _readable(session, ctx, document_id)
    audit.record(session, ctx, "document.read", "document", document.id)
    return view(document, ctx)


async def list_for_record(
    session: AsyncSession, ctx: RequestContext, record_type: str, record_id: uuid.UUID
) -> list[DocumentOut]:
    await records.child_of(session, ctx.actor, record_type, record_id)
    found = await repo.of_record(session, record_type, record_id, records.kinds_for(ctx.actor))
    audit.record(
        session,
        ctx,
        "document.list",
        "document",
        None,
        {"record_type": record_type, "record_id": str(record_id), "count": len(found)},
    )
    return [view(d, ctx) for d in found]


@dataclass(frozen=True)
class Download:
    document: Document
    content_type: str
    size: int | None
    chunks: AsyncIterator[bytes]


async def _decrypted(
    store: Storage, key: str, data_key: bytes, object_label: bytes
) -> AsyncIterator[bytes]:
    opener = envelope.Opener(data_key, object_label)
    async for piece in store.stream(key):
        for plain in opener.feed(piece):
            yield plain
    opener.finish()


async def download(
    session: AsyncSession,
    ctx: RequestContext,
    store: Storage,
    document_id: uuid.UUID,
    *,
    thumbnail: bool = False,
) -> Download:
    """The document's bytes (or its thumbnail's), decrypted as they are sent."""
    document = await _readable(session, ctx, document_id)
    if thumbnail and not document.has_thumbnail:
        raise DocumentNotFound("该文件没有缩略图", "This document has no thumbnail")
    what = "thumbnail" if thumbnail else "content"
    data_key = envelope.unwrap(ctx.keyring, document.data_key_enc)
    key = thumbnail_key(document.id) if thumbnail else content_key(document.id)
    audit.record(session, ctx, f"document.{what}", "document", document.id)
    assert document.content_type is not None
    return Download(
        document=document,
        content_type="image/jpeg" if thumbnail else document.content_type,
        size=None if thumbnail else document.size,
        chunks=_decrypted(store, key, data_key, label(document.id, what)),
    )


async def purge_expired(
    session: AsyncSession, store: Storage, today: date, years: int, batch: int = 200
) -> int:
    """Retention: documents whose record ended (child revoked, case closed, intake discharged)
    more than `years` years before `today` are deleted, objects and row, each purge audited."""
    cutoff = _years_before(today, years)
    documents = await repo.due_for_purge(session, cutoff, batch)
    if not documents:
        return 0
    keys: list[str] = []
    for d in documents:
        keys += [content_key(d.id), thumbnail_key(d.id)]
        keys += [part_key(d.id, o) for o in d.part_offsets]
    await store.delete(keys)
    await repo.remove(session, [d.id for d in documents])
    for d in documents:
        audit.record(
            session,
            None,
            "document.purge",
            "document",
            d.id,
            {
                "kind": d.kind,
                "record_type": d.record_type,
                "record_id": str(d.record_id),
                "retention_years": years,
                "ended_before": cutoff.isoformat(),
            },
        )
    return len(documents)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
