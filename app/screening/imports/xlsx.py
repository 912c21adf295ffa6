"""A lean streaming reader for the first sheet of an XLSX workbook (zipfile + expat, stdlib only).

openpyxl's read-only mode reads a few thousand rows a second; this reader streams the sheet's
XML through expat in 64 KiB pieces and yields rows as lists of cell values, about ten times
faster, in flat memory (the shared-strings table is the only thing held whole, as Excel itself
requires). It handles shared strings (`t="s"`), inline strings (`t="inlineStr"`), formula
strings (`t="str"`), booleans, numbers and dates: a number whose cell style has a date format
(a built-in date format id, or a custom format with y/m/d and no time-only tokens) becomes a
`date`, counting from 1899-12-30 (or 1904-01-01 for workbooks in the 1904 date system).

Rows are yielded in sheet order; a row missing from the sheet (rows 3 and 5 present, 4 not)
is yielded as an empty list, so counting rows gives the spreadsheet's row numbers.
Anything malformed raises `XlsxError`.

An upload is untrusted: a few kilobytes can declare ten million rows or decompress to
gigabytes. `XlsxLimits` bounds what one workbook may cost, and a workbook over a bound raises
`XlsxLimitExceeded` (naming the limit), never `XlsxError` (whose callers try another reader):

- before anything is read, the zip directory: the number of members, only stored or deflated
  members, each member's declared size against its compression ratio, the declared total and
  the shared-strings part; the parts read whole (workbook, relationships, styles) are small;
- while reading, the bytes each member really decompresses to (a header may lie), counted
  against its declared size and the total;
- in the XML: each string's length (shared, inline and `<v>` text, Excel's own 32,767
  characters), the shared-strings table's total, row numbers (ascending, at most Excel's
  1,048,576, no gap of more than `max_row_gap` rows), columns (at most Excel's 16,384) and
  the number of cells.

Rows missing from the sheet are yielded lazily, so memory stays flat whatever the gaps.
"""

from __future__ import annotations

import contextlib
import itertools
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Final
from xml.parsers import expat

CellValue = str | date | None

_MAIN_NS: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PIECE: Final = 64 * 1024
# Built-in number formats that are dates (ECMA-376 §18.8.30, and the CJK locale ids 27–36, 50–58).
_BUILTIN_DATE_FORMATS: Final = frozenset(
    {14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56}
    | {57, 58}
)
_EPOCH_1900: Final = date(1899, 12, 30)
_EPOCH_1904: Final = date(1904, 1, 1)
_QUOTED: Final = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


class XlsxError(ValueError):
    """The workbook cannot be read."""


@dataclass(frozen=True, slots=True)
class XlsxLimits:
    """What one uploaded workbook may cost; each bound has a stable name (`XlsxLimitExceeded`)."""

    # Sum of the members' uncompressed sizes (declared, and counted while reading). A 1M-row
    # screening sheet is about 1 GB of XML.
    max_uncompressed_bytes: int = 2 * 1024**3
    # Uncompressed / compressed size of a member larger than `ratio_min_bytes`; real sheets
    # compress about 8-20 times, zip bombs hundreds to millions of times.
    max_ratio: int = 100
    ratio_min_bytes: int = 1024 * 1024
    max_members: int = 1000
    # xl/sharedStrings.xml is held in memory as a table (about 3 bytes per byte of XML).
    max_shared_strings_bytes: int = 128 * 1024 * 1024
    # The other parts read whole into tables (workbook.xml, its relationships, styles.xml).
    max_part_bytes: int = 16 * 1024 * 1024
    max_string_chars: int = 32_767  # Excel's limit for one cell
    max_rows: int = 1_048_576  # Excel's last row
    max_row_gap: int = 10_000
    max_columns: int = 16_384  # Excel's last column, XFD
    max_cells: int = 50_000_000


DEFAULT_LIMITS: Final = XlsxLimits()


class XlsxLimitExceeded(Exception):
    """The workbook is over one of `XlsxLimits`: `limit` is its name, `maximum` its value."""

    def __init__(self, limit: str, maximum: int, reason_zh: str, reason_en: str) -> None:
        super().__init__(f"{limit}: {reason_en}")
        self.limit = limit
        self.maximum = maximum
        self.reason_zh = reason_zh
        self.reason_en = reason_en


