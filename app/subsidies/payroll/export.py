"""The bank-transfer sheet of a payroll (银行代发, .xlsx, Chinese headers).

Laid out by `app.kit.spreadsheet.OfficeSheet`: a title row (district, month, generation time),
a frozen bold header, money as numbers shown `#,##0.00`, ID numbers and bank accounts as text,
towns by name with their codes in their own column; labels from `app.kit.glossary`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.glossary import zh, zh_map
from app.kit.money import from_fen
from app.kit.spreadsheet import Column, OfficeSheet, book_bytes, office_book, title_line
from app.kit.vocab import format_month
from app.models import PayrollRun
from app.subsidies.facts import INSTITUTION_TOWN_ZH
from app.subsidies.payroll import repository as prepo

KIND_ZH = zh_map("payroll_line_kind")

COLUMNS: Sequence[Column] = (
    Column("序号", "int", width=6),
    Column("姓名", width=12),
    Column("身份证号（脱敏）", "id", width=22),
    Column("监护人", width=12),
    Column("银行账号", "id", width=22),
    Column("金额（元）", "money", width=14),
    Column("类别", width=20),
    Column("所属镇街", width=14),
    Column("发放类型", width=10),
    Column("所属月份", "code", width=10),
    Column("说明", width=24),
    Column("镇街代码", "code", width=12),
)


async def export_payroll(
    session: AsyncSession,
    run: PayrollRun,
    towns: dict[str, str],
    *,
    district: str = "",
    generated_at: datetime,
) -> bytes:
    """The bank-transfer sheet (银行代发): one row per line, Chinese headers, a total row.

    The account is the guardian's `bank_account` from the ledger, empty when none is recorded.
    """
    book = office_book()
    month = format_month(run.month)
    state = "已审批" if run.status == "approved" else "草稿（未审批）"
    sheet = OfficeSheet(
        book,
        f"{month} 生活补贴",
        COLUMNS,
        title=title_line(
            f"困境儿童生活补贴发放表（{state}）",
            district=district,
            period=month,
            generated_at=generated_at,
        ),
    )
    number = 0
    async for rows in prepo.export_rows(session, run.id):
        for row in rows:
            number += 1
            p = row.payee
            sheet.row(
                [
                    number,
                    p.get("name"),
                    p.get("id_number_masked"),
                    p.get("guardian_name") or "",
                    p.get("bank_account") or "",
                    from_fen(row.amount_fen),
                    zh("category", row.category),
                    towns.get(row.town_code, row.town_code)
                    if row.town_code
                    else INSTITUTION_TOWN_ZH,
                    KIND_ZH.get(row.kind, row.kind),
                    format_month(row.for_month),
                    row.reason or ("账号未登记" if not p.get("bank_account") else ""),
                    row.town_code or "",
                ]
            )
    sheet.row(["合计", f"{run.line_count} 笔", "", "", "", from_fen(run.total_fen)], bold=True)
    summary = OfficeSheet(
        book,
        "汇总",
        [
            Column("汇总方式", width=10),
            Column("名称", width=22),
            Column("笔数", "int", width=8),
            Column("金额（元）", "money", width=16),
        ],
        title=title_line(
            "困境儿童生活补贴发放汇总", district=district, period=month, generated_at=generated_at
        ),
    )
    by_category: dict[str, Any] = run.totals.get("by_category", {})
    for cat, (n, fen) in sorted(by_category.items()):
        summary.row(["按类别", zh("category", cat), n, from_fen(fen)])
    by_town: dict[str, Any] = run.totals.get("by_town", {})
    for code, (n, fen) in sorted(by_town.items()):
        name = towns.get(code, code) if code else INSTITUTION_TOWN_ZH
        summary.row(["按镇街", name, n, from_fen(fen)])
    summary.row(["合计", "", run.line_count, from_fen(run.total_fen)], bold=True)
    return book_bytes(book)
