"""The rules of case work 精准帮扶 as pure functions: who is on social assistance, when a review
is due, what an agency's month is invoiced. No database, no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from app.children.rules import add_months
from app.kit.money import from_fen

# The ledger's statuses under which a child receives the category's living allowance
# (classified support 分类保障: domain.md §2–3).
ALLOWANCE_STATUSES: Final = frozenset({"active", "continued_schooling"})
# The household's own assistance the ledger records (`children.household_assistance`).
HOUSEHOLD_PROGRAMMES: Final = frozenset({"subsistence", "low_income", "extreme_poverty"})


def social_assistance(
    *, status: str, category: str, household_assistance: str
) -> list[dict[str, Any]]:
    """The social assistance a ledger child receives, as the ledger marks it (rule we set):

    - `living_allowance` of the child's category while enrolled (status `active`, or
      `continued_schooling` after 18) — the classified support of domain.md §2;
    - `household_assistance`: the household's subsistence allowance 低保, low-income support
      低收入 or extreme-poverty support 特困 (`household_assistance`).

    An empty list: the child is on no social assistance, and a case needs the district's
    override with a reason (精准帮扶 is for "children on social assistance", domain.md §10).
    """
    out: list[dict[str, Any]] = []
    if status in ALLOWANCE_STATUSES:
        out.append({"kind": "living_allowance", "category": category})
    if household_assistance in HOUSEHOLD_PROGRAMMES:
        out.append({"kind": "household_assistance", "programme": household_assistance})
    return out


def next_review_due(last: date, interval_months: int) -> date:
    """A case in service is reviewed at least every `interval_months` (CASE_REVIEW_INTERVAL_MONTHS)
    after its plan or its last review."""
    return add_months(last, interval_months)


def hours(minutes: int) -> Decimal:
    """Minutes as hours, two places, half up (for display; money is computed on minutes)."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class MonthInvoice:
    """An agency's month: what was delivered, what of it the contract pays, the amount."""

    minutes_delivered: int
    minutes_billable: int
    minutes_over_contract: int
    minutes_before: int  # delivered under the contract before this month
    invoice_fen: int

    @property
    def invoice_amount(self) -> Decimal:
        return from_fen(self.invoice_fen)


def month_invoice(
    *, minutes_in_month: int, minutes_before: int, hours_bought: int, hourly_rate_fen: int
) -> MonthInvoice:
    """The invoice of a month (rule we set, from domain.md §10 "contracted by the bureau"):

    - billable: the month's delivered minutes, up to what the contract's hours still cover
      after the minutes delivered in earlier months (hours beyond the hours bought are shown,
      not paid);
    - amount = billable minutes × hourly rate ÷ 60, computed once on the month's total in
      integer fen and rounded half up to the fen — never per service record, so no rounding
      accumulates: 50 minutes at 100.00 yuan/hour are 83.33 yuan, 100 minutes 166.67.
    """
    remaining = max(0, hours_bought * 60 - minutes_before)
    billable = min(minutes_in_month, remaining)
    # Half up on non-negative integers: floor(x / 60 + 1/2) = (x + 30) // 60.
    invoice_fen = (billable * hourly_rate_fen + 30) // 60
    return MonthInvoice(
        minutes_delivered=minutes_in_month,
        minutes_billable=billable,
        minutes_over_contract=minutes_in_month - billable,
        minutes_before=minutes_before,
        invoice_fen=invoice_fen,
    )
