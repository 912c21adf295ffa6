"""Shared field types: RFC 3339 timestamps with an offset, months `YYYY-MM`, quarters `2025Q2`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, WithJsonSchema

from app.kit.vocab import MONTH_PATTERN, month_of

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:?\d{2})$"
)
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def _rfc3339(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(
            "应为带时区的时间，如 2026-06-15T10:00:00+08:00|Must be an RFC 3339 timestamp with offset"
        )
    return value


def _utc(value: datetime) -> datetime:
    """The instant in UTC; one like 0001-01-01T00:00+08:00 has none (it would be a 500)."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("时间超出范围|Timestamp out of range") from None


def representable(value: datetime) -> datetime:
    _utc(value)
    return value


def bounded_instant(value: datetime) -> datetime:
    """When something happened (a visit, a discovery): within 1900–2100, as months are."""
    if not 1900 <= _utc(value).year <= 2100:
        raise ValueError("时间须在1900–2100年之间|Timestamp must be within 1900–2100")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(bounded_instant)]
"""An aware timestamp of an event, within 1900–2100."""

Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339),
    AfterValidator(representable),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2026-06-15T10:00:00+08:00"]}
    ),
]
"""An aware timestamp given as an RFC 3339 string (never a bare number)."""


def _month(value: object) -> object:
    if isinstance(value, date):
        return value.replace(day=1)
    month = month_of(value) if isinstance(value, str) else None
    if month is None:
        raise ValueError("月份格式应为 YYYY-MM（1900–2100年）|Month must be YYYY-MM (1900–2100)")
    return month


Month = Annotated[
    date,
    BeforeValidator(_month),
    AfterValidator(lambda d: d.replace(day=1)),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MONTH_PATTERN,
            "examples": ["2026-06"],
        }
    ),
]
"""A calendar month `YYYY-MM`, held as its first day."""


def parse_quarter(value: str) -> tuple[int, int]:
    m = _QUARTER.match(value)
    if not m:
        raise ValueError("季度格式应为 2025Q2|Quarter must look like 2025Q2")
    return int(m.group(1)), int(m.group(2))


def _calendar_date(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("日期格式应为 YYYY-MM-DD|Date must be YYYY-MM-DD")
    return value


Date = Annotated[date, BeforeValidator(_calendar_date)]
"""A calendar date `YYYY-MM-DD` (never a number taken for a Unix time)."""
