"""What a file is, by its bytes: JPEG, PNG, HEIC or PDF only; no script in a PDF; a photo's
location removed (unless the district keeps it) and a thumbnail made.

The file's name and declared type are never believed: a script renamed `.jpg` is refused by its
first bytes. A PDF carrying JavaScript (`/JS`, `/JavaScript`, an `/OpenAction` or `/AA`
additional action) is refused, whether the names are in plain sight or inside compressed object
streams (every object is walked with pypdf).
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from typing import Any, Final

import pillow_heif
from PIL import Image, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from app.documents.errors import FileRefused

pillow_heif.register_heif_opener()

HEIC_BRANDS: Final = frozenset({b"heic", b"heix", b"mif1"})
THUMBNAIL_SIZE: Final = (320, 320)
_GPS_IFD: Final = 0x8825
_SCRIPT_NAMES: Final = frozenset({"/JS", "/JavaScript", "/AA"})
_RAW_SCRIPT: Final = re.compile(rb"/(?:JavaScript|JS|AA)(?![A-Za-z0-9])")
_MAX_PDF_OBJECTS: Final = 200_000
_SAVE_FORMAT: Final = {"image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIF"}


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show, or None (not a type we take)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def refuse_unknown(head: bytes) -> str:
    kind = sniff(head)
    if kind is None:
        raise FileRefused(
            "type_not_allowed",
            "只接受 JPEG、PNG、HEIC 图片或 PDF 文件（按文件内容判断，与扩展名无关）",
            "Only JPEG, PNG, HEIC images and PDF files are taken (judged by the content, "
            "not the file name)",
        )
    return kind


@dataclass(frozen=True)
class Checked:
    content_type: str
    data: bytes
    location_removed: bool
    thumbnail: bytes | None


def check(data: bytes, *, keep_location: bool) -> Checked:
    """The file as it will be stored, or FileRefused (422 on `file`)."""
    kind = refuse_unknown(data[:16])
    if kind == "application/pdf":
        _refuse_pdf_script(data)
        return Checked(kind, data, False, None)
    return _image(kind, data, keep_location=keep_location)


def _unreadable(what_zh: str, what_en: str) -> FileRefused:
    return FileRefused(
        "unreadable", f"文件无法读取：{what_zh}", f"The file cannot be read: {what_en}"
    )


def _image(kind: str, data: bytes, *, keep_location: bool) -> Checked:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _unreadable("图片像素过多", "the image has too many pixels") from None
    except Exception:
        raise _unreadable("图片已损坏", "the image is damaged") from None
    exif = image.getexif()
    has_location = _GPS_IFD in exif or b"GPSLatitude" in data or b"GPSLongitude" in data
    removed = False
    if has_location and not keep_location:
        exif.pop(_GPS_IFD, None)
        data = _save(image, kind, exif.tobytes())
        removed = True
    return Checked(kind, data, removed, _thumbnail(image))


def _save(image: Image.Image, kind: str, exif: bytes) -> bytes:
    """The image again without its location: EXIF without the GPS directory, no XMP."""
    out = io.BytesIO()
    options: dict[str, Any] = {"exif": exif}
    if icc := image.info.get("icc_profile"):
        options["icc_profile"] = icc
    if kind != "image/png":
        options["quality"] = 95
    image.save(out, _SAVE_FORMAT[kind], **options)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    small = ImageOps.exif_transpose(image) or image
    small = small.copy()
    small.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    small.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def _refuse_pdf_script(data: bytes) -> None:
    script = FileRefused(
        "pdf_javascript",
        "PDF 文件含有 JavaScript 脚本或自动执行的动作，不予接收",
        "The PDF carries JavaScript or an automatic action; it is refused",
    )
    if _RAW_SCRIPT.search(data):
        raise script
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise FileRefused(
                "pdf_encrypted",
                "加密的 PDF 无法检查，请上传未加密的文件",
                "An encrypted PDF cannot be checked; upload it unencrypted",
            )
        if _has_script(reader):
            raise script
    except FileRefused:
        raise
    except Exception:
        raise _unreadable("PDF 结构损坏", "the PDF is damaged") from None


def _has_script(reader: PdfReader) -> bool:
    """Every object reachable from the trailer, each once: a script name anywhere refuses."""
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer]
    visited = 0
    while stack:
        node = stack.pop()
        visited += 1
        if visited > _MAX_PDF_OBJECTS:
            raise _unreadable("PDF 对象过多", "the PDF has too many objects")
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            for key, value in node.items():
                if key in _SCRIPT_NAMES:
                    return True
                if key == "/S" and value == NameObject("/JavaScript"):
                    return True
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False
