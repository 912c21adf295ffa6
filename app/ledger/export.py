"""The month's ledger as an .xlsx a bureau would file: 汇总 (totals), 花名册 (register), 变动 (movements).

Laid out by `app.kit.spreadsheet.OfficeSheet` (title row with the district, the month and the
time of generation; frozen bold header; widths; real dates; ID numbers as text; texts that look
like formulas written as text). Towns and villages by name, their codes in their own columns;
fields and values by their glossary labels (`学校名称：演示学校 → 演示中学`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.kit.glossary import zh
from app.kit.spreadsheet import Column, OfficeSheet, book_bytes, office_book, title_line

# The glossary group of the values of a changed field (`category: orphan` → 孤儿).
FIELD_GROUPS = {
    "category": "category",
    "placement": "placement",
    "gender": "gender",
    "status": "child_status",
    "school_stage": "school_stage",
    "household_assistance": "household_assistance",
}


def change_text(change: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """`学校名称：演示学校 → 演示中学`: a field's label and its values as people read them."""
    field = str(change.get("field"))

    def value(v: Any) -> str:
        if v is None or v == "" or v == [] or v == {}:
            return "（空）"
        if field in FIELD_GROUPS and isinstance(v, str):
            return zh(FIELD_GROUPS[field], v)
        if field in ("village_code", "town_code") and isinstance(v, str):
            return names.get(v, v)
        if isinstance(v, bool):
            return "是" if v else "否"
        if isinstance(v, list):
            return "、".join(value(x) for x in v)
        if isinstance(v, dict):
            return "，".join(
                f"{zh('child_field', str(k))}：{value(x)}"
                for k, x in v.items()
                if x not in (None, "")
            )
        return str(v)

    return f"{zh('child_field', field)}：{value(change.get('from'))} → {value(change.get('to'))}"


def workbook(
    report: dict[str, Any],
    *,
    names: Mapping[str, str] | None = None,
    district: str = "",
    generated_at: datetime,
) -> bytes:
    """Written in openpyxl's write-only mode: a city-sized register stays quick and flat."""
    names = names or {}
    book = office_book()

    def title(what: str) -> str:
        return title_line(
            f"困境儿童工作台账{what}",
            district=district,
            period=f"{report['month']}（截至 {report['as_of']}）",
            generated_at=generated_at,
        )

    _totals_sheet(book, report, title("汇总"))
    _register_sheet(book, report, names, title("花名册"))
    _movements_sheet(book, report, names, title("变动"))
    return book_bytes(book)


def _totals_sheet(book: Any, report: dict[str, Any], title: str) -> None:
    """汇总: the month's totals by category, placement and town, and its movements' count."""
    sheet = OfficeSheet(
        book,
        "汇总",
        [Column("项目", width=14), Column("类别", width=22), Column("人数", "int", width=10)],
        title=title,
    )
    t = report["totals"]
    sheet.row(["合计", "", t["total"]], bold=True)
    for code, n in t["by_category"].items():
        sheet.row(["按类别", zh("category", code), n])
    for code, n in t["by_placement"].items():
        sheet.row(["按供养方式", zh("placement", code), n])
    for row in t["by_town"]:
        sheet.row(["按镇街", row["town_name"], row["count"]])
    sheet.blank()
    sheet.row(["状态", "已月结" if report.get("closed") else "未月结"])
    sheet.row(
        [
            "本月变动",
            f"新增 {len(report['additions'])}，变更 {len(report['changes'])}，"
            f"撤销 {len(report['revocations'])}",
        ]
    )


def _register_sheet(
    book: Any, report: dict[str, Any], names: Mapping[str, str], title: str
) -> None:
    """花名册: one line per child on the ledger at the month's end."""
    sheet = OfficeSheet(
        book,
        "花名册",
        [
            Column("序号", "int", width=6),
            Column("姓名", width=12),
            Column("身份证号码", "id", width=22),
            Column("性别", width=6),
            Column("出生日期", "date"),
            Column("类别", width=20),
            Column("供养方式", width=10),
            Column("镇街", width=14),
            Column("镇街代码", "code", width=12),
            Column("村居", width=16),
            Column("村居代码", "code", width=15),
            Column("批准日期", "date"),
        ],
        title=title,
    )
    for i, s in enumerate(report.get("register", []), start=1):
        town, village = s.get("town_code") or "", s.get("village_code") or ""
        sheet.row(
            [
                i,
                s["name"],
                s["id_number_masked"],
                zh("gender", s["gender"]),
                s["birth_date"],
                zh("category", s["category"]),
                zh("placement", s["placement"]),
                names.get(town, town),
                town,
                names.get(village, village),
                village,
                s["approved_on"],
            ]
        )


def _movements_sheet(
    book: Any, report: dict[str, Any], names: Mapping[str, str], title: str
) -> None:
    """变动: the month's additions, changes and revocations."""
    sheet = OfficeSheet(
        book,
        "变动",
        [
            Column("变动类型", width=10),
            Column("姓名", width=12),
            Column("类别", width=20),
            Column("供养方式", width=10),
            Column("村居", width=16),
            Column("村居代码", "code", width=15),
            Column("生效日期", "date"),
            Column("变更内容", width=48),
            Column("原因", width=24),
            Column("经办人", width=10),
            Column("补录", width=6),
        ],
        title=title,
    )
    for key in ("additions", "changes", "revocations"):
        for m in report[key]:
            village = m.get("village_code") or ""
            sheet.row(
                [
                    zh("movement", m["kind"]),
                    m["name"],
                    zh("category", m["category"]),
                    zh("placement", m["placement"]),
                    names.get(village, village),
                    village,
                    m.get("effective_on"),
                    "；".join(change_text(c, names) for c in m.get("changes", [])),
                    m.get("reason") or "",
                    m.get("actor_name") or "",
                    "是" if m.get("late") else "",
                ]
            )
