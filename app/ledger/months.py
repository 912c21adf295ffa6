"""Months (YYYY-MM) and quarters (2025Q2) of the district calendar."""

from __future__ import annotations

import calendar
import re
from datetime import date

from app.errors import ValidationFailed
from app.kit.types import month_or_422

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def parse_month(raw: str, field: str = "month") -> date:
    """`2026-05` → date(2026, 5, 1); anything else (or a year outside 2000–2100) is a 422
    naming `field`."""
    first = month_or_422(raw, field)
    if first.year < 2000:
        raise ValidationFailed(errors=[(field, "月份格式应为 YYYY-MM", "Month must be YYYY-MM")])
    return first


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def parse_quarter(raw: str, field: str = "quarter") -> tuple[date, date]:
    """`2025Q2` → (first month, last month) of the quarter."""
    m = _QUARTER.match(raw)
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise ValidationFailed(
            errors=[(field, "季度格式应为 YYYYQn，如 2025Q2", "Quarter must be like 2025Q2")]
        )
    year, q = int(m.group(1)), int(m.group(2))
    return date(year, 3 * q - 2, 1), date(year, 3 * q, 1)


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"