def check_zip_directory(source: IO[bytes], limits: XlsxLimits = DEFAULT_LIMITS) -> None:
    """Refuse a zip whose directory is over the limits, before `zipfile` reads the directory.

    `source` is left at its start. Not a zip at all is left to the caller (BadZipFile).
    """
    # zipfile reads the whole directory into objects at once: count its entries first, from
    # the end-of-directory record (a private helper of zipfile, the one ZipFile itself uses).
    end_record = getattr(zipfile, "_EndRecData", None)
    entries_total: int = getattr(zipfile, "_ECD_ENTRIES_TOTAL", 4)
    source.seek(0)
    end = end_record(source) if end_record is not None else None
    source.seek(0)
    if end and int(end[entries_total]) > limits.max_members:
        _too_many_members(int(end[entries_total]), limits)


def _too_many_members(count: int, limits: XlsxLimits) -> None:
    raise XlsxLimitExceeded(
        "xlsx_max_members",
        limits.max_members,
        f"压缩包内有 {count} 个文件，超过上限 {limits.max_members}",
        f"the archive holds {count} members, over the limit of {limits.max_members}",
    )


def check_members(zf: zipfile.ZipFile, limits: XlsxLimits = DEFAULT_LIMITS) -> None:
    """Refuse a workbook whose members declare more than the limits allow."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        _too_many_members(len(infos), limits)
    total = 0
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise XlsxLimitExceeded(
                "xlsx_compression",
                0,
                f"{info.filename} 使用了不支持的压缩方式（仅支持 deflate）",
                f"{info.filename} uses an unsupported compression method (deflate only)",
            )
        size = info.file_size
        total += size
        ratio = size / max(info.compress_size, 1)
        if size > limits.ratio_min_bytes and ratio > limits.max_ratio:
            raise XlsxLimitExceeded(
                "xlsx_max_ratio",
                limits.max_ratio,
                f"{info.filename} 的压缩比为 {ratio:.0f}:1，超过上限 {limits.max_ratio}:1"
                "（疑似压缩炸弹）",
                f"{info.filename} has a compression ratio of {ratio:.0f}:1, over the limit of "
                f"{limits.max_ratio}:1 (a zip bomb?)",
            )
        if info.filename == "xl/sharedStrings.xml" and size > limits.max_shared_strings_bytes:
            _shared_too_large(size, limits)
    if total > limits.max_uncompressed_bytes:
        _too_large(total, limits)


def _over(setting: str, limit: int, what_zh: str, what_en: str) -> None:
    """Refuse a workbook past the byte limit `setting` (named in MB)."""
    mb = limit // (1024 * 1024)
    raise XlsxLimitExceeded(setting, limit, f"{what_zh} {mb} MB", f"{what_en} {mb} MB")


def _too_large(size: int, limits: XlsxLimits) -> None:
    _over(
        "xlsx_max_uncompressed_bytes",
        limits.max_uncompressed_bytes,
        "解压后大小超过上限",
        "the workbook uncompresses to more than the limit of",
    )


def _shared_too_large(size: int, limits: XlsxLimits) -> None:
    _over(
        "xlsx_max_shared_strings_bytes",
        limits.max_shared_strings_bytes,
        "共享字符串表超过上限",
        "the shared-strings table exceeds the limit of",
    )


def _string_too_long(where_zh: str, where_en: str, limits: XlsxLimits) -> XlsxLimitExceeded:
    n = limits.max_string_chars
    return XlsxLimitExceeded(
        "xlsx_max_string_chars",
        n,
        f"{where_zh}的文本超过 {n} 个字符",
        f"a text in {where_en} exceeds {n} characters",
    )


class _Budget:
    """The bytes the members really decompress to, against their declared sizes and the total."""

    def __init__(self, limits: XlsxLimits) -> None:
        self.limits = limits
        self.total = 0

    def count(self, info: zipfile.ZipInfo, read: int, piece: int) -> None:
        self.total += piece
        if read > info.file_size:
            raise XlsxLimitExceeded(
                "xlsx_declared_size",
                info.file_size,
                f"{info.filename} 解压后比其声明的大小更大（文件头不实）",
                f"{info.filename} uncompresses to more than its declared size",
            )
        if self.total > self.limits.max_uncompressed_bytes:
            _too_large(self.total, self.limits)


def _pieces(zf: zipfile.ZipFile, member: str, budget: _Budget) -> Iterator[bytes]:
    """The member's bytes in pieces of at most _PIECE, counted (never the whole member)."""
    info = zf.getinfo(member)
    read = 0
    with zf.open(info) as f:
        while piece := f.read(_PIECE):
            read += len(piece)
            budget.count(info, read, len(piece))
            yield piece


