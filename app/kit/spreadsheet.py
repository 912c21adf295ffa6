"""User text written to a spreadsheet stays text: formula (CSV) injection neutralised.

A child named `=HYPERLINK("http://x","y")` became a live formula in the ledger export (issue
20): openpyxl writes a string starting with `=` as a formula, and Excel or WPS evaluate a CSV
cell starting with `=`, `+`, `-` or `@` as one (a tab or carriage return first can lead to
the same). OWASP's rule: such a text is prefixed with a single quote `'`, which the
spreadsheet then shows as text. Every writer of xlsx and CSV passes its cells through here:

- `safe_cell(value)`: a `str` neutralised; numbers (`int`, `Decimal`, `float`), dates and None
  unchanged, so negative amounts stay numbers;
- `safe_row(values)`: the same for a row (openpyxl's `append`, `csv.writer.writerow`);
- `csv_field(value)`: one CSV field, neutralised and quoted as RFC 4180 wants.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar, cast

from app.kit.clock import DISTRICT_TZ as BEIJING

if TYPE_CHECKING:
    from openpyxl import Workbook

FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")

_T = TypeVar("_T")


def safe_text(value: str) -> str:
    """`value`, or `'` + `value` when a spreadsheet could take it for a formula."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def safe_cell(value: _T) -> _T | str:
    """A cell for an xlsx or CSV writer: text neutralised, anything else as it is."""
    if isinstance(value, str):
        return safe_text(value)
    return value


def safe_row(values: Iterable[_T]) -> list[_T | str]:
    return [safe_cell(v) for v in values]


def csv_field(value: object) -> str:
    """One CSV field: `None` empty, text neutralised, quoted when it holds `,` `"` or a line break."""
    text = "" if value is None else safe_text(value) if isinstance(value, str) else str(value)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


# --------------------------------------------------------------------------- office workbooks
#
# Every .xlsx the service hands out is laid out the same way (issue 29), written here once:
# row 1 a title (what, the district, the period, when it was generated), row 2 the bold header,
# frozen under the title; columns as wide as their content needs; money as numbers shown
# `#,##0.00`; dates as real Excel dates; ID numbers (and other digit strings) as text, so Excel
# never turns an 18-digit ID into `1.10115E+17`; counts as integers. Written in openpyxl's
# write-only mode (a city-sized register stays quick and flat).

MONEY_FORMAT: Final = "#,##0.00"
DATE_FORMAT: Final = "yyyy-mm-dd"
DATETIME_FORMAT: Final = "yyyy-mm-dd hh:mm"
TEXT_FORMAT: Final = "@"
PERCENT_FORMAT: Final = "0.0%"
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Kind = Literal["text", "id", "int", "money", "date", "datetime", "percent", "code"]
_WIDTHS: Final[dict[str, float]] = {
    "text": 14,
    "id": 22,
    "int": 8,
    "money": 14,
    "date": 12,
    "datetime": 17,
    "percent": 10,
    "code": 14,
}
_FORMATS: Final[dict[str, str]] = {
    "id": TEXT_FORMAT,
    "code": TEXT_FORMAT,
    "money": MONEY_FORMAT,
    "date": DATE_FORMAT,
    "datetime": DATETIME_FORMAT,
    "percent": PERCENT_FORMAT,
    "int": "0",
}


@cache
def _styles() -> tuple[Any, Any, Any]:
    """(bold, title font, header fill). openpyxl is imported when a workbook is written, not
    with this module: the screening parser's processes use `safe_row` and should not spend a
    third of a second starting up on openpyxl."""
    from openpyxl.styles import Font, PatternFill

    return Font(bold=True), Font(bold=True, size=13), PatternFill("solid", fgColor="DDE4EE")


@dataclass(frozen=True)
class Column:
    """A column of an office sheet: its Chinese header, what it holds and (optionally) its width
    in characters (a CJK character counts two)."""

    label: str
    kind: Kind = "text"
    width: float | None = None


def text_width(value: object) -> float:
    """The width a value needs in Excel's character units (a CJK character is two)."""
    text = "" if value is None else str(value)
    return float(sum(2 if ord(ch) > 0x2E7F else 1 for ch in text))


