"""The payroll's lines: the month's regular lines and the adjustments of paid months, computed
in Python from the streamed ledger rows (one rule run per class of alike children) and loaded
with COPY. See `app.subsidies.payroll.service` for the rules of a run."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.children import history_repository as history
from app.children.schooling import FULL_TIME_STAGES
from app.kit.money import from_fen, to_fen
from app.kit.vocab import format_month, month_end
from app.models import Child
from app.subsidies import repository as repo
from app.subsidies.facts import (
    Totals,
    child_facts,
    month_index,
    payee,
    schooling_ends_on,
    town_of,
    ym,
)
from app.subsidies.parameters import ParameterSet
from app.subsidies.payroll import repository as prepo
from app.subsidies.rules import living_allowance

FACT_LABELS = {
    "approved_on": "审批日期",
    "revoked_on": "撤销日期",
    "birth_date": "出生日期",
    "status": "状态",
}


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


async def compute_lines(
    session: AsyncSession, run_id: uuid.UUID, district: str, month: date, params: ParameterSet
) -> Totals:
    """Compute and COPY the run's regular lines and adjustments (the children of the run's
    district); return the totals."""
    cache = _AllowanceCache(month, params)
    totals = Totals()
    adjustments = Totals()
    records: list[tuple[Any, ...]] = []
    eighteen = date(month.year - 18, month.month, 1)
    narrow = (
        Child.district_code == district,
        Child.approved_on < month,
        or_(Child.revoked_on.is_(None), Child.revoked_on >= month),
        or_(Child.birth_date >= eighteen, Child.school_stage.in_(FULL_TIME_STAGES)),
    )
    # The month's category is the one of its last day (history): a later change is not paid
    # back into it.
    categories = await history.values_on(session, "category", month_end(month))
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
    records += await _adjustments(session, run_id, district, month, params, totals, adjustments)
    await prepo.copy_lines(session, records)
    totals.adjustment_count = adjustments.count
    totals.adjustment_fen = adjustments.fen
    return totals


async def _adjustments(
    session: AsyncSession,
    run_id: uuid.UUID,
    district: str,
    month: date,
    params: ParameterSet,
    totals: Totals,
    adjustments: Totals,
) -> list[tuple[Any, ...]]:
    months = await prepo.approved_months_before(session, district, month)
    if not months:
        return []
    paid: dict[tuple[uuid.UUID, date], list[Any]] = {}
    for line in await prepo.paid_lines(session, district, months, run_id, month):
        paid.setdefault((line.child_id, line.for_month), []).append(line)
    caches = {m: _AllowanceCache(m, params) for m in months}
    dated = {m: await history.values_on(session, "category", month_end(m)) for m in months}
    out: list[tuple[Any, ...]] = []
    async for rows in repo.stream_children(session, Child.district_code == district):
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


def _maybe_due(row: Any, month: date) -> bool:
    return bool(row.approved_on < month and (row.revoked_on is None or row.revoked_on >= month))


def _reason(
    month: date, due: _Due, paid_fen: int, diff: int, latest: Any, facts: dict[str, Any]
) -> str:
    what = "补发" if diff > 0 else "扣减"
    parts = [
        f"{what} {format_month(month)} 生活补贴：按现行数据应发 {from_fen(due.fen)} 元，"
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
