"""Reading an uploaded screening file as a stream of raw rows.

The kind of file is decided by its content, never by its name: an XLSX workbook is a zip
(`PK\\x03\\x04`); anything else is read as CSV, in UTF-8 (with or without a BOM) or, failing
that, GB18030 (what Excel saves as "CSV" on a Chinese Windows). Memory stays flat: CSV goes
through `csv.reader` over an `io.TextIOWrapper`, XLSX through the lean streaming reader in
`xlsx` (openpyxl's read-only mode as the fallback, only for a workbook that passed the limits
of `xlsx.XlsxLimits`: a workbook over one raises `TableLimitError`, naming it).

Row numbers are the spreadsheet's: the header is row 1 and the first data row is row 2
(for CSV, a record with a quoted line break still counts as one row). Blank rows are skipped.
CSV rows hold their non-empty cells only, trimmed (`Table.trimmed`: trimming them here, in the
same pass that maps the columns, spares `rows.validate_row` a second pass over every row);
XLSX rows hold every column: the cells as given (`str`), `date` for date cells, or `None` for
empty cells. Checking is `rows.validate_row`'s job.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import itertools
import operator
import os
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import IO, Any, Final, Literal, Self, TypeVar

from app.screening.imports.template import FIELDS, HEADER_TO_FIELD, REQUIRED_FIELDS, ZH_BY_FIELD
from app.screening.imports.xlsx import DEFAULT_LIMITS, XlsxLimitExceeded

FileKind = Literal["csv", "xlsx", "xls", "ods"]
RawValue = str | dt.date | None
RawRow = dict[str, RawValue]
NumberedRow = tuple[int, RawRow]

SAMPLE_SIZE: Final = 64 * 1024
# The header may follow a few title lines ("大兴区流动儿童摸排表"); it must be among the first rows.
HEADER_SEARCH_ROWS: Final = 5
_XLSX_MAGIC: Final = b"PK\x03\x04"
_BOM: Final = "\ufeff"
_HEADER_LOOKUP: Final[dict[str, str]] = {k.lower(): v for k, v in HEADER_TO_FIELD.items()}

_T = TypeVar("_T")

csv.field_size_limit(1 << 20)


class NotATableError(ValueError):
    """The file is not a screening table at all; the whole file is refused (message in Chinese)."""


class TableLimitError(NotATableError):
    """An XLSX workbook over one of the reader's limits; `limit` names it (`xlsx.XlsxLimits`).

    The message (Chinese, what a failed import shows) names the limit too, so that it survives
    the trip from the parsing child process, which passes only the message on.
    """

    def __init__(self, exc: XlsxLimitExceeded) -> None:
        self.limit = exc.limit
        self.maximum = exc.maximum
        self.reason_zh = exc.reason_zh
        self.reason_en = exc.reason_en
        super().__init__(f"文件超出安全限制 {exc.limit}：{exc.reason_zh}")


class MissingColumnsError(NotATableError):
    """The header lacks a required column; `missing` names the fields."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = tuple(missing)
        names = "、".join(f"{ZH_BY_FIELD[f]}（{f}）" for f in self.missing)
        super().__init__(f"表头缺少必填列：{names}")


@dataclass(frozen=True, slots=True)
class HeaderInfo:
    """What the header told us: the kind of file, its encoding, the columns found."""

    kind: FileKind
    encoding: str | None  # None for XLSX
    header_row: int  # spreadsheet row number of the header (1 unless title lines precede it)
    columns: tuple[str, ...]  # fields found, in file order
    missing_columns: tuple[str, ...]  # optional template columns absent from the file
    ignored_columns: tuple[str, ...]  # header cells that are not template columns
    warnings: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------- detection


