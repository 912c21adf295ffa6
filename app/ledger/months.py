"""The ledger's months and quarters: the vocabulary's (app.kit.vocab), from 2000 on."""

from __future__ import annotations

from datetime import date

from app.kit import vocab
from app.kit.vocab import month_end, parse_quarter

__all__ = ["month_end", "parse_month", "parse_quarter", "quarter_of"]


def parse_month(raw: str, field: str = "month") -> date:
    """A ledger month `2026-05` → date(2026, 5, 1), of 2000–2100; else a 422 naming `field`."""
    return vocab.parse_month(raw, field, first_year=vocab.LEDGER_FIRST_YEAR)


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"
