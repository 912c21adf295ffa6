"""The bank-transfer sheet of a payroll (银行代发, .xlsx, Chinese headers)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.money import from_fen
from app.kit.spreadsheet import safe_row
from app.kit.vocab import CATEGORY_ZH, format_month
from app.models import PayrollRun
from app.subsidies.facts import INSTITUTION_TOWN_ZH
from app.subsidies.payroll import repository as prepo

KIND_ZH = {"regular": "正常发放", "adjustment": "补发/扣减"}

EXPORT_HEADERS: Sequence[str] = (
    "序号",
    "姓名",
    "身份证号（脱敏）",
    "监护人",
    "银行账号",
    "金额（元）",
    "类别",
    "所属镇街",
    "发放类型",
    "所属月份",
    "说明",
)


def _append(sheet: Any, values: list[Any]) -> None:
    """A row of the sheet, its texts written as text (`app/kit/spreadsheet.py`)."""
    sheet.append(safe_row(values))


async def export_payroll(session: AsyncSession, run: PayrollRun, towns: dict[str, str]) -> bytes:
    """The bank-transfer sheet (银行代发): one row per line, Chinese headers, a total row.

    The account is the guardian's `bank_account` from the ledger, empty when none is recorded.
    """
    book = Workbook(write_only=True)
    sheet: Any = book.create_sheet(f"{format_month(run.month)} 生活补贴")
    title = "已审批" if run.status == "approved" else "草稿（未审批）"
    _append(sheet, [f"{format_month(run.month)} 困境儿童生活补贴发放表（{title}）"])
    _append(sheet, list(EXPORT_HEADERS))
    number = 0
    async for rows in prepo.export_rows(session, run.id):
        for row in rows:
            number += 1
            p = row.payee
            _append(
                sheet,
                [
                    number,
                    p.get("name"),
                    p.get("id_number_masked"),
                    p.get("guardian_name") or "",
                    p.get("bank_account") or "",
                    from_fen(row.amount_fen),
                    CATEGORY_ZH.get(row.category, row.category),
                    towns.get(row.town_code, row.town_code)
                    if row.town_code
                    else INSTITUTION_TOWN_ZH,
                    KIND_ZH[row.kind],
                    format_month(row.for_month),
                    row.reason or ("账号未登记" if not p.get("bank_account") else ""),
                ],
            )
    _append(sheet, ["合计", f"{run.line_count} 笔", "", "", "", from_fen(run.total_fen)])
    summary: Any = book.create_sheet("汇总")
    _append(summary, ["类别", "笔数", "金额（元）"])
    for cat, (n, fen) in sorted(run.totals.get("by_category", {}).items()):
        _append(summary, [CATEGORY_ZH.get(cat, cat), n, from_fen(fen)])
    _append(summary, [])
    _append(summary, ["镇街", "笔数", "金额（元）"])
    for code, (n, fen) in sorted(run.totals.get("by_town", {}).items()):
        _append(summary, [towns.get(code, code) if code else INSTITUTION_TOWN_ZH, n, from_fen(fen)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
