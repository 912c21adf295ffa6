"""Demo documents (synthetic, issue 33): a few files stored through the document service itself —
checked by their bytes, encrypted with the key ring's data keys, written to the configured store
(DOCUMENTS_BACKEND), audited — so that the demo's visits, children and intakes have files:

- a small generated PNG photo (no real photo) of each of the three oldest demo visits, named in
  the visit's `photos`;
- an evidence PDF (a tiny valid PDF written here, no script) for the first parent fact of a
  de-facto-unsupported child, named as that fact's `evidence.document_id`;
- a consent PDF (知情同意书) of the oldest protection-centre intake.

Runs after the visits, the ledger and the protection demo. Each document's id is derived from its
record (uuid5), and its bytes are the same on every run: a second run stores nothing again (the
service answers a replay of the same id and file as the same document), and skips outright once
the demo documents are there.
"""

from __future__ import annotations

import io
import uuid
from typing import Any, Final

from PIL import Image, ImageDraw
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import Settings
from app.documents import service
from app.documents.storage import storage_for
from app.kit.clock import SystemClock
from app.kit.context import RequestContext
from app.models import Child, Document, ProtectionIntake, Visit

# The uploader recorded on the demo's documents (no account: the demo loads them as the system).
UPLOADER: Final = uuid.UUID("00000000-0000-4000-8000-00000000d0c5")
_NAMESPACE: Final = uuid.UUID("6f1c0b7e-3c1d-4c55-9a52-0d0c5de30000")
VISIT_PHOTOS: Final = 3


def document_id(kind: str, record_type: str, record_id: uuid.UUID) -> uuid.UUID:
    """The demo document of this kind of this record: the same id on every run."""
    return uuid.uuid5(_NAMESPACE, f"{kind}:{record_type}:{record_id}")


def visit_photo(seed: int) -> bytes:
    """A 160×120 PNG drawn here: a sky, a house, a sun; the colours vary with `seed`."""
    image = Image.new("RGB", (160, 120), (170, 205, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 85, 160, 120), fill=(90, 150 + seed * 20 % 80, 70))
    draw.rectangle((45, 50, 115, 95), fill=(225, 200, 160))
    draw.polygon([(38, 52), (80, 22), (122, 52)], fill=(170, 50 + seed * 30 % 120, 40))
    draw.rectangle((72, 70, 88, 95), fill=(110, 70, 40))
    draw.ellipse((128, 8, 150, 30), fill=(250, 210, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def pdf(title: str) -> bytes:
    """A one-page PDF written by hand (xref offsets computed): `title` (ASCII) in Helvetica.
    No action, no script, no form: what an upload of a scanned paper would be, minus the scan."""
    text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 40 760 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _system(settings: Settings) -> Principal:
    district = settings.district_code
    return Principal(
        kind="user",
        id=UPLOADER,
        name="演示数据",
        role=Role.DISTRICT_ADMIN,
        area_code=district,
        area_path=district + "/",
        area_level="district",
        district_code=district,
    )


async def load(session: AsyncSession, settings: Settings) -> None:
    if await session.scalar(select(exists().where(Document.uploaded_by == UPLOADER))):
        return
    ctx = RequestContext.for_job(settings, SystemClock(), principal=_system(settings))
    store = storage_for(settings)

    async def upload(
        kind: str, record_type: str, record_id: uuid.UUID, name: str, data: bytes
    ) -> uuid.UUID:
        doc = document_id(kind, record_type, record_id)
        what = service.Upload(doc, kind, record_type, record_id, name)
        await service.upload_whole(session, ctx, store, what, data)
        return doc

    visits = (
        await session.scalars(
            select(Visit).order_by(Visit.visited_at, Visit.id).limit(VISIT_PHOTOS)
        )
    ).all()
    for n, visit in enumerate(visits):
        doc = await upload(
            "visit_photo", "visit", visit.id, f"探访照片-{n + 1}.png", visit_photo(n)
        )
        if str(doc) not in visit.photos:
            visit.photos = [*visit.photos, str(doc)]

    child = await session.scalar(
        select(Child)
        .where(Child.category == "de_facto_unsupported", Child.status == "active")
        .order_by(Child.approved_on, Child.id)
        .limit(1)
    )
    if child is not None and child.parents:
        doc = await upload(
            "evidence", "child", child.id, "证明材料.pdf", pdf("DEMO - evidence of a parent fact")
        )
        parents: list[dict[str, Any]] = [dict(p) for p in child.parents]
        evidence = dict(parents[0].get("evidence") or {})
        evidence["document_id"] = str(doc)
        parents[0]["evidence"] = evidence
        child.parents = parents

    intake = await session.scalar(
        select(ProtectionIntake)
        .order_by(ProtectionIntake.admitted_at, ProtectionIntake.id)
        .limit(1)
    )
    if intake is not None:
        await upload(
            "consent", "intake", intake.id, "知情同意书.pdf", pdf("DEMO - consent form (synthetic)")
        )
    await session.flush()
