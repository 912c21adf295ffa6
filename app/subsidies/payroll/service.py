"""生活补贴发放: the monthly payroll run — compute in bulk, freeze, adjust, approve, export.

A run is created once per month (the unique month decides, whatever the concurrency). Its
lines are computed in Python from the streamed ledger rows and loaded with COPY. Each line
freezes the child's facts, the payee and the parameters used, so an approved month never
changes: a later change (a revocation dated back, a corrected birth date, a retroactive
standard) yields adjustment lines — positive or negative, with the reason and the original
line — in the next draft.

(rule we set) A month is computed with the child's category on its last day, read from the
history (a category change counts from the month it is made, not retroactively; a later change
does not reach back into a past month's run). An adjustment recomputes a paid month with the
child's current dates and the parameters now in force, under the category the month was paid
with (or, if it was not paid, the category of its last day).
Payrolls are approved in month order, so a month's adjustments are never paid twice.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from openpyxl import Workbook
from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children import history_repository as history
from app.children.schooling import FULL_TIME_STAGES
from app.errors import NotFound, ValidationFailed
from app.kit import audit
from app.kit.clock import DISTRICT_TZ
from app.kit.four_eyes import require_another
from app.kit.money import from_fen, to_fen
from app.kit.spreadsheet import safe_row
from app.kit.types import month_or_422
from app.models import Child, PayrollRun
from app.subsidies import repository as repo
from app.subsidies.errors import EarlierDraftPending, PayrollExists, PayrollNotDraft
from app.subsidies.facts import (
    INSTITUTION_TOWN_ZH,
    Totals,
    child_facts,
    month_index,
    month_text,
    payee,
    schooling_ends_on,
    totals_out,
    town_of,
    ym,
)
from app.subsidies.parameters import ParameterNotInForce, ParameterSet
from app.subsidies.payroll import repository as prepo
from app.subsidies.rules import living_allowance
from app.subsidies.rules.common import CATEGORY_ZH
from app.subsidies.standards.values import parameter_set

KIND_ZH = {"regular": "正常发放", "adjustment": "补发/扣减"}
FACT_LABELS = {
    "approved_on": "审批日期",
    "revoked_on": "撤销日期",
    "birth_date": "出生日期",
    "status": "状态",
}


def parse_month(text: str, field: str = "month") -> date:
    """ "YYYY-MM" (1900–2100) → the first day of the month, or a 422 naming the field."""
    return month_or_422(text, field)


@contextmanager
def in_force(field: str) -> Iterator[None]:
    """Turn "no value in force on that date" into a 422 naming the field that chose the date."""
    try:
        yield
    except ParameterNotInForce as error:
        raise ValidationFailed(
            errors=[
                (
                    field,
                    f"参数 {error.key} 在 {error.on.isoformat()} 没有生效的取值",
                    f"No value of {error.key} is in force on {error.on.isoformat()}",
                )
            ]
        ) from None


async def load_parameters(session: AsyncSession) -> ParameterSet:
    """The ParameterSet of the subsidy_standards rows (seeded from parameters.yaml if empty)."""
    rows = await repo.all_standards(session)
    if not rows:
        await repo.ensure_seeded(session)
        rows = await repo.all_standards(session)
    return parameter_set(rows)


# ------------------------------------------------------------------------------ computation


@dataclass
class _Due:
    fen: int
    parameters: str  # JSON text of the parameters used
    note: str | None = None  # why a regular line is paid, when a rule beyond the usual one did


CONTINUED_NOTE = (
    "年满18周岁后仍在全日制学校就读，按年满18周岁仍在校继续保障的规则"
    "（support_after_18_in_school）在学制期内继续发放"
)


class _AllowanceCache:
    """The allowance of a month by the facts the rule decides on, computed once per class.

    The living-allowance rule reads, for month M: the category, whether the approval month is
    before M, whether a revocation month is before M, whether M is after the month of the
    18th birthday and, after it, whether a full-time schooling goes on to M at least (support
    after 18 in school). Children alike in these get the same amount from the same parameters,
    so the rule runs once per class (on a real child of it) and the result is shared.
    """

    def __init__(self, month: date, params: ParameterSet) -> None:
        self.month = month
        self.index = month_index(month)
        self.params = params
        self._cache: dict[tuple[str, bool, bool, bool, str | None], _Due] = {}

    def due(self, row: Any, category: str | None = None) -> _Due:
        cat = category or row.category
        a, r, b = row.approved_on, row.revoked_on, row.birth_date
        child = (b.year + 18) * 12 + b.month - 1 >= self.index
        stage = None
        if not child:
            end = schooling_ends_on(row)
            if end is not None and month_index(end) >= self.index:
                stage = row.school_stage
        key = (
            cat,
            a is not None and a.year * 12 + a.month - 1 < self.index,
            r is None or r.year * 12 + r.month - 1 >= self.index,
            child,
            stage,
        )
        hit = self._cache.get(key)
        if hit is None:
            result = living_allowance(child_facts(row, category=cat), ym(self.month), self.params)
            # Paid after the month of the 18th birthday: only under support after 18 in school.
            continued = result.eligible and not child
            hit = _Due(
                to_fen(result.amount),
                json.dumps(result.trace["parameters"], ensure_ascii=False),
                CONTINUED_NOTE if continued and result.amount > 0 else None,
            )
            self._cache[key] = hit
        return hit


def _facts(row: Any, category: str | None = None) -> dict[str, Any]:
    """The frozen facts of a line (the rules' facts and where the child lives)."""
    stage = row.school_stage if row.school_stage != "not_in_school" else None
    end = schooling_ends_on(row)
    return {
        "category": category or row.category,
        "birth_date": row.birth_date.isoformat(),
        "approved_on": row.approved_on.isoformat() if row.approved_on else None,
        "revoked_on": row.revoked_on.isoformat() if row.revoked_on else None,
        "school_stage": stage,
        "schooling_ends_on": end.isoformat() if end else None,
        "status": row.status,
        "placement": row.placement,
        "village_code": row.village_code,
    }


# One encoder for every line (json.dumps with options builds a new encoder on each call).
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def _text(value: Any) -> str:
    return "null" if value is None else f'"{value}"'


def _facts_json(row: Any, category: str | None = None) -> str:
    """`_facts(row)` as JSON text, written directly: every value is a date, a code or None."""
    stage = row.school_stage if row.school_stage != "not_in_school" else None
    a, r = row.approved_on, row.revoked_on
    end = schooling_ends_on(row)
    return (
        f'{{"category": "{category or row.category}", '
        f'"birth_date": "{row.birth_date.isoformat()}", '
        f'"approved_on": {_text(a.isoformat() if a else None)}, '
        f'"revoked_on": {_text(r.isoformat() if r else None)}, '
        f'"school_stage": {_text(stage)}, '
        f'"schooling_ends_on": {_text(end.isoformat() if end else None)}, '
        f'"status": "{row.status}", '
        f'"placement": "{row.placement}", "village_code": {_text(row.village_code)}}}'
    )


async def _compute(
    session: AsyncSession, run_id: uuid.UUID, month: date, params: ParameterSet
) -> Totals:
    """Compute and COPY the run's regular lines and adjustments; return the totals."""
    cache = _AllowanceCache(month, params)
    totals = Totals()
    adjustments = Totals()
    records: list[tuple[Any, ...]] = []
    eighteen = date(month.year - 18, month.month, 1)
    narrow = (
        Child.approved_on < month,
        or_(Child.revoked_on.is_(None), Child.revoked_on >= month),
        or_(Child.birth_date >= eighteen, Child.school_stage.in_(FULL_TIME_STAGES)),
    )
    # The month's category is the one of its last day (history): a later change is not paid
    # back into it.
    categories = await history.values_on(session, "category", _last_day(month))
    async for rows in repo.stream_children(session, *narrow):
        for row in rows:
            category = categories.get(row.id, row.category)
            due = cache.due(row, category)
            if due.fen == 0:
                continue
            town = town_of(row.village_code)
            records.append(
                (
                    run_id,
                    row.id,
                    "regular",
                    month,
                    category,
                    town,
                    row.village_code,
                    due.fen,
                    _facts_json(row, category),
                    due.parameters,
                    _JSON.encode(payee(row)),
                    due.note,
                    None,
                )
            )
            totals.add(category, town, due.fen)
    records += await _adjustments(session, run_id, month, params, totals, adjustments)
    await prepo.copy_lines(session, records)
    totals.adjustment_count = adjustments.count
    totals.adjustment_fen = adjustments.fen
    return totals


async def _adjustments(
    session: AsyncSession,
    run_id: uuid.UUID,
    month: date,
    params: ParameterSet,
    totals: Totals,
    adjustments: Totals,
) -> list[tuple[Any, ...]]:
    months = await prepo.approved_months_before(session, month)
    if not months:
        return []
    paid: dict[tuple[uuid.UUID, date], list[Any]] = {}
    for line in await prepo.paid_lines(session, months, run_id, month):
        paid.setdefault((line.child_id, line.for_month), []).append(line)
    caches = {m: _AllowanceCache(m, params) for m in months}
    dated = {m: await history.values_on(session, "category", _last_day(m)) for m in months}
    out: list[tuple[Any, ...]] = []
    async for rows in repo.stream_children(session):
        for row in rows:
            for m in months:
                lines = paid.get((row.id, m), [])
                regular = next((ln for ln in lines if ln.kind == "regular"), None)
                category = (
                    regular.category if regular is not None else dated[m].get(row.id, row.category)
                )
                paid_fen = sum(ln.amount_fen for ln in lines)
                if not lines and not _maybe_due(row, m):
                    continue
                due = caches[m].due(row, category)
                diff = due.fen - paid_fen
                if diff == 0:
                    continue
                latest = lines[-1] if lines else None
                facts = _facts(row, category)
                reason = _reason(m, due, paid_fen, diff, latest, facts)
                town = town_of(row.village_code)
                out.append(
                    (
                        run_id,
                        row.id,
                        "adjustment",
                        m,
                        category,
                        town,
                        row.village_code,
                        diff,
                        json.dumps(facts, ensure_ascii=False),
                        due.parameters if due.fen else "[]",
                        json.dumps(payee(row), ensure_ascii=False),
                        reason,
                        regular.id if regular is not None else (latest.id if latest else None),
                    )
                )
                totals.add(category, town, diff)
                adjustments.add(category, town, diff)
    return out


def _last_day(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _maybe_due(row: Any, month: date) -> bool:
    return bool(row.approved_on < month and (row.revoked_on is None or row.revoked_on >= month))


def _reason(
    month: date, due: _Due, paid_fen: int, diff: int, latest: Any, facts: dict[str, Any]
) -> str:
    what = "补发" if diff > 0 else "扣减"
    parts = [
        f"{what} {month_text(month)} 生活补贴：按现行数据应发 {from_fen(due.fen)} 元，"
        f"已发 {from_fen(paid_fen)} 元，差额 {from_fen(diff)} 元"
    ]
    if latest is None:
        parts.append("该月原未发放")
        return "；".join(parts)
    changes = [
        f"{label} {latest.facts.get(field) or '无'} → {facts.get(field) or '无'}"
        for field, label in FACT_LABELS.items()
        if latest.facts.get(field) != facts.get(field)
    ]
    if changes:
        parts.append("台账变更：" + "，".join(changes))
    old = {p["key"]: p for p in latest.parameters}
    new = {p["key"]: p for p in json.loads(due.parameters)}
    for key, p in new.items():
        before = old.get(key)
        if (
            before is None
            or before["value"] != p["value"]
            or before["effective_from"] != p["effective_from"]
        ):
            was = f"{before['value']}（{before['effective_from']} 起）" if before else "无"
            parts.append(f"标准追溯调整：{key} {was} → {p['value']}（{p['effective_from']} 起）")
    return "；".join(parts)


# --------------------------------------------------------------------------------- services


async def _finish(session: AsyncSession, run_id: uuid.UUID, totals: Totals, now: datetime) -> None:
    await prepo.update_run(
        session,
        run_id,
        {
            "line_count": totals.count,
            "total_fen": totals.fen,
            "adjustment_count": totals.adjustment_count,
            "adjustment_fen": totals.adjustment_fen,
            "totals": totals.to_json(),
            "computed_at": now,
        },
    )


def _current_month(now: datetime) -> date:
    local = now.astimezone(DISTRICT_TZ)
    return date(local.year, local.month, 1)


async def create_payroll(
    session: AsyncSession, principal: Principal, month_str: str, now: datetime
) -> PayrollRun:
    """Create the month's draft run with its lines; 409 naming the run if the month has one."""
    month = parse_month(month_str)
    if month > _current_month(now):
        raise ValidationFailed(
            errors=[
                (
                    "month",
                    "不能为未来月份生成发放批次",
                    "A payroll cannot be run for a future month",
                )
            ]
        )
    params = await load_parameters(session)
    with in_force("month"):
        params.at("living_allowance.standard", month)
    run_id = await prepo.insert_run(
        session,
        {
            "month": month,
            "status": "draft",
            "created_by": principal.name,
            "computed_at": now,
            "totals": {},
            "line_count": 0,
            "total_fen": 0,
            "adjustment_count": 0,
            "adjustment_fen": 0,
        },
    )
    if run_id is None:
        existing = await prepo.run_by_month(session, month)
        assert existing is not None
        raise PayrollExists(
            f"{month_str} 的发放批次已存在（{existing.id}，状态 {existing.status}）",
            f"The payroll for {month_str} already exists ({existing.id}, {existing.status})",
            extra={
                "existing": {"id": str(existing.id), "month": month_str, "status": existing.status}
            },
        )
    with in_force("month"):
        totals = await _compute(session, run_id, month, params)
    await _finish(session, run_id, totals, now)
    audit.record(
        session,
        principal,
        "payroll.create",
        "payroll",
        run_id,
        {"month": month_str, "line_count": totals.count, "total_fen": totals.fen},
    )
    run = await prepo.run_by_month(session, month)
    assert run is not None
    return run


async def get_payroll(session: AsyncSession, month_str: str, *, lock: bool = False) -> PayrollRun:
    run = await prepo.run_by_month(session, parse_month(month_str), lock=lock)
    if run is None:
        raise NotFound(f"{month_str} 没有发放批次", f"No payroll for {month_str}")
    return run


async def recompute_payroll(
    session: AsyncSession, principal: Principal, month_str: str, now: datetime
) -> PayrollRun:
    """Recompute a draft with today's ledger and parameters (an approved run never changes)."""
    run = await get_payroll(session, month_str, lock=True)
    if run.status != "draft":
        raise PayrollNotDraft(
            f"{month_str} 的发放批次已审批", f"The {month_str} payroll is approved"
        )
    params = await load_parameters(session)
    await prepo.delete_lines(session, run.id)
    with in_force("month"):
        totals = await _compute(session, run.id, run.month, params)
    await _finish(session, run.id, totals, now)
    audit.record(
        session,
        principal,
        "payroll.recompute",
        "payroll",
        run.id,
        {"month": month_str, "line_count": totals.count, "total_fen": totals.fen},
    )
    return await get_payroll(session, month_str)


async def approve_payroll(
    session: AsyncSession,
    principal: Principal,
    month_str: str,
    note: str | None,
    now: datetime,
    *,
    four_eyes: bool = True,
) -> PayrollRun:
    """审批: the district leader approves a draft; from then on its lines are frozen. Not by
    whoever created the run (four eyes)."""
    run = await get_payroll(session, month_str, lock=True)
    if run.status != "draft":
        raise PayrollNotDraft(
            f"{month_str} 的发放批次已审批", f"The {month_str} payroll is approved"
        )
    require_another(
        four_eyes, principal, run.created_by, "approve", f"{month_str} 的发放批次", "this payroll"
    )
    earlier = await prepo.earlier_draft(session, run.month)
    if earlier is not None:
        raise EarlierDraftPending(
            f"须先审批 {month_text(earlier)} 的发放批次",
            f"Approve the {month_text(earlier)} payroll first",
            extra={"pending_month": month_text(earlier)},
        )
    await prepo.update_run(
        session,
        run.id,
        {
            "status": "approved",
            "approved_at": now,
            "approved_by": principal.name,
            "approval_note": note,
        },
    )
    audit.record(
        session,
        principal,
        "payroll.approve",
        "payroll",
        run.id,
        {
            "month": month_str,
            "line_count": run.line_count,
            "total_fen": run.total_fen,
            "created_by": run.created_by,
        },
    )
    return await get_payroll(session, month_str)


def payroll_out(run: PayrollRun, towns: dict[str, str]) -> dict[str, Any]:
    return {
        "id": run.id,
        "month": month_text(run.month),
        "status": run.status,
        "line_count": run.line_count,
        "total_amount": from_fen(run.total_fen),
        "regular_count": run.line_count - run.adjustment_count,
        "regular_amount": from_fen(run.total_fen - run.adjustment_fen),
        "adjustment_count": run.adjustment_count,
        "adjustment_amount": from_fen(run.adjustment_fen),
        "totals": totals_out(run.totals, towns),
        "created_at": run.created_at,
        "created_by": run.created_by,
        "computed_at": run.computed_at,
        "approved_at": run.approved_at,
        "approved_by": run.approved_by,
        "approval_note": run.approval_note,
    }


def line_out(line: Any) -> dict[str, Any]:
    return {
        "id": line.id,
        "child_id": line.child_id,
        "kind": line.kind,
        "for_month": month_text(line.for_month),
        "category": line.category,
        "town_code": line.town_code,
        "village_code": line.village_code,
        "amount": from_fen(line.amount_fen),
        "payee": line.payee,
        "facts": line.facts,
        "parameters": line.parameters,
        "reason": line.reason,
        "original_line_id": line.original_line_id,
    }


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
    sheet: Any = book.create_sheet(f"{month_text(run.month)} 生活补贴")
    title = "已审批" if run.status == "approved" else "草稿（未审批）"
    _append(sheet, [f"{month_text(run.month)} 困境儿童生活补贴发放表（{title}）"])
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
                    month_text(row.for_month),
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