def _as_date(value: object) -> object:
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


def _as_datetime(value: object) -> object:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: the bureau reads Beijing time.
        value = value.astimezone(BEIJING).replace(tzinfo=None)
    return value


def _as_money(value: object) -> object:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    return value


def title_line(title: str, *, district: str, period: str, generated_at: datetime) -> str:
    """`困境儿童工作台账 · 北京市大兴区 · 2026-06 · 生成于 2026-07-01 09:30`."""
    at = generated_at.astimezone(BEIJING) if generated_at.tzinfo else generated_at
    return f"{title} · {district} · {period} · 生成于 {at:%Y-%m-%d %H:%M}"


class OfficeSheet:
    """One sheet of an office workbook: a title row, a frozen bold header, typed columns."""

    def __init__(
        self,
        book: Workbook,
        name: str,
        columns: Sequence[Column],
        *,
        title: str,
        widths: Sequence[float] | None = None,
    ) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.utils import get_column_letter

        bold, title_font, header_fill = _styles()
        self.ws: Any = book.create_sheet(name)
        self.columns = list(columns)
        for i, col in enumerate(self.columns, start=1):
            width = col.width or max(text_width(col.label) + 2, _WIDTHS[col.kind])
            if widths and i <= len(widths):
                width = max(width, widths[i - 1])
            self.ws.column_dimensions[get_column_letter(i)].width = min(width, 60)
        for i, extra in enumerate(list(widths or ())[len(self.columns) :], len(self.columns) + 1):
            # a table below the first one may use more columns than the header names
            self.ws.column_dimensions[get_column_letter(i)].width = min(extra, 60)
        self.ws.freeze_panes = "A3"
        head = WriteOnlyCell(self.ws, value=safe_cell(title))
        head.font = title_font
        self.ws.append([head])
        header = []
        for col in self.columns:
            cell = WriteOnlyCell(self.ws, value=safe_cell(col.label))
            cell.font = bold
            cell.fill = header_fill
            header.append(cell)
        self.ws.append(header)

    def row(
        self, values: Sequence[object], *, bold: bool = False, kinds: Sequence[Kind] | None = None
    ) -> None:
        """A data row: each value written as its column's kind (text neutralised), or as the
        kind `kinds` gives at its place (a second table below the first, a figure of a
        two-column 项目/数值 sheet)."""
        from openpyxl.cell import WriteOnlyCell

        bold_font = _styles()[0]
        cells = []
        for i, value in enumerate(values):
            if kinds is not None and i < len(kinds):
                kind = kinds[i]
            else:
                kind = self.columns[i].kind if i < len(self.columns) else "text"
            if kind == "money":
                value = _as_money(value)
            elif kind == "date":
                value = _as_date(value)
            elif kind == "datetime":
                value = _as_datetime(value)
            elif kind in ("id", "code") and value is not None and not isinstance(value, str):
                value = str(value)
            cell = WriteOnlyCell(self.ws, value=cast(Any, safe_cell(value)))
            fmt = _FORMATS.get(kind)
            if fmt and (kind in ("id", "code") or not isinstance(cell.value, str)):
                cell.number_format = fmt
            if bold:
                cell.font = bold_font
            cells.append(cell)
        self.ws.append(cells)

    def blank(self) -> None:
        self.ws.append([])

    def dropdown(self, column: int, choices: Sequence[str], *, rows: int = 1000) -> None:
        """A data-validation list on a column (1-based) below the header: the coded values a
        template accepts, chosen from a dropdown."""
        from openpyxl.utils import get_column_letter

        letter = get_column_letter(column)
        add_dropdown(self.ws, f"{letter}3:{letter}{rows + 2}", choices)


def office_book() -> Workbook:
    from openpyxl import Workbook

    return Workbook(write_only=True)


def book_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def add_dropdown(
    ws: Any, cells: str, choices: Sequence[str], error: str = "请从下拉列表中选择"
) -> None:
    """A data-validation list on the `cells` of an openpyxl sheet (`"C3:C1002"`): the coded
    values a template accepts, chosen from a dropdown; anything else is refused with `error`."""
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="无效的值",
        error=error,
    )
    dv.add(cells)
    ws.add_data_validation(dv)
