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
from app.kit.vocab import CATEGORY_ZH, GENDER_ZH, PLACEMENT_ZH

KIND_ZH = {"created": "新增", "changed": "变更", "revoked": "撤销"}


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
    _totals_sheet(wb, report)
    _register_sheet(wb, report)
    _movements_sheet(wb, report)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _totals_sheet(wb: Workbook, report: dict[str, Any]) -> None:
    """汇总: the month's totals by category, placement and town, and its movements' count."""
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


def _register_sheet(wb: Workbook, report: dict[str, Any]) -> None:
    """花名册: one line per child on the ledger at the month's end."""
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


def _movements_sheet(wb: Workbook, report: dict[str, Any]) -> None:
    """变动: the month's additions, changes and revocations."""
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
