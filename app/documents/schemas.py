"""Bodies of the document store's answers (uploads are multipart forms or raw chunks)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

DocumentKind = Literal["evidence", "visit_photo", "consent", "decision", "other"]
RecordType = Literal["child", "visit", "incident", "intake", "case"]
ContentType = Literal["image/jpeg", "image/png", "image/heic", "application/pdf"]


class DocumentOut(BaseModel):
    """文件: a document's metadata (its bytes at `/content`, an image's thumbnail at
    `/thumbnail`). A resumable upload in progress has status `uploading` and no content yet."""

    id: uuid.UUID
    kind: DocumentKind
    record_type: RecordType
    record_id: uuid.UUID
    status: Literal["uploading", "stored"]
    content_type: ContentType | None = Field(description="As the file's bytes show (magic bytes).")
    size: int | None = Field(description="Bytes of the stored file (after a location was removed).")
    sha256: str | None = Field(
        description="SHA-256 (hex) of the stored file: what a download gives."
    )
    upload_length: int = Field(description="The length declared for the upload (Upload-Length).")
    upload_offset: int = Field(description="Bytes received so far (Upload-Offset to send next).")
    has_thumbnail: bool
    location_removed: bool = Field(description="True: the photo's EXIF location was removed.")
    file_name: str | None = Field(description="The name the file was sent with (staff only).")
    uploaded_by: uuid.UUID | None = Field(description="Who uploaded it (staff only).")
    created_at: datetime
    completed_at: datetime | None


class DocumentMeta(BaseModel):
    """A document as the phone's sync lists it: metadata only, the bytes are fetched apart."""

    id: uuid.UUID
    kind: DocumentKind
    record_type: RecordType
    record_id: uuid.UUID
    content_type: ContentType | None
    size: int | None
    sha256: str | None
    has_thumbnail: bool
    completed_at: datetime | None


class DocumentList(BaseModel):
    items: list[DocumentOut]
