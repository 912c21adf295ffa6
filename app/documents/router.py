"""HTTP routes of the document store 文件与照片: uploads (whole or resumable), reads, downloads."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Header, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from app.db import SessionDep
from app.documents import service
from app.documents.auth import DocumentReader, DocumentWriter
from app.documents.schemas import DocumentKind, DocumentList, DocumentOut, RecordType
from app.documents.storage import storage_for
from app.errors import UnsupportedMediaType, ValidationFailed, error_responses, problem_response
from app.kit.context import RequestCtx
from app.kit.routes import acts, call_route, creates, lists, reads

router = APIRouter(prefix="/api/v1", tags=["documents"])

CHUNK_TYPE: Final = "application/offset+octet-stream"
_OFFSET: Final[dict[int | str, dict[str, Any]]] = {
    200: {"description": "Upload-Offset: the bytes received; Upload-Length"}
}
_EXTENSIONS: Final = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/heic": "heic",
    "application/pdf": "pdf",
}


def _upload_headers(response: Response, document: DocumentOut) -> None:
    response.headers["Location"] = f"/api/v1/documents/{document.id}"
    response.headers["Upload-Offset"] = str(document.upload_offset)
    response.headers["Upload-Length"] = str(document.upload_length)


@router.post(
    "/documents",
    **creates(
        DocumentOut,
        "Upload a document: the whole `file`, or announce a resumable upload (Upload-Length)",
        errors=(400, 401, 403, 404, 409, 413, 422),
        replayed={200: {"description": "The same id, record, kind and file again: no change"}},
    ),
)
async def upload_document(
    request: Request,
    response: Response,
    session: SessionDep,
    _: DocumentWriter,
    ctx: RequestCtx,
    id: Annotated[
        uuid.UUID, Form(description="Chosen by the client: a retry is the same document")
    ],
    kind: Annotated[DocumentKind, Form()],
    record_type: Annotated[RecordType, Form()],
    record_id: Annotated[uuid.UUID, Form()],
    file: Annotated[
        UploadFile | None, File(description="The whole file (else Upload-Length)")
    ] = None,
    upload_length: Annotated[
        int | None,
        Header(alias="Upload-Length", ge=0, description="A resumable upload's total bytes"),
    ] = None,
) -> DocumentOut:
    if (file is None) == (upload_length is None):
        raise ValidationFailed(
            errors=[
                (
                    "file",
                    "请上传 file，或以 Upload-Length 请求头开始分段上传（二者选一）",
                    "Send `file`, or start a resumable upload with Upload-Length (one of them)",
                )
            ]
        )
    store = storage_for(ctx.settings)
    name = file.filename[:255] if file is not None and file.filename else None
    upload = service.Upload(id, kind, record_type, record_id, name)
    if file is not None:
        data = await file.read(ctx.settings.documents_max_bytes + 1)
        answer = await service.upload_whole(session, ctx, store, upload, data)
    else:
        assert upload_length is not None
        answer = await service.begin_upload(session, ctx, upload, upload_length)
    response.status_code = 201 if answer.created else 200
    _upload_headers(response, answer.document)
    return answer.document


@router.patch(
    "/documents/{document_id}/upload",
    **acts(
        DocumentOut,
        "Append a chunk of a resumable upload at Upload-Offset (the last one completes it)",
        errors=(401, 403, 404, 409, 413, 415, 422),
    ),
)
async def append_chunk(
    document_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    _: DocumentWriter,
    ctx: RequestCtx,
    upload_offset: Annotated[int, Header(alias="Upload-Offset", ge=0)],
    content_type: Annotated[str | None, Header(alias="Content-Type")] = None,
) -> DocumentOut | JSONResponse:
    if (content_type or "").split(";")[0].strip().lower() != CHUNK_TYPE:
        raise UnsupportedMediaType(
            f"分段的 Content-Type 应为 {CHUNK_TYPE}", f"A chunk's Content-Type is {CHUNK_TYPE}"
        )
    chunk = await request.body()
    store = storage_for(ctx.settings)
    done = await service.append(session, ctx, store, document_id, upload_offset, chunk)
    if isinstance(done, service.Refused):
        # The upload is discarded (the transaction commits that), the client told why.
        return problem_response(request, done.error)
    _upload_headers(response, done)
    return done


@router.head(
    "/documents/{document_id}/upload",
    summary="Where a resumable upload stands: Upload-Offset and Upload-Length headers",
    responses=_OFFSET | error_responses(401, 403, 404),
)
async def upload_status(
    document_id: uuid.UUID, session: SessionDep, _: DocumentWriter, ctx: RequestCtx
) -> Response:
    document = await service.upload_offset(session, ctx, document_id)
    return Response(
        status_code=200,
        headers={
            "Upload-Offset": str(document.received),
            "Upload-Length": str(document.upload_length),
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/documents",
    **lists(
        DocumentList,
        "List the documents of a record the caller may read (404: the record is not theirs)",
        errors=(401, 403, 404, 422),
    ),
)
async def list_documents(
    session: SessionDep,
    _: DocumentReader,
    ctx: RequestCtx,
    record_type: Annotated[RecordType, Query()],
    record_id: Annotated[uuid.UUID, Query()],
) -> DocumentList:
    items = await service.list_for_record(session, ctx, record_type, record_id)
    return DocumentList(items=items)


call_route(
    router,
    "GET",
    "/documents/{document_id}",
    reads(DocumentOut, "A document's metadata"),
    "get_document",
    DocumentReader,
    service.read,
)


_BYTES: Final = {200: {"description": "The bytes", "content": {"application/octet-stream": {}}}}


async def _send(
    session: SessionDep, ctx: RequestCtx, document_id: uuid.UUID, *, thumbnail: bool
) -> StreamingResponse:
    store = storage_for(ctx.settings)
    got = await service.download(session, ctx, store, document_id, thumbnail=thumbnail)
    ext = "jpg" if thumbnail else _EXTENSIONS[got.content_type]
    name = f"{got.document.id}{'-thumbnail' if thumbnail else ''}.{ext}"
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if got.size is not None:
        headers["Content-Length"] = str(got.size)
        headers["ETag"] = f'"{got.document.sha256}"'
    return StreamingResponse(got.chunks, media_type=got.content_type, headers=headers)


def _bytes_route(what: str, summary: str, *, thumbnail: bool) -> None:
    async def send_bytes(
        document_id: uuid.UUID, session: SessionDep, _: DocumentReader, ctx: RequestCtx
    ) -> StreamingResponse:
        return await _send(session, ctx, document_id, thumbnail=thumbnail)

    send_bytes.__name__ = f"document_{what}"
    responses = reads(None, summary)
    router.get(
        f"/documents/{{document_id}}/{what}",
        response_class=StreamingResponse,
        **responses | {"responses": responses["responses"] | _BYTES},
    )(send_bytes)


_bytes_route(
    "content",
    "The document's bytes, decrypted and streamed (never a public address)",
    thumbnail=False,
)
_bytes_route("thumbnail", "An image's thumbnail (JPEG, at most 320 px)", thumbnail=True)