def _is_date_format(code: str) -> bool:
    text = _QUOTED.sub("", code).lower()
    return any(c in text for c in "yd") or ("m" in text and "h" not in text and "s" not in text)


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


class _Workbook:
    """The parts needed to read the first sheet: its path, shared strings, date styles."""

    def __init__(self, zf: zipfile.ZipFile, limits: XlsxLimits, budget: _Budget) -> None:
        self.zf = zf
        self.limits = limits
        self.budget = budget
        self.date1904 = False
        self.sheet_path = self._first_sheet_path()
        self.shared = self._shared_strings()
        self.date_styles = self._date_styles()

    def _parse(
        self,
        member: str,
        start: Callable[[str, dict[str, str]], None],
        end: Callable[[str], None] | None = None,
        text: Callable[[str], None] | None = None,
    ) -> None:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = start
        if end is not None:
            parser.EndElementHandler = end
        if text is not None:
            parser.CharacterDataHandler = text
        size = self.zf.getinfo(member).file_size
        if member != "xl/sharedStrings.xml" and size > self.limits.max_part_bytes:
            mb = self.limits.max_part_bytes // (1024 * 1024)
            raise XlsxLimitExceeded(
                "xlsx_max_part_bytes",
                self.limits.max_part_bytes,
                f"{member} 超过上限 {mb} MB",
                f"{member} exceeds the limit of {mb} MB",
            )
        for piece in _pieces(self.zf, member, self.budget):
            parser.Parse(piece, False)
        parser.Parse(b"", True)

    def _first_sheet_path(self) -> str:
        sheets: list[str] = []
        rels: dict[str, str] = {}

        def wb_start(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "sheet":
                rid = attrs.get(f"{_REL_NS} id")
                if rid is not None:
                    sheets.append(rid)
            elif local == "workbookPr" and attrs.get("date1904") in ("1", "true"):
                self.date1904 = True

        def rel_start(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "Relationship":
                rels[attrs.get("Id", "")] = attrs.get("Target", "")

        names = set(self.zf.namelist())
        if "xl/workbook.xml" not in names:
            raise XlsxError("no xl/workbook.xml")
        self._parse("xl/workbook.xml", wb_start)
        if "xl/_rels/workbook.xml.rels" in names:
            self._parse("xl/_rels/workbook.xml.rels", rel_start)
        if not sheets:
            raise XlsxError("the workbook has no sheet")
        target = rels.get(sheets[0])
        if target is None:
            candidate = "xl/worksheets/sheet1.xml"
        elif target.startswith("/"):
            candidate = target.lstrip("/")
        else:
            candidate = posixpath.normpath(posixpath.join("xl", target))
        if candidate not in names:
            raise XlsxError(f"sheet part {candidate} missing")
        return candidate

    def _shared_strings(self) -> list[str]:
        member = "xl/sharedStrings.xml"
        if member not in self.zf.namelist():
            return []
        strings: list[str] = []
        parts: list[str] = []
        depth = {"si": False, "t": False, "rph": 0, "chars": 0, "total": 0}
        max_chars = self.limits.max_string_chars
        max_total = self.limits.max_shared_strings_bytes

        def start(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "si":
                depth["si"] = True
                depth["chars"] = 0
                parts.clear()
            elif local == "t":
                depth["t"] = True
            elif local == "rPh":  # phonetic guide text is not part of the value
                depth["rph"] += 1

        def end(name: str) -> None:
            local = _local(name)
            if local == "si":
                strings.append("".join(parts))
                depth["si"] = False
            elif local == "t":
                depth["t"] = False
            elif local == "rPh":
                depth["rph"] -= 1

        def text(data: str) -> None:
            if depth["t"] and depth["si"] and not depth["rph"]:
                depth["chars"] += len(data)
                depth["total"] += len(data)
                if depth["chars"] > max_chars:
                    raise _string_too_long("共享字符串表", "the shared strings", self.limits)
                if depth["total"] > max_total:
                    _shared_too_large(depth["total"], self.limits)
                parts.append(data)

        self._parse(member, start, end, text)
        return strings

    def _date_styles(self) -> frozenset[int]:
        member = "xl/styles.xml"
        if member not in self.zf.namelist():
            return frozenset()
        custom: dict[int, str] = {}
        xf_formats: list[int] = []
        in_xfs = [False]

        def start(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "numFmt":
                with contextlib.suppress(ValueError):
                    custom[int(attrs.get("numFmtId", "-1"))] = attrs.get("formatCode", "")
            elif local == "cellXfs":
                in_xfs[0] = True
            elif local == "xf" and in_xfs[0]:
                try:
                    xf_formats.append(int(attrs.get("numFmtId", "0")))
                except ValueError:
                    xf_formats.append(0)

        def end(name: str) -> None:
            if _local(name) == "cellXfs":
                in_xfs[0] = False

        self._parse(member, start, end)
        dates = set()
        for index, fmt in enumerate(xf_formats):
            if fmt in _BUILTIN_DATE_FORMATS or (fmt in custom and _is_date_format(custom[fmt])):
                dates.add(index)
        return frozenset(dates)


def _column_index(ref: str) -> int:
    n = 0
    for ch in ref:
        o = ord(ch)
        if 65 <= o <= 90:
            n = n * 26 + o - 64
        elif 97 <= o <= 122:
            n = n * 26 + o - 96
        else:
            break
    return n - 1


class _SheetState:
    __slots__ = ("col", "in_is_t", "in_v", "row", "s", "t")

    def __init__(self) -> None:
        self.row = 0
        self.col = 0
        self.t = "n"
        self.s = 0
        self.in_v = False
        self.in_is_t = False


class XlsxReader:
    """Rows of the first sheet: `for cells in XlsxReader(file): ...` (a list per row)."""

    def __init__(self, source: IO[bytes], limits: XlsxLimits = DEFAULT_LIMITS) -> None:
        """Open the workbook; raises XlsxLimitExceeded or XlsxError (the zip is closed then)."""
        self.limits = limits
        self._budget = _Budget(limits)
        try:
            check_zip_directory(source, limits)
            self._zf = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            if isinstance(exc, XlsxLimitExceeded | XlsxError):
                raise
            raise XlsxError(f"{type(exc).__name__}: {exc}") from None
        try:
            check_members(self._zf, limits)
            self._wb = _Workbook(self._zf, limits, self._budget)
        except (XlsxError, XlsxLimitExceeded):
            self._zf.close()
            raise
        except (zipfile.BadZipFile, expat.ExpatError, KeyError, OSError, EOFError) as exc:
            self._zf.close()
            raise XlsxError(f"{type(exc).__name__}: {exc}") from None
        self.sheet_size = self._zf.getinfo(self._wb.sheet_path).file_size
        self.sheet_consumed = 0

    def close(self) -> None:
        self._zf.close()

    def __iter__(self) -> Iterator[list[CellValue]]:
        wb = self._wb
        # Rows read, and for each run of rows missing from the sheet its length (an int): the
        # empty rows are made as they are yielded, not held.
        done: list[list[CellValue] | int] = []
        epoch = _EPOCH_1904 if wb.date1904 else _EPOCH_1900
        value = _cell_reader(wb.shared, wb.date_styles, epoch)
        start, end, text = _sheet_handlers(done, value, self.limits)
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = text
        try:
            for piece in itertools.chain(
                _pieces(self._zf, self._wb.sheet_path, self._budget), [b""]
            ):
                self.sheet_consumed += len(piece)
                parser.Parse(piece, not piece)
                if done:
                    for item in done:
                        if item.__class__ is int:
                            assert isinstance(item, int)
                            for _ in range(item):
                                yield []
                        else:
                            assert not isinstance(item, int)
                            yield item
                    done.clear()
        except (expat.ExpatError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise XlsxError(f"{type(exc).__name__}: {exc}") from None


_Handlers = tuple[
    Callable[[str, dict[str, str]], None], Callable[[str], None], Callable[[str], None]
]


def _sheet_handlers(
    done: list[list[CellValue] | int],
    value: Callable[[str, int, str], CellValue],
    limits: XlsxLimits,
) -> _Handlers:
    """expat's start, end and text handlers for a sheet: each finished row is appended to
    `done` (a run of missing rows as its length), each cell read through `value`, every limit
    on rows, columns, cells and strings checked as the XML streams by."""
    row: list[CellValue] = []
    state = _SheetState()
    buf: list[str] = []
    counts = [0, 0]  # cells so far, characters in the current cell
    names = _local_names()
    text = _text_handler(state, buf, counts, limits)
    start = _start_handler(done, row, state, buf, counts, limits, names)
    end = _end_handler(done, row, state, buf, value, names)
    return start, end, text


_Names = tuple[dict[str, str], Callable[[str], str]]


def _start_handler(
    done: list[list[CellValue] | int],
    row: list[CellValue],
    state: _SheetState,
    buf: list[str],
    counts: list[int],
    limits: XlsxLimits,
    names: _Names,
) -> Callable[[str, dict[str, str]], None]:
    """expat's start handler: a cell's column, type and style (its column and the sheet's cell
    count checked), a value or inline string opening, a row's number (missing rows counted)."""
    max_columns = limits.max_columns
    max_cells = limits.max_cells
    local_names, local_name = names
    columns: dict[str, int] = {}  # column letters → index

    def start(name: str, attrs: dict[str, str]) -> None:
        local = local_names.get(name) or local_name(name)
        if local == "c":
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                col = columns.get(letters)
                if col is None:
                    col = _column_index(letters[:4])
                    if col >= max_columns or len(letters) > 3:
                        raise _beyond_columns(
                            f"单元格 {ref[:20]} ", f"cell {ref[:20]} is", max_columns
                        )
                    columns[letters] = col
                state.col = col
            else:
                state.col = len(row)
                if state.col >= max_columns:
                    raise _beyond_columns(f"第{state.row}行", f"row {state.row} goes", max_columns)
            state.t = attrs.get("t", "n")
            s = attrs.get("s")
            state.s = int(s) if s else 0
            buf.clear()
            counts[1] = 0
            counts[0] += 1
            if counts[0] > max_cells:
                raise _too_many_cells(max_cells)
        elif local == "v":
            state.in_v = True
        elif local == "t" and state.t == "inlineStr":
            state.in_is_t = True
        elif local == "row":
            r = attrs.get("r")
            number = int(r) if r else state.row + 1
            _check_row_number(number, state.row, limits)
            if number > state.row + 1:  # rows missing from the sheet
                done.append(number - state.row - 1)
            state.row = number
            row.clear()

    return start


def _end_handler(
    done: list[list[CellValue] | int],
    row: list[CellValue],
    state: _SheetState,
    buf: list[str],
    value: Callable[[str, int, str], CellValue],
    names: _Names,
) -> Callable[[str], None]:
    """expat's end handler: a cell's value read into its column of the row, a finished row
    appended to `done`."""
    local_names, local_name = names

    def end(name: str) -> None:
        local = local_names.get(name) or local_name(name)
        if local == "v":
            state.in_v = False
        elif local == "t":
            state.in_is_t = False
        elif local == "c":
            cell = value(state.t, state.s, "".join(buf))
            col = state.col
            if col >= len(row):
                row.extend([None] * (col - len(row) + 1))
            row[col] = cell
        elif local == "row":
            done.append(list(row))

    return end


def _local_names() -> _Names:
    """Element names → local names, computed once per name (the callbacks run a few times per
    cell; slicing the namespace off each time costs a fifth of the reading): the handlers read
    `local_names.get(name) or local_name(name)`."""
    local_names: dict[str, str] = {}

    def local_name(name: str) -> str:
        local = name[len(_MAIN_NS) + 1 :] if name.startswith(_MAIN_NS) else _local(name)
        local_names[name] = local
        return local

    return local_names, local_name


def _text_handler(
    state: _SheetState, buf: list[str], counts: list[int], limits: XlsxLimits
) -> Callable[[str], None]:
    """expat's text handler: a value's or inline string's text into `buf`, its length counted
    (`counts[1]`) against the longest string allowed."""
    max_chars = limits.max_string_chars

    def text(data: str) -> None:
        if state.in_v or state.in_is_t:
            counts[1] += len(data)
            if counts[1] > max_chars:
                raise _string_too_long(
                    f"第{state.row}行单元格", f"a cell of row {state.row}", limits
                )
            buf.append(data)

    return text


def _beyond_columns(what_zh: str, what_en: str, max_columns: int) -> XlsxLimitExceeded:
    """A cell or row past the last column; `what_*` says which, with its verb in English."""
    return XlsxLimitExceeded(
        "xlsx_max_columns",
        max_columns,
        f"{what_zh}超出最大列数 {max_columns}",
        f"{what_en} beyond the last column ({max_columns})",
    )


def _too_many_cells(max_cells: int) -> XlsxLimitExceeded:
    return XlsxLimitExceeded(
        "xlsx_max_cells",
        max_cells,
        f"单元格数超过上限 {max_cells}",
        f"the sheet has more than {max_cells} cells",
    )


def _cell_reader(
    shared: list[str], date_styles: frozenset[int], epoch: date
) -> Callable[[str, int, str], CellValue]:
    """A cell's value from its type (`t`), its style (`s`) and its text: a shared or inline
    string, a date (an ISO date, or a number in a date style), a number as text, or None."""

    def value(kind: str, style: int, raw: str) -> CellValue:
        if kind == "s":
            try:
                return shared[int(raw)]
            except (ValueError, IndexError):
                raise XlsxError(f"bad shared string index {raw!r}") from None
        if kind in ("inlineStr", "str"):
            return raw
        if not raw:
            return None
        if kind == "b":
            return "是" if raw == "1" else "否"
        if kind == "e":
            return raw
        if kind == "d":
            try:
                return datetime.fromisoformat(raw).date()
            except ValueError:
                return raw
        if style in date_styles:
            try:
                return epoch + timedelta(days=int(float(raw)))
            except (ValueError, OverflowError):
                return raw
        if raw.endswith(".0"):
            raw = raw[:-2]
        elif "E" in raw or "e" in raw:
            try:
                f = float(raw)
            except ValueError:
                return raw
            return str(int(f)) if f.is_integer() else repr(f)
        return raw

    return value


def _check_row_number(number: int, previous: int, limits: XlsxLimits) -> None:
    """Rows ascend (as Excel writes them), within Excel's last row, with no long gap."""
    if number > limits.max_rows:
        raise XlsxLimitExceeded(
            "xlsx_max_rows",
            limits.max_rows,
            f"行号 {number} 超过上限 {limits.max_rows}",
            f"row number {number} is over the limit of {limits.max_rows}",
        )
    if number <= previous:
        raise XlsxLimitExceeded(
            "xlsx_row_order",
            previous,
            f"行号 {number} 出现在第 {previous} 行之后（行号须递增）",
            f"row {number} comes after row {previous} (row numbers must ascend)",
        )
    if number - previous - 1 > limits.max_row_gap:
        raise XlsxLimitExceeded(
            "xlsx_max_row_gap",
            limits.max_row_gap,
            f"第 {previous} 行之后跳到第 {number} 行，空行超过上限 {limits.max_row_gap}",
            f"row {previous} is followed by row {number}: more than {limits.max_row_gap} "
            "rows missing",
        )