_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
_ODS_MIMETYPE: Final = b"application/vnd.oasis.opendocument.spreadsheet"
# .xls and .ods are read by python-calamine. .xlsx stays on the streaming reader: calamine reads
# a sheet several times faster (50,000 rows, 51 MB of XML: 7.7 s against 18.5 s here, mapping
# included) but holds the whole sheet in memory, so a few KB of XML that declare a row far down
# (the row bomb of tests/screening/test_xlsx_limits.py) would cost memory the lean reader never
# spends; its limits (`xlsx.XlsxLimits`) stay the guard of every .xlsx.


def sniff_kind(head: bytes) -> FileKind:
    """`xls` for an OLE2 compound file (Excel 97-2003), `ods` for an OpenDocument zip (its
    first member is the uncompressed `mimetype`), `xlsx` for another zip container, else `csv`
    (whether it really is text is decided later)."""
    if head.startswith(_OLE2_MAGIC):
        return "xls"
    if head.startswith(_XLSX_MAGIC):
        return "ods" if _ODS_MIMETYPE in head[:120] else "xlsx"
    return "csv"


def detect_encoding(sample: bytes, *, at_eof: bool) -> str:
    """`utf-8-sig` for a BOM, `utf-8` if the sample decodes strictly, else `gb18030`.

    A multibyte character cut at the sample's end is not held against UTF-8 unless the sample
    is the whole file (`at_eof`). Raises NotATableError for content that is plainly not text.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in sample:
        raise NotATableError(
            "文件不是文本表格（可能是 UTF-16 文本或二进制文件），请另存为 CSV 或 XLSX"
        )
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if not at_eof and exc.reason == "unexpected end of data" and exc.start >= len(sample) - 3:
            return "utf-8"
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=at_eof)
    except UnicodeDecodeError:
        raise NotATableError(
            "无法识别文件编码：请使用 UTF-8 或 GB18030 编码的 CSV，或 XLSX"
        ) from None
    return "gb18030"


def _guess_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


# ---------------------------------------------------------------------------- header


@dataclass(frozen=True, slots=True)
class _Layout:
    info: HeaderInfo
    fields: tuple[str, ...]
    indexes: tuple[int, ...]
    width: int


def _read_header(
    rows: Iterator[Sequence[Any]], kind: FileKind, encoding: str | None
) -> tuple[_Layout, int]:
    """Find the header among the first rows; return its layout and its row number."""
    number = 0
    for cells in rows:
        number += 1
        layout = _layout(cells, kind, encoding, number)
        if layout is not None:
            return layout, number
        if number >= HEADER_SEARCH_ROWS:
            break
    if number == 0:
        raise NotATableError("文件为空")
    raise NotATableError("未找到表头：第1行应为模板的列名（中文或英文）")


def _layout(
    cells: Sequence[Any], kind: FileKind, encoding: str | None, number: int
) -> _Layout | None:
    names = ["" if c is None else str(c).replace(_BOM, "").strip() for c in cells]
    found: dict[str, int] = {}
    ignored: list[str] = []
    for i, name in enumerate(names):
        fld = _HEADER_LOOKUP.get(name.lower())
        if fld is None:
            if name:
                ignored.append(name)
        elif fld in found:
            raise NotATableError(f"表头第{i + 1}列“{name}”与第{found[fld] + 1}列重复")
        else:
            found[fld] = i
    # Fewer than three template columns: this row is not the header (a title line, or no table).
    if len(found) < 3:
        return None
    missing = [f for f in REQUIRED_FIELDS if f not in found]
    if "id_number" not in found and "birth_date" not in found:
        missing.append("birth_date")
    if missing:
        raise MissingColumnsError(missing)
    warnings = [f"已忽略模板以外的列：{'、'.join(ignored)}"] if ignored else []
    absent = [f for f in FIELDS if f not in found]
    if absent:
        warnings.append(f"文件缺少以下列，按空值处理：{'、'.join(ZH_BY_FIELD[f] for f in absent)}")
    info = HeaderInfo(
        kind=kind,
        encoding=encoding,
        header_row=number,
        columns=tuple(found),
        missing_columns=tuple(absent),
        ignored_columns=tuple(ignored),
        warnings=tuple(warnings),
    )
    indexes = tuple(found.values())
    return _Layout(info, tuple(found), indexes, max(indexes) + 1)


# ---------------------------------------------------------------------------- readers


class Table:
    """An open screening file: `header` at once, then the rows as a stream.

    Use as a context manager (`with open_table(path) as table: ...`) so the file is closed
    even when the rows are not read to the end.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._closers: list[Callable[[], object]] = []
        self._rows: Iterator[NumberedRow]
        # True when every value is a trimmed, non-empty string and empty cells are left out
        # (CSV); XLSX rows have every column, with None, dates and untrimmed text.
        self.trimmed = False
        try:
            self.header = self._open(path)
        except BaseException:
            self.close()
            raise

    def _open(self, path: str | os.PathLike[str]) -> HeaderInfo:
        raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._closers.append(raw.close)
        size = max(os.fstat(raw.fileno()).st_size, 1)
        self._progress: Callable[[], float] = lambda: raw.tell() / size
        sample = raw.read(SAMPLE_SIZE)
        if not sample.strip():
            raise NotATableError("文件为空")
        at_eof = len(sample) < SAMPLE_SIZE
        raw.seek(0)
        kind = sniff_kind(sample)
        if kind in ("xls", "ods"):
            return self._open_calamine(raw, path, kind)
        if kind == "xlsx":
            return self._open_xlsx(raw)
        return self._open_csv(raw, detect_encoding(sample, at_eof=at_eof))

    def _open_csv(self, raw: IO[bytes], encoding: str) -> HeaderInfo:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        self._closers.insert(0, text.close)
        first_line = text.readline(SAMPLE_SIZE)
        text.seek(0)
        reader = csv.reader(text, delimiter=_guess_delimiter(first_line))
        try:
            layout, number = _read_header(reader, "csv", encoding)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise NotATableError(f"文件不是有效的 CSV 表格：{exc}") from None
        self._rows = _csv_rows(reader, layout, number, encoding)
        self.trimmed = True
        return layout.info

    def _open_xlsx(self, raw: IO[bytes]) -> HeaderInfo:
        from app.screening.imports.xlsx import XlsxError, XlsxReader

        try:
            reader = XlsxReader(raw)
        except XlsxLimitExceeded as exc:
            raise TableLimitError(exc) from None
        except XlsxError:
            # Malformed for the lean reader but within the limits (the zip directory passed).
            raw.seek(0)
            return self._open_xlsx_openpyxl(raw)
        self._closers.insert(0, reader.close)
        self._progress = lambda: reader.sheet_consumed / max(reader.sheet_size, 1)
        rows: Iterator[Sequence[Any]] = iter(reader)
        try:
            layout, number = _read_header(rows, "xlsx", None)
        except NotATableError:
            raise
        except XlsxLimitExceeded as exc:
            raise TableLimitError(exc) from None
        except Exception as exc:
            raise NotATableError(f"XLSX 工作表无法读取：{type(exc).__name__}") from None
        self._rows = _xlsx_rows(rows, layout, number)
        return layout.info

    def _open_calamine(
        self, raw: IO[bytes], path: str | os.PathLike[str], kind: FileKind
    ) -> HeaderInfo:
        """.xls and .ods through python-calamine: the first sheet, its cells as the XLSX
        readers give them (text, numbers, dates). An .ods is a zip: its directory and members
        pass the same size and ratio limits as an .xlsx first (zip bombs)."""
        from python_calamine import CalamineWorkbook

        from app.screening.imports.xlsx import check_members, check_zip_directory

        label = kind.upper()
        if kind == "ods":
            try:
                check_zip_directory(raw, DEFAULT_LIMITS)
                with zipfile.ZipFile(raw) as zf:
                    check_members(zf, DEFAULT_LIMITS)
            except XlsxLimitExceeded as exc:
                raise TableLimitError(exc) from None
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise NotATableError(f"文件不是有效的 ODS 工作簿：{type(exc).__name__}") from None
        try:
            book = CalamineWorkbook.from_path(os.fspath(path))
        except Exception as exc:  # untrusted upload: any failure to open means "not a workbook"
            raise NotATableError(f"文件不是有效的 {label} 工作簿：{type(exc).__name__}") from None
        self._closers.insert(0, book.close)
        if not book.sheet_names:
            raise NotATableError(f"{label} 工作簿中没有工作表")
        try:
            sheet = book.get_sheet_by_index(0)
        except Exception as exc:
            raise NotATableError(f"{label} 工作表无法读取：{type(exc).__name__}") from None
        max_rows = DEFAULT_LIMITS.max_rows
        if sheet.total_height > max_rows:
            raise _too_many_rows(max_rows)
        height = max(sheet.height, 1)
        consumed = [0]

        def counted() -> Iterator[Sequence[Any]]:
            # calamine starts at the first non-empty row: blank rows above it keep their
            # numbers (the spreadsheet's own row numbers are what the error report shows).
            top, left = sheet.start or (0, 0)
            for _ in range(top):
                yield []
            pad: list[Any] = [None] * left  # and empty columns left of it keep their places
            for row in sheet.iter_rows():
                consumed[0] += 1
                yield pad + row if pad else row

        self._progress = lambda: consumed[0] / height
        rows = counted()
        try:
            layout, number = _read_header(rows, "xlsx", None)
        except NotATableError:
            raise
        except Exception as exc:
            raise NotATableError(f"{label} 工作表无法读取：{type(exc).__name__}") from None
        info = layout.info
        if kind != "xlsx":
            info = replace(info, kind=kind)
            layout = replace(layout, info=info)
        self._rows = _xlsx_rows(rows, layout, number)
        return info

    def _open_xlsx_openpyxl(self, raw: IO[bytes]) -> HeaderInfo:
        """The fallback for workbooks the lean reader cannot make sense of."""
        from openpyxl import load_workbook
        from openpyxl.worksheet._read_only import ReadOnlyWorksheet

        try:
            wb = load_workbook(raw, read_only=True, data_only=True)
        except Exception as exc:  # untrusted upload: any failure to open means "not a workbook"
            raise NotATableError(f"文件不是有效的 XLSX 工作簿：{type(exc).__name__}") from None
        self._closers.insert(0, wb.close)
        if not wb.worksheets:
            raise NotATableError("XLSX 工作簿中没有工作表")
        ws = wb.worksheets[0]
        if not isinstance(ws, ReadOnlyWorksheet):
            raise NotATableError("XLSX 工作簿的第一个工作表不是数据表")
        # The sheet's recorded dimension may be wrong (some tools write "A1"); openpyxl would
        # then drop the rows and columns outside it. Read every row as it is instead.
        ws.reset_dimensions()
        rows: Iterator[Sequence[Any]] = ws.iter_rows(values_only=True)
        try:
            layout, number = _read_header(rows, "xlsx", None)
        except NotATableError:
            raise
        except Exception as exc:
            raise NotATableError(f"XLSX 工作表无法读取：{type(exc).__name__}") from None
        self._rows = _xlsx_rows(rows, layout, number)
        return layout.info

    def progress(self) -> float:
        """How far through the file the rows read so far reach, from 0 to 1 (an estimate)."""
        try:
            return min(1.0, max(0.0, self._progress()))
        except (OSError, ValueError):
            return 0.0

    def __iter__(self) -> Iterator[NumberedRow]:
        return self._rows

    def chunks(self, chunk_size: int = 5000) -> Iterator[list[NumberedRow]]:
        """The rows in lists of at most `chunk_size`."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        rows = self._rows
        while chunk := list(itertools.islice(rows, chunk_size)):
            yield chunk

    def close(self) -> None:
        closers, self._closers = self._closers, []
        for close in closers:
            with contextlib.suppress(OSError, ValueError):  # already closed
                close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _csv_rows(
    reader: Iterator[list[str]], layout: _Layout, header_row: int, encoding: str
) -> Iterator[NumberedRow]:
    """The data rows, each with only its non-empty cells, trimmed (`Table.trimmed`)."""
    fields = layout.fields
    # Columns in template order from the first cell on: zip alone maps them (and stops before
    # any extra columns at the end).
    pick = (
        None
        if layout.indexes == tuple(range(len(fields)))
        else operator.itemgetter(
            *layout.indexes  # at least three columns: returns a tuple
        )
    )
    width = layout.width
    pad = [""] * width
    number = header_row
    try:
        for number, row in enumerate(reader, header_row + 1):
            if pick is not None:
                if len(row) < width:
                    row.extend(pad[len(row) :])
                cells = pick(row)
            else:
                cells = row
            # one pass: trimmed, the empty cells left out (a blank row leaves nothing)
            values = {f: s for f, v in zip(fields, cells, strict=False) if v and (s := v.strip())}
            if values:
                yield number, values
    except UnicodeDecodeError:
        raise NotATableError(
            f"第{number}行附近的内容不是 {encoding} 编码：请整个文件使用同一种编码"
        ) from None
    except csv.Error as exc:
        raise NotATableError(f"第{number}行不是有效的 CSV：{exc}") from None


def _xlsx_cell(value: object) -> RawValue:
    if value is None or isinstance(value, str):
        return value or None  # calamine gives "" for an empty cell
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(
    rows: Iterator[Sequence[Any]], layout: _Layout, header_row: int
) -> Iterator[NumberedRow]:
    fields = layout.fields
    indexes = layout.indexes
    width = layout.width
    pad = [None] * width
    cell = _xlsx_cell
    number = header_row
    max_rows = DEFAULT_LIMITS.max_rows
    while True:
        # Only openpyxl's reading is guarded: a corrupt part of an untrusted upload.
        try:
            row = next(rows)
        except StopIteration:
            return
        except XlsxLimitExceeded as exc:
            raise TableLimitError(exc) from None
        except Exception as exc:
            raise NotATableError(
                f"第{number}行之后的 XLSX 内容无法读取：{type(exc).__name__}"
            ) from exc
        # openpyxl yields an empty row for each row missing from the sheet, so counting
        # keeps the spreadsheet's row numbers (and bounds openpyxl's rows as the lean reader's).
        number += 1
        if number > max_rows:
            raise _too_many_rows(max_rows)
        if len(row) < width:
            row = [*row, *pad[len(row) :]]
        values = [cell(row[i]) for i in indexes]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        yield number, dict(zip(fields, values, strict=True))


# ---------------------------------------------------------------------------- API


def open_table(path: str | os.PathLike[str]) -> Table:
    """Open a screening file; raise NotATableError (Chinese message) if it is not a table."""
    return Table(path)


def iter_rows(path: str | os.PathLike[str]) -> tuple[HeaderInfo, Iterator[NumberedRow]]:
    """The header and an iterator of `(row_number, {field: value})`; the file closes at the end."""
    table = Table(path)
    return table.header, _closing(table, iter(table))


def iter_chunks(
    path: str | os.PathLike[str], chunk_size: int = 5000
) -> tuple[HeaderInfo, Iterator[list[NumberedRow]]]:
    """Like `iter_rows`, in lists of at most `chunk_size` rows (for COPY into staging)."""
    table = Table(path)
    return table.header, _closing(table, table.chunks(chunk_size))


def _closing(table: Table, it: Iterator[_T]) -> Iterator[_T]:
    try:
        yield from it
    finally:
        table.close()


def _too_many_rows(max_rows: int) -> TableLimitError:
    """The refusal of a workbook with more rows than the import takes."""
    return TableLimitError(
        XlsxLimitExceeded(
            "xlsx_max_rows",
            max_rows,
            f"行数超过上限 {max_rows}",
            f"more rows than the limit of {max_rows}",
        )
    )
