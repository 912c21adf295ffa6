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
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import IO, Final
from xml.parsers import expat

CellValue = str | date | None

_MAIN_NS: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
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


def _is_date_format(code: str) -> bool:
    text = _QUOTED.sub("", code).lower()
    return any(c in text for c in "yd") or ("m" in text and "h" not in text and "s" not in text)


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


class _Workbook:
    """The parts needed to read the first sheet: its path, shared strings, date styles."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
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
        with self.zf.open(member) as f:
            parser.ParseFile(f)

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
        depth = {"si": False, "t": False, "rph": 0}

        def start(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "si":
                depth["si"] = True
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

    def __init__(self, source: IO[bytes]) -> None:
        try:
            self._zf = zipfile.ZipFile(source)
            self._wb = _Workbook(self._zf)
        except XlsxError:
            raise
        except (zipfile.BadZipFile, expat.ExpatError, KeyError, OSError, EOFError) as exc:
            raise XlsxError(f"{type(exc).__name__}: {exc}") from None
        self.sheet_size = self._zf.getinfo(self._wb.sheet_path).file_size
        self.sheet_consumed = 0

    def close(self) -> None:
        self._zf.close()

    def __iter__(self) -> Iterator[list[CellValue]]:
        wb = self._wb
        shared = wb.shared
        date_styles = wb.date_styles
        epoch = _EPOCH_1904 if wb.date1904 else _EPOCH_1900
        done: list[list[CellValue]] = []
        row: list[CellValue] = []
        state = _SheetState()
        buf: list[str] = []

        # Element names → local names, computed once per name (the callbacks run a few
        # times per cell; slicing the namespace off each time costs a fifth of the reading).
        local_names: dict[str, str] = {}
        columns: dict[str, int] = {}  # column letters → index

        def local_name(name: str) -> str:
            local = name[len(_MAIN_NS) + 1 :] if name.startswith(_MAIN_NS) else _local(name)
            local_names[name] = local
            return local

        def start(name: str, attrs: dict[str, str]) -> None:
            local = local_names.get(name) or local_name(name)
            if local == "c":
                ref = attrs.get("r")
                if ref:
                    letters = ref.rstrip("0123456789")
                    col = columns.get(letters)
                    if col is None:
                        col = columns[letters] = _column_index(letters)
                    state.col = col
                else:
                    state.col = len(row)
                state.t = attrs.get("t", "n")
                s = attrs.get("s")
                state.s = int(s) if s else 0
                buf.clear()
            elif local == "v":
                state.in_v = True
            elif local == "t" and state.t == "inlineStr":
                state.in_is_t = True
            elif local == "row":
                r = attrs.get("r")
                number = int(r) if r else state.row + 1
                while state.row + 1 < number:  # rows missing from the sheet
                    state.row += 1
                    done.append([])
                state.row = number
                row.clear()

        def end(name: str) -> None:
            local = local_names.get(name) or local_name(name)
            if local == "v":
                state.in_v = False
            elif local == "t":
                state.in_is_t = False
            elif local == "c":
                value = _value(state.t, state.s, "".join(buf))
                col = state.col
                if col >= len(row):
                    row.extend([None] * (col - len(row) + 1))
                row[col] = value
            elif local == "row":
                done.append(list(row))

        def text(data: str) -> None:
            if state.in_v or state.in_is_t:
                buf.append(data)

        def _value(kind: str, style: int, raw: str) -> CellValue:
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

        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = text
        try:
            with self._zf.open(self._wb.sheet_path) as f:
                while True:
                    piece = f.read(_PIECE)
                    self.sheet_consumed += len(piece)
                    parser.Parse(piece, not piece)
                    if done:
                        yield from done
                        done.clear()
                    if not piece:
                        break
        except (expat.ExpatError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise XlsxError(f"{type(exc).__name__}: {exc}") from None
