"""The month's ledger as an .xlsx a bureau would file: 汇总 (totals), 花名册 (register), 变动 (movements).

Every row goes through `safe_row`: a child's name, a reason or an area name that looks like a
formula is written as text (`app/kit/spreadsheet.py`).
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from app.kit.spreadsheet import safe_cell, safe_row

CATEGORY_ZH = {
    "orphan": "孤儿",
    "de_facto_unsupported": "事实无人抚养儿童",
    "poor_family_seriously_ill": "贫困家庭重病儿童",
    "poor_family_disabled": "贫困家庭残疾儿童",
}
PLACEMENT_ZH = {"dispersed": "社会散居", "institution": "机构供养"}
KIND_ZH = {"created": "新增", "changed": "变更", "revoked": "撤销"}
GENDER_ZH = {"male": "男", "female": "女"}
STATUS_ZH = {
    "active": "在册",
    "continued_schooling": "在册（年满18周岁仍在校）",
    "revoked": "已撤销",
}


def _append(ws: Any, values: list[Any]) -> None:
    ws.append(safe_row(values))


def _header(ws: Any, values: list[str]) -> None:
    cells = []
    for v in values:
        cell = WriteOnlyCell(ws, value=safe_cell(v))
        cell.font = Font(bold=True)
        cells.append(cell)
    ws.append(cells)


def workbook(report: dict[str, Any]) -> bytes:
    """Written in openpyxl's write-only mode: a city-sized register stays quick and flat."""
    wb = Workbook(write_only=True)
    totals = wb.create_sheet("汇总")
    t = report["totals"]
    _append(totals, [f"困境儿童工作台账 {report['month']}（截至 {report['as_of']}）"])
    _append(totals, ["状态", "已月结" if report.get("closed") else "未月结"])
    _append(totals, [])
    _header(totals, ["项目", "类别", "人数"])
    _append(totals, ["合计", "", t["total"]])
    for code, n in t["by_category"].items():
        _append(totals, ["按类别", CATEGORY_ZH.get(code, code), n])
    for code, n in t["by_placement"].items():
        _append(totals, ["按供养方式", PLACEMENT_ZH.get(code, code), n])
    for row in t["by_town"]:
        _append(totals, ["按镇街", row["town_name"], row["count"]])
    _append(totals, [])
    _append(
        totals,
        [
            "本月变动",
            f"新增 {len(report['additions'])}，变更 {len(report['changes'])}，"
            f"撤销 {len(report['revocations'])}",
        ],
    )

    register = wb.create_sheet("花名册")
    _header(
        register,
        [
            "序号",
            "姓名",
            "身份证号码",
            "性别",
            "出生日期",
            "类别",
            "供养方式",
            "镇街",
            "村居",
            "批准日期",
        ],
    )
    for i, s in enumerate(report.get("register", []), start=1):
        _append(
            register,
            [
                i,
                s["name"],
                s["id_number_masked"],
                GENDER_ZH.get(s["gender"], s["gender"]),
                s["birth_date"],
                CATEGORY_ZH.get(s["category"], s["category"]),
                PLACEMENT_ZH.get(s["placement"], s["placement"]),
                s.get("town_code") or "",
                s.get("village_code") or "",
                s["approved_on"],
            ],
        )

    moves = wb.create_sheet("变动")
    _header(
        moves,
        [
            "变动类型",
            "姓名",
            "类别",
            "供养方式",
            "村居",
            "生效日期",
            "变更内容",
            "原因",
            "经办人",
            "补录",
        ],
    )
    for key in ("additions", "changes", "revocations"):
        for m in report[key]:
            fields = "；".join(
                f"{c['field']}: {c.get('from')} → {c.get('to')}" for c in m.get("changes", [])
            )
            _append(
                moves,
                [
                    KIND_ZH.get(m["kind"], m["kind"]),
                    m["name"],
                    CATEGORY_ZH.get(m["category"], m["category"]),
                    PLACEMENT_ZH.get(m["placement"], m["placement"]),
                    m.get("village_code") or "",
                    m.get("effective_on") or "",
                    fields,
                    m.get("reason") or "",
                    m.get("actor_name") or "",
                    "是" if m.get("late") else "",
                ],
            )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
