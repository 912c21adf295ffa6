"""The screening template 摸排模板: its columns (English and Chinese headers) and files."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Final

from app.kit.spreadsheet import add_dropdown, safe_cell, safe_row


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the template: the English field name is also the row dict's key."""

    field: str
    zh: str
    required: bool
    note: str


COLUMNS: Final[tuple[Column, ...]] = (
    Column("name", "姓名", True, "必填"),
    Column("id_number", "身份证号", False, "18位居民身份证号；无身份证号可留空"),
    Column("gender", "性别", False, "男/女"),
    Column("birth_date", "出生日期", False, "无身份证号时必填，如 2012-03-05"),
    Column("hukou_code", "户籍地区划代码", False, "户籍所在地行政区划代码（6位及以上）"),
    Column("village_code", "现居住村居代码", True, "本区村居代码，必填"),
    Column("residence_since", "来区居住日期", False, "开始在本区居住的日期"),
    Column("accompanied_by", "随迁情况", False, "父母双方/父母一方/其他监护人/无"),
    Column("father_away_since", "父亲外出务工日期", False, "未外出务工留空"),
    Column("mother_away_since", "母亲外出务工日期", False, "未外出务工留空"),
    Column("father_can_guard", "父亲有无监护能力", False, "有/无"),
    Column("mother_can_guard", "母亲有无监护能力", False, "有/无"),
    Column("guardian_name", "监护人姓名", False, ""),
    Column("guardian_phone", "监护人电话", False, ""),
    Column("school_status", "就学状况", False, "未入学/学前/小学/初中/高中/中职/高职/本科"),
    Column("school_name", "学校名称", False, ""),
    Column("health_status", "健康状况", False, "自由填写"),
    Column("disability", "残疾情况", False, "无残疾留空；如 肢体二级"),
    Column("screened_on", "摸排日期", True, "必填"),
    Column("stated_classification", "填报类别", False, "流动儿童/留守儿童/无"),
)

FIELDS: Final[tuple[str, ...]] = tuple(c.field for c in COLUMNS)
EN_HEADERS: Final[tuple[str, ...]] = FIELDS
ZH_HEADERS: Final[tuple[str, ...]] = tuple(c.zh for c in COLUMNS)
ZH_BY_FIELD: Final[dict[str, str]] = {c.field: c.zh for c in COLUMNS}

# Columns the header must contain; without them the file is refused as a whole.
# `birth_date` is required only when a row has no ID number, so the header needs
# at least one of `id_number` / `birth_date` (checked in parsing).
REQUIRED_FIELDS: Final[tuple[str, ...]] = tuple(c.field for c in COLUMNS if c.required)

# Header cell (trimmed; English compared case-insensitively) → field.
HEADER_TO_FIELD: Final[dict[str, str]] = {
    **{c.field: c.field for c in COLUMNS},
    **{c.zh: c.field for c in COLUMNS},
}

TEXT_FIELDS: Final = ("id_number", "hukou_code", "village_code", "guardian_phone")
"""Columns written as text in the xlsx template (an ID number must not become 1.10115E+17)."""
TEMPLATE_ROWS: Final = 1000
"""Rows of the xlsx template pre-formatted (text columns) and with dropdowns."""
CHOICES: Final[dict[str, tuple[str, ...]]] = {
    c.field: tuple(c.note.split("/"))
    for c in COLUMNS
    if c.field
    in (
        "gender",
        "accompanied_by",
        "father_can_guard",
        "mother_can_guard",
        "school_status",
        "stated_classification",
    )
}
"""The coded columns' accepted values (their note, `男/女`), offered as dropdowns."""

_EXAMPLE_ROW: Final[tuple[str, ...]] = (
    "示例儿童",
    "",
    "女",
    "2014-05-20",
    "410102",
    "110115001001",
    "2020-09-01",
    "父母双方",
    "",
    "",
    "有",
    "有",
    "示例家长",
    "13800000000",
    "小学",
    "示例小学",
    "良好",
    "",
    "2025-03-15",
    "流动儿童",
)


def template_csv(*, chinese: bool = True, example: bool = False) -> bytes:
    """The template as CSV in UTF-8 with a BOM, so that Excel opens it with the right encoding."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(safe_row(ZH_HEADERS if chinese else EN_HEADERS))
    if example:
        writer.writerow(safe_row(_EXAMPLE_ROW))
    return buf.getvalue().encode("utf-8-sig")


def template_xlsx(*, chinese: bool = True, example: bool = False) -> bytes:
    """The template as an XLSX workbook: one sheet, bold header row, notes as cell comments."""
    # openpyxl is imported here, not with the module: the columns are needed by every import's
    # parsing process, which should not spend a third of a second starting up on it.
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "摸排"
    bold = Font(bold=True)
    for col, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=safe_cell(column.zh if chinese else column.field))
        cell.font = bold
        if column.note:
            cell.comment = Comment(column.note, "模板")
        ws.column_dimensions[get_column_letter(col)].width = max(12, 2 * len(column.zh) + 4)
    if example:
        ws.append(safe_row(_EXAMPLE_ROW))
    # ID numbers, codes and phone numbers must stay text, or Excel turns an 18-digit ID into
    # 1.10115E+17 and loses its last digits: the column and each of its first rows are
    # formatted as text (`@`), which Excel, WPS and LibreOffice all honour when typing/pasting.
    for field in TEXT_FIELDS:
        col = FIELDS.index(field) + 1
        ws.column_dimensions[get_column_letter(col)].number_format = "@"
        for r in range(2, TEMPLATE_ROWS + 2):
            ws.cell(row=r, column=col).number_format = "@"
    # Coded columns: a dropdown of the accepted values (a typo is refused at typing time).
    for field, choices in CHOICES.items():
        letter = get_column_letter(FIELDS.index(field) + 1)
        error = f"{ZH_BY_FIELD[field]}应为：{'/'.join(choices)}"
        add_dropdown(ws, f"{letter}2:{letter}{TEMPLATE_ROWS + 1}", choices, error)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
