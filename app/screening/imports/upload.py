"""Receiving an upload: the multipart body streamed to disk, never held in memory.

The request body is fed piece by piece to python-multipart's push parser; the bytes of the
`file` part go straight to a file in the upload directory. Over the size limit → 413 at once
(the partial file is removed). Then the first bytes and the header row are checked at once,
so that a file that is not a screening table is refused before any job is queued; so is an
XLSX workbook over the reader's limits where that shows this early (its zip directory, its
shared strings, the first rows: `FileLimitExceeded`, 422 naming the limit). A limit met
later in the sheet (the cell count, a gap further down) fails the import instead, its
`error` naming the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from app.errors import FileLimitExceeded, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from app.screening.errors import NotATable
from app.screening.imports.table import HeaderInfo, NotATableError, TableLimitError, open_table


@dataclass
class Received:
    """The stored upload: where it is, its client-side name and size, what its header says."""

    path: Path
    stored_name: str
    file_name: str
    size: int
    header: HeaderInfo


class _FilePart:
    """Callbacks for MultipartParser: write the `file` part's bytes to `target`."""

    def __init__(self, limit: int) -> None:
        self.pending = bytearray()
        self.limit = limit
        self.size = 0
        self.found = False
        self.file_name = ""
        self._in_file = False
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._in_file = False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if options.get(b"name") == b"file" and not self.found:
            self.found = True
            self._in_file = True
            raw_name = options.get(b"filename", b"upload")
            self.file_name = raw_name.decode("utf-8", "replace")[:255] or "upload"

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file:
            return
        self.size += end - start
        if self.size > self.limit:
            raise _TooLarge
        self.pending += data[start:end]

    def _part_end(self) -> None:
        self._in_file = False


_FLUSH_BYTES = 1 << 20


class _TooLarge(Exception):
    pass


def _check_table(path: Path) -> HeaderInfo:
    try:
        with open_table(path) as table:
            # Read a first row too: a broken body right after the header shows at once.
            next(iter(table), None)
            return table.header
    except TableLimitError as exc:
        raise FileLimitExceeded(exc.limit, exc.maximum, exc.reason_zh, exc.reason_en) from None
    except NotATableError as exc:
        raise NotATable(str(exc)) from None


def _too_large(limit: int) -> PayloadTooLarge:
    mb = limit // (1024 * 1024)
    return PayloadTooLarge(
        f"文件超过大小上限（{mb} MB）", f"The file exceeds the size limit ({mb} MB)"
    )


async def receive_upload(
    content_type: str | None, body: AsyncIterator[bytes], directory: Path, limit: int
) -> Received:
    """Stream the `file` part of a multipart body to `directory`; check it is a table."""
    ctype, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType(
            "请以 multipart/form-data 上传文件（字段名 file）",
            "Upload the file as multipart/form-data (field `file`)",
        )
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    stored_name = f"{uuid.uuid4().hex}.upload"
    path = directory / stored_name
    ok = False
    target: IO[bytes] = await asyncio.to_thread(path.open, "wb")
    try:
        part = _FilePart(limit)
        try:
            parser = MultipartParser(boundary, part.callbacks())  # type: ignore[arg-type]
            async for piece in body:
                parser.write(piece)
                if len(part.pending) >= _FLUSH_BYTES:
                    await asyncio.to_thread(target.write, bytes(part.pending))
                    part.pending.clear()
            parser.finalize()
            await asyncio.to_thread(target.write, bytes(part.pending))
        except _TooLarge:
            raise _too_large(limit) from None
        except MultipartParseError:
            raise ValidationFailed(
                errors=[("file", "上传内容不是有效的 multipart 表单", "Malformed multipart body")]
            ) from None
        finally:
            await asyncio.to_thread(target.close)
        if not part.found:
            raise ValidationFailed(
                errors=[("file", "缺少上传文件（字段名 file）", "The file is missing")]
            )
        header = await asyncio.to_thread(_check_table, path)
        ok = True
        return Received(path, stored_name, part.file_name, part.size, header)
    finally:
        if not ok:
            with contextlib.suppress(OSError):
                os.unlink(path)
